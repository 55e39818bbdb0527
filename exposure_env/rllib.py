"""``ExposureRetouch-v0`` for RLlib: an env creator whose observation RLlib's default catalog takes.

::

    from ray.rllib.algorithms.ppo import PPOConfig
    from exposure_env.rllib import register

    register()  # then any RLlib algorithm trains on "ExposureRetouch-v0"
    algo = PPOConfig().environment("ExposureRetouch-v0", env_config={"num_segments": 4}).build_algo()

The reward is the env's own ``reward=`` (the packaged critic, fixed, by default). The retrained
GAN reward is refused: see :func:`make_env`. Importing this module does not import Ray;
:func:`register` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gymnasium as gym

from exposure_env import ENV_ID
from exposure_env.wrappers import StackedObservation

#: why ``reward="gan"`` does not run under RLlib, and what to use instead (one line)
GAN_REWARD_REFUSED = (
    "reward='gan' is refused under RLlib: every env-runner process would retrain its own copy of the GAN "
    "critic on its own episodes, and the copies would silently diverge; under RLlib use the fixed packaged "
    "critic, reward='discriminator' (the default), and for the retrained GAN reward use an SB3 agent with "
    "exposure_env.callbacks.GANRewardCallback or the DeepExposure agent (agents.DeepExposure)"
)


def make_env(env_config: Mapping[str, Any]) -> gym.Env:
    """RLlib's env creator: ``gym.make("ExposureRetouch-v0", **env_config)`` with a stacked observation.

    The observation is :class:`~exposure_env.wrappers.StackedObservation` with
    ``channels_last=True``: ``(size, size, 9)`` float32 in ``[0, 1]`` (channels ``seg, original,
    local``, RGB each), the ``[H, W, C]`` image RLlib's default CNN encoder takes (it has default
    filters for 64×64, the env's default ``size``; give ``model_config={"conv_filters": ...}``
    for other sizes). Actions, rewards and episodes are the env's: ``(1,)`` float32 in ``[-1, 1]``,
    T = ``num_segments`` steps.

    Args:
        env_config: the env's arguments (``pool``, ``reward``, ``device``, ``num_segments``,
            ``reward_mode``, ...); RLlib passes an ``EnvContext``, a dict.

    Returns:
        The wrapped env.

    Raises:
        ValueError: ``reward="gan"`` or a ``gan_reward`` entry (:data:`GAN_REWARD_REFUSED`), or
            a setting the env refuses.
    """
    settings = dict(env_config)
    if "gan_reward" in settings or (isinstance(settings.get("reward"), str) and settings["reward"] == "gan"):
        raise ValueError(GAN_REWARD_REFUSED)
    return StackedObservation(gym.make(ENV_ID, **settings), channels_last=True)


def register(name: str = ENV_ID) -> None:
    """Register :func:`make_env` with Ray under ``name``, for ``AlgorithmConfig.environment(name)``.

    Args:
        name: the id RLlib configs use; the Gymnasium id by default (RLlib looks in Ray's
            registry first, so this creator wins over ``gym.make``).

    Raises:
        ImportError: Ray is not installed.
    """
    try:
        from ray.tune.registry import register_env
    except ImportError as error:
        raise ImportError('exposure_env.rllib needs Ray: pip install -c constraints.txt -e ".[ray]"') from error
    register_env(name, make_env)
