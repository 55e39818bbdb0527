"""DeepExposure as a Gymnasium environment.

``import exposure_env`` registers ``ExposureRetouch-v0``; ``gym.make("exposure_env:ExposureRetouch-v0")``
works without the import.
"""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

from exposure_env.env import ExposureRetouchEnv
from exposure_env.retouch import retouch
from exposure_env.rewards.adversarial import GANReward
from exposure_env.vector import ExposureRetouchVectorEnv, SB3VecEnv
from exposure_env.wrappers import GANRewardVectorWrapper, GANRewardWrapper, StackedObservation

__all__ = [
    "ExposureRetouchEnv",
    "ExposureRetouchVectorEnv",
    "GANReward",
    "GANRewardVectorWrapper",
    "GANRewardWrapper",
    "SB3VecEnv",
    "StackedObservation",
    "retouch",
]
__version__ = "0.1.0"

ENV_ID = "ExposureRetouch-v0"

if ENV_ID not in registry:
    register(
        id=ENV_ID,
        entry_point="exposure_env.env:ExposureRetouchEnv",
        vector_entry_point="exposure_env.vector:ExposureRetouchVectorEnv",
    )
