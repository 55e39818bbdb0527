"""Stable-Baselines3 callbacks: the GAN reward's d-step at roll-out ends, and atomic checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback

from exposure_env.rewards.adversarial import GANReward


class GANRewardCallback(BaseCallback):
    """Run the GAN reward's d-step exactly at SB3 roll-out boundaries and log the critic.

    On- and off-policy algorithms alike call ``on_rollout_end`` after collecting experience and
    before training on it, so updating the critic there is "between roll-outs" (Alg. 1–2): the
    agent's next roll-out is scored by a critic that has seen its previous results. Taking over
    the schedule sets ``gan_reward.update_every = None``.

    Logged (SB3 logger, so TensorBoard scalars with ``tensorboard_log=``): the d-step figures of
    :meth:`~exposure_env.rewards.adversarial.GANReward.update_and_record` (``gan_reward/memory_size``,
    ``gan_reward/critic_updates``, ``gan_reward/episodes`` and the last update's losses).

    Works from an RL Zoo hyperparameter file (``callback: exposure_env.callbacks.GANRewardCallback``).

    Args:
        gan_reward: the reward to drive; ``None`` finds it in the training env
            (:meth:`~exposure_env.rewards.adversarial.GANReward.from_env`), where every sub-env's
            :class:`~exposure_env.wrappers.GANRewardWrapper` must share one.
        verbose: SB3's callback verbosity (0: silent).

    Raises:
        ValueError: at training start, when ``gan_reward`` is ``None`` and the training env holds no
            GAN reward, or its sub-envs hold different ones.
    """

    def __init__(self, gan_reward: GANReward | None = None, verbose: int = 0):
        super().__init__(verbose)
        self.gan_reward = gan_reward

    def _init_callback(self) -> None:
        if self.gan_reward is None:
            self.gan_reward = GANReward.from_env(self.training_env)
            if self.gan_reward is None:
                raise ValueError("GANRewardCallback: the training env has no GANRewardWrapper; wrap it or pass "
                                 "gan_reward=")
        self.gan_reward.update_every = None  # roll-out boundaries drive the d-step from now on

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        self.gan_reward.update_and_record(self.logger)


class AtomicCheckpoint(BaseCallback):
    """Save the model every ``every`` env steps with ``save(model, path)``, which must write atomically.

    SB3's ``CheckpointCallback`` writes a new file per checkpoint, in place, from any step; here one
    checkpoint file is replaced by rename, so an interrupt can never leave it half-written, and
    only at a roll-out start, when the policy, the critic and M1 agree (no roll-out half used).

    Args:
        path: the checkpoint file (replaced whole at each checkpoint).
        every: env steps between checkpoints (counted as SB3's ``num_timesteps``, over all sub-envs).
        save: ``save(model, path)``, e.g. :func:`agents.algorithms.save` (plus the GAN reward's state).
    """

    def __init__(self, path: Path, every: int, save: Callable[[BaseAlgorithm, Path], object]):
        super().__init__()
        self.path, self.every, self.save = path, every, save
        self._next = every

    def _on_rollout_start(self) -> None:
        if self.num_timesteps >= self._next:
            self._next = self.num_timesteps + self.every
            self.save(self.model, self.path)

    def _on_step(self) -> bool:
        return True
