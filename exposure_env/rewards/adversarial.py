"""The adversarial reward of appendix Alg. 1–2: a critic that keeps learning while any agent trains.

:class:`GANReward` is the one object of a training run that the environments (through
``GANRewardWrapper`` / ``GANRewardVectorWrapper``), an SB3 callback and the DeepExposure agent
share. It owns the :class:`~exposure_env.rewards.critic_trainer.CriticTrainer` (critic, M1, expert
sampler M2) and the schedule: p-step pre-training on random-policy roll-outs before the first
reward, then d-step critic updates on M1 vs M2 between roll-outs, after which M1 is emptied.
"""

from __future__ import annotations

import copy
import logging
import os
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.running_mean_std import RunningMeanStd
from tqdm import tqdm

from exposure_env.data import ImagePool, make_pool
from exposure_env.mdp import ExposureMDP
from exposure_env.atomic import atomic_write
from exposure_env.ops.fusion import fuse_exposures
from exposure_env.ops.resize import shrink_photo
from exposure_env.rewards.critic_trainer import CriticTrainer
from exposure_env.rewards.functions import DiscriminatorScore, load_packaged_critic
from exposure_env.rewards.networks import Critic, Discriminator

logger = logging.getLogger(__name__)

CRITIC_STARTS = ("packaged", "scratch")


class ExposureEnvLike(Protocol):
    """What the GAN reward reads from an ``ExposureRetouch`` env (single or batched)."""

    pool: ImagePool
    mdp: ExposureMDP
    score_fn: Any


def random_policy_results(env: ExposureEnvLike, n: int, rng: np.random.Generator) -> np.ndarray:
    """P_T of ``n`` pool photos under a uniformly random policy: the p-step roll-outs of Alg. 1–2.

    P_T only depends on S0 and the T exposures (it fuses the global images S^g_t), so the
    roll-out needs no segmentation. Returns ``(n, size, size, 3)`` float32 sRGB.
    """
    results = []
    for _ in range(n):
        _, original = shrink_photo(env.pool.sample(rng).raw, env.mdp.size)
        evs = rng.uniform(-env.mdp.max_ev, env.mdp.max_ev, env.mdp.num_segments)
        results.append(fuse_exposures(original, evs, env.mdp.fusion_weights, env.mdp.fuse_input))
    return np.stack(results)


def _check_count(name: str, value: Any, minimum: int, allow_none: bool = False) -> None:
    if allow_none and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"GANReward: {name} must be an integer >= {minimum}{' or None' if allow_none else ''}, "
                         f"got {value!r}")


class GANReward:
    """A discriminator reward that is retrained between roll-outs (appendix Alg. 1–2), for any agent.

    Attach it to environments with :class:`~exposure_env.wrappers.GANRewardWrapper` (single env,
    and Gymnasium ``SyncVectorEnv`` / SB3 ``DummyVecEnv`` of them: pass the same object to
    every sub-env) or :class:`~exposure_env.wrappers.GANRewardVectorWrapper` (the batched env).
    Every env then scores with the *current* critic, and every finished episode's P_T goes
    into M1. One object means one critic: it cannot be sent to another process.

    Schedule: before the first reward, ``p_steps`` critic updates, each on a fresh batch of
    random-policy results (:func:`random_policy_results`). Then ``d_steps`` updates on M1 vs
    experts whenever ``update_every`` episodes have finished since the last update — or, with
    ``update_every=None``, only when :meth:`update` is called (``GANRewardCallback`` does so at
    every SB3 roll-out end, which is "between roll-outs" for on- and off-policy algorithms).

    Reward normalisation (``normalize=True``): a WGAN critic is only defined up to an offset,
    and its scale drifts as it trains (the Wasserstein estimate grows when the agent's results
    get easy to tell apart, shrinks as the agent catches up). Value functions and PPO's
    advantage scale chase that drift. With ``normalize`` every score is standardised by the
    running mean and standard deviation of all scores seen (SB3's ``RunningMeanStd``); turn it
    on for long runs or algorithms without their own reward scaling. Off by default, so the
    reward is the paper's D(P_T).

    Args:
        expert_pool: expert photos M2 (an :class:`ImagePool` with experts, or a name for
            :func:`~exposure_env.data.make_pool`); ignored when ``trainer`` is given.
        trainer: an existing critic trainer to share; ``None`` builds one.
        p_steps: pre-training critic updates before the first reward (Alg. 1–2: 30); 0 skips.
        d_steps: critic updates per update (Alg. 1–2: 5).
        update_every: finished episodes between updates, or ``None`` for callback-driven.
        normalize: standardise scores by running statistics (see above).
        critic: start from the ``"packaged"`` pre-trained critic (a private copy) or from
            ``"scratch"`` (the paper), or a critic to train (a :class:`Discriminator`, or a
            :class:`CriticEnsemble` whose members all train through its weighted sum).
        learning_rate: Adam learning rate of the critic.
        batch_size: photos of each kind per critic update.
        device: torch device of the critic.
        seed: seeds the trainer's sampling (and the new critic's weights when ``"scratch"``).

    Raises:
        ValueError: a count out of range (``p_steps < 0``, ``d_steps < 1``, ``update_every < 1``),
            neither ``expert_pool`` nor ``trainer``, an expert pool without a readable expert
            photo, or an unknown ``critic``.
    """

    def __init__(
        self,
        expert_pool: ImagePool | str | None = None,
        *,
        trainer: CriticTrainer | None = None,
        p_steps: int = 30,
        d_steps: int = 5,
        update_every: int | None = 64,
        normalize: bool = False,
        critic: str | Critic = "packaged",
        learning_rate: float = 5e-5,
        batch_size: int = 64,
        device: str | torch.device = "cpu",
        seed: int = 0,
    ):
        _check_count("p_steps", p_steps, 0)
        _check_count("d_steps", d_steps, 1)
        _check_count("update_every", update_every, 1, allow_none=True)
        if trainer is None:
            if expert_pool is None:
                raise ValueError("GANReward: give an expert_pool (photos M2) or a trainer")
            pool = make_pool(expert_pool)
            if not pool.has_experts:
                raise ValueError(f"GANReward: expert_pool {type(pool).__name__} has no expert photos (M2)")
            try:  # an expert pool whose files are all unreadable fails now, not inside training
                pool.expert(np.random.default_rng(0))
            except (ValueError, OSError) as error:
                raise ValueError(f"GANReward: expert_pool has no readable expert photo: {error}") from None
            trainer = CriticTrainer(pool, self._initial_critic(critic, device, seed), learning_rate=learning_rate,
                                    batch_size=batch_size, device=device, seed=seed)
        self.trainer = trainer
        self.p_steps, self.d_steps, self.update_every = int(p_steps), int(d_steps), update_every
        self.running_stats = RunningMeanStd(shape=()) if normalize else None
        self.score_fn = DiscriminatorScore(trainer.critic, self.running_stats)
        self.pretrained = p_steps == 0
        self.episodes = 0  # finished episodes recorded
        self.episodes_since_update = 0
        self._owner_pid = os.getpid()

    @staticmethod
    def _initial_critic(critic: str | Critic, device: str | torch.device, seed: int) -> Critic:
        if isinstance(critic, Critic):
            return critic
        if critic == "packaged":
            return copy.deepcopy(load_packaged_critic(str(torch.device(device)))).train()
        if critic == "scratch":
            torch.manual_seed(seed)
            return Discriminator()
        raise ValueError(f"GANReward: unknown critic {critic!r}; expected one of {CRITIC_STARTS} or a critic module")

    @classmethod
    def from_env(cls, env: Any) -> GANReward | None:
        """The GAN reward an env's ``GANRewardWrapper`` / ``GANRewardVectorWrapper`` holds, if any.

        Args:
            env: a vector env that answers ``get_attr`` (an SB3 ``VecEnv`` of single envs, or the
                batched ``SB3VecEnv``), through any ``VecEnvWrapper``.

        Returns:
            The one :class:`GANReward` every sub-env shares, or ``None`` when the env is not wrapped
            with one.

        Raises:
            ValueError: the sub-envs hold different GAN rewards (one critic must score them all).
        """
        try:
            found = env.get_attr("gan_reward")
        except AttributeError:
            return None
        distinct = {id(reward): reward for reward in found}
        if len(distinct) > 1:
            raise ValueError(f"GANReward.from_env: the env's {len(found)} sub-envs hold {len(distinct)} different GAN "
                             "rewards; give every GANRewardWrapper the same gan_reward= object")
        return next(iter(distinct.values()), None)

    # ------------------------------------------------------------------ what callers read
    @property
    def critic(self) -> Critic:
        """The critic every attached env scores with (trained in place)."""
        return self.trainer.critic

    @property
    def memory_size(self) -> int:
        """Results waiting in M1."""
        return len(self.trainer.memory)

    @property
    def num_critic_updates(self) -> int:
        """Critic optimiser steps so far (pre-training included)."""
        return self.trainer.num_updates

    @property
    def last_losses(self) -> dict[str, float]:
        """The last critic update's ``wasserstein``, ``gradient_penalty`` and ``loss``."""
        return dict(self.trainer.last_losses)

    # ------------------------------------------------------------------ schedule
    def attach(self, env: ExposureEnvLike) -> None:
        """Make ``env`` (an unwrapped single or batched ExposureRetouch env) score with the current critic."""
        self._check_process()
        env.score_fn = self.score_fn

    def pretrain(self, env: ExposureEnvLike, progress_bar: bool = False) -> None:
        """The p-step, once: ``p_steps`` updates on random-policy results of ``env``'s photos vs experts.

        Often the longest phase of a short run, so it says so: a line on the ``logging`` logger
        ``exposure_env.rewards.adversarial`` (INFO), and with ``progress_bar`` a tqdm bar.
        """
        self._check_process()
        if self.pretrained:
            return
        logger.info("critic pre-training (p-step): %d updates, each on %d random-policy results", self.p_steps,
                    self.trainer.batch_size)
        for _ in tqdm(range(self.p_steps), desc="critic pre-training (p-step)", unit="update", disable=not progress_bar,
                      leave=False):
            self.trainer.add_results(random_policy_results(env, self.trainer.batch_size, self.trainer.rng))
            self.trainer.update(1)
        self.pretrained = True

    def record(self, fused: np.ndarray | torch.Tensor) -> None:
        """Put finished episodes' P_T (``(N, S, S, 3)``) into M1; update when ``update_every`` are in."""
        self._check_process()
        self.trainer.add_results(fused)
        self.episodes += len(fused)
        self.episodes_since_update += len(fused)
        if self.update_every is not None and self.episodes_since_update >= self.update_every:
            self.update()

    def update(self) -> dict[str, float]:
        """The d-step: ``d_steps`` critic updates on M1 vs experts, then M1 is emptied.

        Returns:
            The last update's losses (``wasserstein``, ``gradient_penalty``, ``loss``), or ``{}`` when M1
            was empty (nothing to learn from).

        Raises:
            RuntimeError: called in another process than the one that created this reward.
        """
        self._check_process()
        self.episodes_since_update = 0
        if not self.trainer.memory:
            return {}
        return self.trainer.update(self.d_steps)

    def update_and_record(self, logger: Logger, *, record_episodes: bool = True) -> dict[str, float]:
        """The d-step (:meth:`update`) with its figures recorded on an SB3 logger.

        Records ``gan_reward/memory_size`` (results in M1 before the update), ``gan_reward/critic_updates``
        (optimiser steps so far), with ``record_episodes`` ``gan_reward/episodes`` (finished episodes so far),
        and the update's ``gan_reward/wasserstein``, ``gan_reward/gradient_penalty`` and ``gan_reward/loss``
        (none when M1 was empty). With ``tensorboard_log=`` they are TensorBoard scalars.

        Args:
            logger: the algorithm's SB3 logger (``model.logger``).
            record_episodes: also record ``gan_reward/episodes``.

        Returns:
            The update's losses, as :meth:`update` returns them.

        Raises:
            RuntimeError: called in another process than the one that created this reward.
        """
        memory_size = self.memory_size
        losses = self.update()
        logger.record("gan_reward/memory_size", memory_size)
        logger.record("gan_reward/critic_updates", self.num_critic_updates)
        if record_episodes:
            logger.record("gan_reward/episodes", self.episodes)
        for name, loss in losses.items():
            logger.record(f"gan_reward/{name}", loss)
        return losses

    def _check_process(self) -> None:
        if os.getpid() != self._owner_pid:
            raise RuntimeError(
                "GANReward was created in another process: sub-processes would each train their own critic. "
                "Use the batched ExposureRetouchVectorEnv, or a sync vector env (SyncVectorEnv, DummyVecEnv)."
            )

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError(
            "GANReward cannot be pickled or sent to a sub-process (AsyncVectorEnv, SubprocVecEnv): one critic must be "
            "shared in one process. Use the batched ExposureRetouchVectorEnv or a sync vector env; save it with .save()."
        )

    # ------------------------------------------------------------------ persistence
    def state_dict(self) -> dict[str, Any]:
        """Trainer state (weights, optimiser, RNGs, M1, counters), schedule counters and running statistics."""
        stats = self.running_stats
        return {
            "trainer": self.trainer.state_dict(),
            "pretrained": self.pretrained,
            "episodes": self.episodes,
            "episodes_since_update": self.episodes_since_update,
            "running_stats": None if stats is None else [float(stats.mean), float(stats.var), float(stats.count)],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved (the schedule's settings stay this object's own)."""
        self.trainer.load_state_dict(state["trainer"])
        self.pretrained = bool(state["pretrained"])
        self.episodes = int(state["episodes"])
        self.episodes_since_update = int(state["episodes_since_update"])
        if (state["running_stats"] is None) != (self.running_stats is None):
            raise ValueError("GANReward.load_state_dict: the saved state and this object disagree on normalize=")
        if self.running_stats is not None:
            mean, var, count = state["running_stats"]
            self.running_stats.mean, self.running_stats.var, self.running_stats.count = (
                np.float64(mean), np.float64(var), float(count))

    def save(self, path: str | os.PathLike) -> Path:
        """Write :meth:`state_dict` to ``path`` atomically (beside an SB3 model: :func:`companion_path`)."""
        return atomic_write(path, lambda temporary: torch.save(self.state_dict(), temporary))

    def restore(self, path: str | os.PathLike) -> None:
        """Load a file written by :meth:`save`; the reward continues exactly where it stopped.

        Args:
            path: the state file (beside an SB3 model: :func:`companion_path`).

        Raises:
            FileNotFoundError: ``path`` does not exist.
            ValueError: ``path`` is no GAN-reward state file, or its ``normalize=`` differs from this object's.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"GANReward.restore: {path} does not exist")
        try:
            state = torch.load(path, map_location=self.trainer.device, weights_only=True)
        except Exception as error:  # noqa: BLE001 - any unpickling failure means the same thing to the user
            raise ValueError(f"GANReward.restore: {path} is not a GAN-reward state file ({error})") from None
        self.load_state_dict(state)


def companion_path(model_path: str | os.PathLike) -> Path:
    """Where the GAN-reward state of an SB3 model file lives: ``run/model.zip`` -> ``run/model.gan_reward.pt``."""
    path = Path(model_path)
    stem = path.name[: -len(".zip")] if path.name.endswith(".zip") else path.name
    return path.with_name(f"{stem}.gan_reward.pt")
