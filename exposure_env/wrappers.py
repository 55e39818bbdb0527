"""Wrappers around :class:`~exposure_env.env.ExposureRetouchEnv`."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces


class StackedObservation(gym.ObservationWrapper):
    """The Dict observation as one ``(9, size, size)`` float32 array in ``[0, 1]``.

    Channel order ``seg, original, local`` (3 each, RGB): the policy input of appendix Fig. 2,
    ready for a custom CNN (``torch.from_numpy(obs)``).
    """

    KEYS = ("seg", "original", "local")

    def __init__(self, env: gym.Env):
        super().__init__(env)
        space = env.observation_space
        if not isinstance(space, spaces.Dict) or set(space.spaces) != set(self.KEYS):
            raise TypeError(f"StackedObservation needs a Dict observation with keys {self.KEYS}, got {space}")
        height, width, _ = space["seg"].shape
        self.observation_space = spaces.Box(0.0, 1.0, (9, height, width), np.float32)

    def observation(self, observation: dict[str, np.ndarray]) -> np.ndarray:
        stacked = np.concatenate([observation[key] for key in self.KEYS], axis=-1)
        return np.ascontiguousarray(stacked.transpose(2, 0, 1), dtype=np.float32) / np.float32(255.0)
