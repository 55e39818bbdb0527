"""DeepExposure as a Gymnasium environment.

``import exposure_env`` registers ``ExposureRetouch-v0``; ``gym.make("exposure_env:ExposureRetouch-v0")``
works without the import. The classes below are imported on first use, so that importing the
package (and answering a command-line tool's ``--help``) does not load torch or OpenCV.
"""

from __future__ import annotations

import importlib
from typing import Any

from gymnasium.envs.registration import register, registry

#: public name -> the module that defines it
_EXPORTS = {
    "ExposureRetouchEnv": "exposure_env.env",
    "ExposureRetouchVectorEnv": "exposure_env.vector",
    "GANReward": "exposure_env.rewards.adversarial",
    "GANRewardVectorWrapper": "exposure_env.wrappers",
    "GANRewardWrapper": "exposure_env.wrappers",
    "SB3VecEnv": "exposure_env.vector",
    "StackedObservation": "exposure_env.wrappers",
    "retouch": "exposure_env.retouch",
}
__all__ = list(_EXPORTS)
__version__ = "0.1.0"

ENV_ID = "ExposureRetouch-v0"
#: the env's ``reward_mode=`` values
REWARD_MODES = ("sparse", "shaped", "dense")

if ENV_ID not in registry:
    register(
        id=ENV_ID,
        entry_point="exposure_env.env:ExposureRetouchEnv",
        vector_entry_point="exposure_env.vector:ExposureRetouchVectorEnv",
    )


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'exposure_env' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value  # also replaces a submodule of the same name (exposure_env.retouch)
    return value
