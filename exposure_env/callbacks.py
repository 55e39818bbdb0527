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

    Logged (SB3 logger, so TensorBoard scalars with ``tensorboard_log=``): ``gan_reward/memory_size``
    (M1 before the update), ``gan_reward/critic_updates``, ``gan_reward/episodes``, and the last
    update's ``gan_reward/wasserstein``, ``gan_reward/gradient_penalty`` and ``gan_reward/loss``.

    Works from an RL Zoo hyperparameter file (``callback: exposure_env.callbacks.GANRewardCallback``).

    :param gan_reward: the reward to drive; ``None`` finds it in the training env, where every
        sub-env's :class:`~exposure_env.wrappers.GANRewardWrapper` must share one.
    """

    def __init__(self, gan_reward: GANReward | None = None, verbose: int = 0):
        super().__init__(verbose)
        self.gan_reward = gan_reward

    def _init_callback(self) -> None:
        if self.gan_reward is None:
            try:
                found = self.training_env.get_attr("gan_reward")
            except AttributeError:
                raise ValueError("GANRewardCallback: the training env has no GANRewardWrapper; wrap it or pass "
                                 "gan_reward=") from None
            distinct = {id(reward): reward for reward in found}
            if len(distinct) != 1:
                raise ValueError(f"GANRewardCallback: the {len(found)} sub-envs hold {len(distinct)} different GAN "
                                 "rewards; give every GANRewardWrapper the same gan_reward= object")
            self.gan_reward = next(iter(distinct.values()))
        self.gan_reward.update_every = None  # roll-out boundaries drive the d-step from now on

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        memory_size = self.gan_reward.memory_size
        losses = self.gan_reward.update()
        self.logger.record("gan_reward/memory_size", memory_size)
        self.logger.record("gan_reward/critic_updates", self.gan_reward.num_critic_updates)
        self.logger.record("gan_reward/episodes", self.gan_reward.episodes)
        for name, value in losses.items():
            self.logger.record(f"gan_reward/{name}", value)


class AtomicCheckpoint(BaseCallback):
    """Save the model every ``every`` env steps with ``save(model, path)``, which must write atomically.

    SB3's ``CheckpointCallback`` writes a new file per checkpoint, in place, from any step; here one
    checkpoint file is replaced by rename, so an interrupt can never leave it half-written, and
    only at a roll-out start, when the policy, the critic and M1 agree (no roll-out half used).

    :param path: the checkpoint file.
    :param every: env steps between checkpoints.
    :param save: ``save(model, path)``, e.g. :func:`agents.algorithms.save` (plus the GAN reward's state).
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
