"""DeepExposure as a Gymnasium environment.

``import exposure_env`` registers ``ExposureRetouch-v0``; ``gym.make("exposure_env:ExposureRetouch-v0")``
works without the import. The classes below are imported on first use, so that importing the
package (and answering a command-line tool's ``--help``) does not load torch or OpenCV.
"""

from __future__ import annotations

import lazy_loader
from gymnasium.envs.registration import register, registry

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "env": ["ExposureRetouchEnv"],
    "retouch": ["retouch"],
    "rewards.adversarial": ["GANReward"],
    "vector": ["ExposureRetouchVectorEnv", "SB3VecEnv"],
    "wrappers": ["GANRewardVectorWrapper", "GANRewardWrapper", "StackedObservation"],
})
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

