"""Fixtures shared by the test files."""

from __future__ import annotations

import pytest


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
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    if started:
        ray.shutdown()
