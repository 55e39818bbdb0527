"""Fixtures shared by the test files."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def keep_torch_threads():
    """Each test leaves torch's thread count as it found it.

    Some commands set it for their own run (``train.pretrain_critic`` takes every core); called
    in-process by a test, that setting would outlive the test. On a busy machine more threads than
    free cores make every later test several times slower (OpenMP threads wait on each other).
    """
    import torch

    threads = torch.get_num_threads()
    yield
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def ray_local():
    """A local Ray instance for the session (2 CPUs, no dashboard), or the one already running.

    A Ray started earlier in the process (a README snippet's ``build_algo()`` starts one with
    Ray's defaults) is reused and left to whoever started it; one started here is shut down at
    the session's end.
    """
    import ray

    started = not ray.is_initialized()
    if started:
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)  # never a stale `ray start`
    yield ray
    if started:
        ray.shutdown()
