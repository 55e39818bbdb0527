"""DeepExposure agents: the paper's learner as a Stable-Baselines3 algorithm, and reference baselines.

``from agents import DeepExposure``; ``agents.algorithms`` names every algorithm a model can be
trained with, ``agents.packaged`` loads the shipped policy, and ``agents.oracle`` holds the
per-photo oracles that bound what any policy can reach in this action space. The classes are
imported on first use, so that command-line tools answer ``--help`` without loading torch.
"""

from __future__ import annotations

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "deep_exposure": ["DeepExposure"], "packaged": ["load_packaged_policy"], "policies": ["DeepExposurePolicy"]})
