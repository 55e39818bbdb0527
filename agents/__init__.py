"""DeepExposure agents: the paper's learner as a Stable-Baselines3 algorithm, and reference baselines.

``from agents import DeepExposure``; ``agents.algorithms`` names every algorithm a model can be
trained with, ``agents.packaged`` loads the shipped policy, and ``agents.oracle`` holds the
per-photo oracles that bound what any policy can reach in this action space. The classes are
imported on first use, so that command-line tools answer ``--help`` without loading torch.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> the module that defines it
_EXPORTS = {"DeepExposure": "agents.deep_exposure", "DeepExposurePolicy": "agents.policies",
            "load_packaged_policy": "agents.packaged"}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'agents' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value  # also replaces a submodule of the same name (exposure_env.retouch)
    return value
