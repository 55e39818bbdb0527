"""DeepExposure agents: the paper's learner as a Stable-Baselines3 algorithm, and reference baselines.

``from agents import DeepExposure``; ``agents.oracle`` holds the per-photo oracles that bound
what any policy can reach in this action space.
"""

from agents.deep_exposure import DeepExposure
from agents.policies import DeepExposurePolicy

__all__ = ["DeepExposure", "DeepExposurePolicy"]
