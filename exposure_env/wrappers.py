"""Wrappers around :class:`~exposure_env.env.ExposureRetouchEnv`."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces

from exposure_env.env import ExposureRetouchEnv
from exposure_env.mdp import OBSERVATION_KEYS
from exposure_env.rewards.adversarial import GANReward
from exposure_env.vector import ExposureRetouchVectorEnv


class StackedObservation(gym.ObservationWrapper):
    """The Dict observation as one ``(9, size, size)`` float32 array in ``[0, 1]``.

    Channel order ``seg, original, local`` (3 each, RGB): the policy input of appendix Fig. 2,
    ready for a custom CNN (``torch.from_numpy(obs)``).

    Args:
        env: an env with the ``Dict(seg, original, local)`` observation of ``ExposureRetouch-v0``.
        channels_last: ``(size, size, 9)`` instead, for encoders that take ``[H, W, C]`` images
            (RLlib's default CNN; see :mod:`exposure_env.rllib`).
    """

    KEYS = OBSERVATION_KEYS

    def __init__(self, env: gym.Env, channels_last: bool = False):
        super().__init__(env)
        space = env.observation_space
        if not isinstance(space, spaces.Dict) or set(space.spaces) != set(self.KEYS):
            raise TypeError(f"StackedObservation needs a Dict observation with keys {self.KEYS}, got {space}")
        height, width, _ = space["seg"].shape
        self.channels_last = channels_last
        shape = (height, width, 9) if channels_last else (9, height, width)
        self.observation_space = spaces.Box(0.0, 1.0, shape, np.float32)

    def observation(self, observation: dict[str, np.ndarray]) -> np.ndarray:
        stacked = np.concatenate([observation[key] for key in self.KEYS], axis=-1)
        if not self.channels_last:
            stacked = stacked.transpose(2, 0, 1)
        return np.ascontiguousarray(stacked, dtype=np.float32) / np.float32(255.0)


def _gan_reward(env: Any, gan_reward: GANReward | None, kwargs: dict[str, Any]) -> GANReward:
    """The wrapper's GAN reward: the one given, or a new one on the env's pool (its experts are M2)."""
    if gan_reward is not None:
        if kwargs:
            raise TypeError(f"pass either gan_reward= or GANReward arguments {sorted(kwargs)}, not both")
        return gan_reward
    kwargs.setdefault("expert_pool", env.pool)
    kwargs.setdefault("device", getattr(env, "device", "cpu"))
    return GANReward(**kwargs)


class GANRewardWrapper(gym.Wrapper):
    """The env's reward comes from a critic that keeps training on the agent's results (Alg. 1–2).

    The wrapped env scores with ``gan_reward.critic`` as it is *now* (terminal reward, and the
    potential in the shaped/dense modes); every finished episode's P_T goes into M1; the p-step
    pre-training runs at the first ``reset``; d-step updates follow ``gan_reward``'s schedule
    (see :class:`~exposure_env.rewards.adversarial.GANReward`), or SB3 roll-outs with
    :class:`~exposure_env.callbacks.GANRewardCallback`.

    Several envs (a ``SyncVectorEnv`` or SB3 ``DummyVecEnv``) share one critic when they are
    given the same ``gan_reward``::

        shared = GANReward("embedded")
        envs = gym.make_vec("ExposureRetouch-v0", num_envs=8, vectorization_mode="sync",
                            wrappers=[lambda env: GANRewardWrapper(env, shared)])

    Args:
        env: an ``ExposureRetouch-v0`` env (its ``reward=`` source is replaced).
        gan_reward: the shared reward; ``None`` builds one from ``gan_reward_kwargs`` with the
            env's pool as the expert pool M2 and the env's device.
    """

    def __init__(self, env: gym.Env, gan_reward: GANReward | None = None, **gan_reward_kwargs: Any):
        if not isinstance(env.unwrapped, ExposureRetouchEnv):
            raise TypeError(
                f"GANRewardWrapper needs an ExposureRetouch-v0 env (image observations, info['fused']); got "
                f"{type(env.unwrapped).__name__} with observation space {env.observation_space}"
            )
        super().__init__(env)
        self.gan_reward = _gan_reward(env.unwrapped, gan_reward, gan_reward_kwargs)
        self.gan_reward.attach(env.unwrapped)

    def reset(self, **kwargs: Any):
        self.gan_reward.pretrain(self.env.unwrapped)  # the p-step runs once, before the first reward
        return self.env.reset(**kwargs)

    def step(self, action: Any):
        observation, reward, terminated, truncated, info = self.env.step(action)
        if terminated:
            self.gan_reward.record(info["fused"][None])
        return observation, reward, terminated, truncated, info


class GANRewardVectorWrapper(gym.vector.VectorWrapper):
    """:class:`GANRewardWrapper` for the batched :class:`~exposure_env.vector.ExposureRetouchVectorEnv`.

    All N episodes score with one critic; the P_T of every finished episode (``info["fused"]``)
    goes into M1. For SB3, wrap the result with :class:`~exposure_env.vector.SB3VecEnv`.
    """

    def __init__(self, env: gym.vector.VectorEnv, gan_reward: GANReward | None = None, **gan_reward_kwargs: Any):
        if not isinstance(env.unwrapped, ExposureRetouchVectorEnv):
            raise TypeError(
                f"GANRewardVectorWrapper needs the batched ExposureRetouchVectorEnv; got {type(env.unwrapped).__name__}. "
                "For a SyncVectorEnv of single envs wrap each with GANRewardWrapper(env, shared_gan_reward)."
            )
        super().__init__(env)
        self.gan_reward = _gan_reward(env.unwrapped, gan_reward, gan_reward_kwargs)
        self.gan_reward.attach(env.unwrapped)

    def reset(self, **kwargs: Any):
        self.gan_reward.pretrain(self.env.unwrapped)
        return self.env.reset(**kwargs)

    def step(self, actions: Any):
        observations, rewards, terminated, truncated, infos = self.env.step(actions)
        if "_fused" in infos:
            finished = infos["_fused"]
            fused = infos["fused"]
            if isinstance(fused, torch.Tensor):
                fused = fused[torch.as_tensor(finished, device=fused.device)]
            else:
                fused = fused[finished]
            self.gan_reward.record(fused)
        return observations, rewards, terminated, truncated, infos
