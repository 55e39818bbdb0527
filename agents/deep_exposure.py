"""DeepExposure (Yu et al., NeurIPS 2018), appendix Alg. 1 and 2, as a Stable-Baselines3 algorithm.

One iteration of :meth:`DeepExposure.learn`:

1. roll out ``n_images`` photos × T steps with the current policy plus Ornstein–Uhlenbeck noise
   (:meth:`collect_rollouts`); no replay buffer (appendix A: the batched on-policy update
   matches experience replay with a buffer of N·T − 1 transitions);
2. one g-step (:meth:`train`): ``gradient_steps`` actor updates on minibatches of the roll-out's
   photos. The actor ascends the advantage through the differentiable transition p(s, a)
   (``agents.transition``):

   - ``value="network"`` (Alg. 1): V_ω, trained by the TD error of Eq. 12, values the image a
     step produces, so Q(s_t, a) = V_ω(p(s_t, a)) and ∇_a A(s_t, a) = ∇_a V_ω(p(s_t, a));
   - ``value="discriminator"`` (Alg. 2): no value network; A(s_t, a) = C_t·D(P_T) with
     C_t = (γ − 1)γ^{T−t} (Eq. 19): the actor ascends D(P_T) (Eq. 24, a generator loss −E[D]
     scaled by a positive constant). With the reference reward, the reward itself is the value;

   with ``objective="fused"`` (default) the value is taken of P_T itself, through the whole
   episode unrolled by the current policy (appendix C); with ``objective="local"`` of its
   stand-in S^l_{t+1} = p(s_t, a), per transition;
3. the d-step: ``d_steps`` critic updates on this iteration's results (M1) vs experts (M2).

The critic is the one of a :class:`~exposure_env.rewards.adversarial.GANReward` shared with the
environment, so the env's reward and the agent's value are the same discriminator.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import math
import os
import sys
import warnings
import time
from pathlib import Path
from typing import Any, ClassVar, Iterator, NamedTuple, TypeVar

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.noise import OrnsteinUhlenbeckActionNoise, VectorizedActionNoise
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.save_util import load_from_zip_file
from stable_baselines3.common.type_aliases import GymEnv, MaybeCallback, Schedule
from stable_baselines3.common.utils import obs_as_tensor, safe_mean
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv, VecEnvWrapper, VecMonitor, is_vecenv_wrapped
from torch import nn

from agents import algorithms
from agents.policies import DeepExposurePolicy
from agents.transition import after_state, segment_mask, unroll
from exposure_env import ENV_ID
from exposure_env.atomic import atomic_write, signals_held
from exposure_env.mdp import OBSERVATION_KEYS
from exposure_env.rewards.adversarial import GANReward, companion_path
from exposure_env.rewards.functions import DiscriminatorScore, negative_rmse_torch, reference_score
from exposure_env.vector import ExposureRetouchVectorEnv, SB3VecEnv

VALUES = ("network", "discriminator")
#: what stands in for P_T in the actor's objective: the fused result of the unrolled episode, or S^l_{t+1}
OBJECTIVES = ("fused", "local")
VALUE_INITS = ("discriminator", "random")
#: the actor's default Adam learning rate
ACTOR_LEARNING_RATE = 1e-3
#: V_ω's default learning rates (measured, embedded photos, 8192 steps): copied from the critic it only needs
#: refining (1e-4: 18.55 dB held-out; 1e-3 drifted, 17.28 dB); from random weights it must catch up with the
#: moving policy (1e-3; at 1e-4 the tiny test problem's held-out return did not rise)
VALUE_LEARNING_RATES = {"critic": 1e-4, "random": 1e-3}
SelfDeepExposure = TypeVar("SelfDeepExposure", bound="DeepExposure")


class Rollout(NamedTuple):
    """N·T transitions of one roll-out, flattened time-major (row ``k·n_envs + i`` = step k of env i).

    ``next_index[j]`` is the row of the same episode's next transition, valid where ``has_next``.
    """

    observations: dict[str, torch.Tensor]  # (K, 3, H, W) uint8 each
    actions: torch.Tensor  # (K, 1) the actions taken (policy + OU noise, clipped)
    rewards: torch.Tensor  # (K,)
    steps: torch.Tensor  # (K,) t of each transition, 0..T-1
    dones: torch.Tensor  # (K,) bool: the episode ended with this transition
    has_next: torch.Tensor  # (K,) bool
    next_index: torch.Tensor  # (K,) long
    fused: torch.Tensor  # (E, 3, H, W) P_T of every finished episode, in row order of its last transition
    targets: torch.Tensor | None  # (E, 3, H, W) their expert targets (paired pools), else None


class ValueTargets(NamedTuple):
    """What V_ω is fitted to (Alg. 1, TD error of Eq. 12): the taken actions' results and their rewards."""

    results: torch.Tensor  # (K, 3, H, W) float sRGB: P_T, or S^l_{t+1} = p(s_t, a_t) of the taken a_t
    steps: torch.Tensor  # (K,) long: t, the value head that rates each result
    rewards: torch.Tensor  # (K,) float32: r_t
    #: (has_next, next_index, usable) of the rows (see :class:`Rollout`; usable: rows with a TD target),
    #: or None when every row is its episode's last step (δ_T = r_T − V_ω)
    successors: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None


class Minibatch(NamedTuple):
    """One actor minibatch: what the current policy π_θ makes of some of the roll-out's photos."""

    results: torch.Tensor  # (B, 3, H, W) float sRGB, differentiable in θ: P_T of the unrolled episodes, or S^l_{t+1}
    steps: torch.Tensor  # (B,) long: t of each result's value head (T − 1 for P_T)
    targets: torch.Tensor | None  # (B, 3, H, W) the photos' expert targets (paired pools), else None
    action_mean: torch.Tensor  # () mean of the policy's actions, in action units (1 = max_ev stops)
    action_std: torch.Tensor  # () their spread across photos, in action units


@contextlib.contextmanager
def frozen(module: nn.Module) -> Iterator[None]:
    """Let gradients flow *through* ``module`` to its inputs without touching its parameters."""
    flags = [parameter.requires_grad for parameter in module.parameters()]
    module.requires_grad_(False)
    try:
        yield
    finally:
        for parameter, flag in zip(module.parameters(), flags):
            parameter.requires_grad_(flag)


def _check_spaces(observation_space: spaces.Space, action_space: spaces.Space) -> None:
    image_boxes = isinstance(observation_space, spaces.Dict) and set(observation_space.spaces) == set(OBSERVATION_KEYS) and all(
        isinstance(space, spaces.Box) and space.dtype == np.uint8 and len(space.shape) == 3
        for space in observation_space.spaces.values())
    if not image_boxes:
        raise ValueError(f"DeepExposure needs the Dict image observation {OBSERVATION_KEYS} of ExposureRetouch-v0 (uint8 "
                         f"images); the env has {observation_space}")
    if not isinstance(action_space, spaces.Box) or action_space.shape != (1,):
        raise ValueError(f"DeepExposure needs a Box action of shape (1,) (one exposure value); the env has {action_space}")


def _exposure_envs(venv: VecEnv) -> list[Any]:
    """The unwrapped ExposureRetouch envs behind ``venv`` (single envs, or the one batched env)."""
    while isinstance(venv, VecEnvWrapper):
        venv = venv.venv
    if isinstance(venv, DummyVecEnv):
        return [env.unwrapped for env in venv.envs]
    if isinstance(venv, SB3VecEnv):
        return [venv.env.unwrapped]
    raise ValueError(f"DeepExposure needs its envs in this process (DummyVecEnv or the batched SB3VecEnv), got "
                     f"{type(venv).__name__}: one critic must be shared by the env's reward and the agent")


def _env_attribute(venv: VecEnv, name: str) -> Any:
    """An attribute of the ExposureRetouch env(s) behind ``venv``, through any wrappers."""
    try:
        return _exposure_envs(venv)[0].__getattribute__(name)
    except ValueError:  # sub-processes: ask them
        return venv.get_attr(name, indices=[0])[0]


class EpisodeBatches:
    """``objective="fused"`` (appendix C, ∇θJ ≈ C·∇θL_G): the roll-out's whole episodes, replayed by π_θ.

    Every episode is unrolled from its S0 and masks by the current deterministic policy
    (:func:`~agents.transition.unroll`) and valued by its fused P_T itself. The OU-noised roll-out
    supplies the photos, the critic's memory M1 and V_ω's data (its P_T and terminal rewards).

    Args:
        agent: the agent (its actor, ``max_ev``, fusion weights, T, batch size and gradient steps).
        rollout: the roll-out to train on.

    Raises:
        ValueError: the roll-out holds no whole episode, or no ``info["fused"]``.
    """

    def __init__(self, agent: DeepExposure, rollout: Rollout):
        episodes, finished = agent._whole_episodes(rollout)
        if len(episodes) == 0 or rollout.fused is None:
            raise ValueError(f"DeepExposure: objective='fused' needs whole episodes with info['fused'] in a roll-out; "
                             f"this one has {len(episodes)} (n_images={agent.n_images}, {agent.n_envs} envs)")
        self.agent, self.rollout, self.episodes, self.finished = agent, rollout, episodes, finished
        count, steps = episodes.shape
        self.original = rollout.observations["original"][episodes[:, 0]].float() / 255.0  # S0, (E, 3, H, W)
        seg = rollout.observations["seg"][episodes.reshape(-1)].float() / 255.0
        self.masks = segment_mask(seg, self.original.repeat_interleave(steps, dim=0)).view(
            count, steps, *self.original.shape[-2:])  # (E, T, H, W)
        self.targets = None if rollout.targets is None else rollout.targets[finished]  # (E, 3, H, W)

    def value_targets(self) -> ValueTargets:
        """Eq. 12 at the last step, δ = r_T − V_ω(P_T), on the results of the taken actions."""
        count, steps = self.episodes.shape
        taken_results, terminal_rewards = self.rollout.fused[self.finished], self.rollout.rewards[self.episodes[:, -1]]
        last_step = torch.full((count,), steps - 1, device=self.original.device)
        return ValueTargets(taken_results, last_step, terminal_rewards, None)

    def minibatches(self) -> Iterator[Minibatch]:
        """``gradient_steps`` minibatches of ``batch_size`` episodes, in one random order, each unrolled by the
        current policy (drawn lazily: each one after the previous actor step)."""
        agent, count = self.agent, len(self.episodes)
        order = torch.randperm(count, device=self.original.device)
        batch_size = min(agent.batch_size, count)
        for gradient_step in range(agent.gradient_steps):
            start = (gradient_step * batch_size) % count
            batch = order[start : start + batch_size]
            fused, _, actions = unroll(agent.policy.actor, self.original[batch], self.masks[batch], agent.max_ev,
                                       agent.fusion_weights, agent.fuse_input, agent.shoulder)
            yield Minibatch(fused, torch.full((len(fused),), agent.num_segments - 1, device=fused.device),
                            None if self.targets is None else self.targets[batch],
                            actions.mean(), actions.std(dim=0).mean())  # std across photos


class TransitionBatches:
    """``objective="local"``: the roll-out's transitions, with S^l_{t+1} = p(s_t, π_θ(s_t)) standing in for P_T
    (Eq. 19, 24).

    Args:
        agent: the agent (its actor, ``max_ev``, T, batch size and gradient steps, and whether its
            value is the reference reward, which scores each transition against its photo's target).
        rollout: the roll-out to train on.

    Raises:
        ValueError: Alg. 2 with the reference reward, and no whole episode with its target in the roll-out.
    """

    def __init__(self, agent: DeepExposure, rollout: Rollout):
        self.agent, self.rollout = agent, rollout
        self.images = {key: rollout.observations[key].float() / 255.0 for key in OBSERVATION_KEYS}  # (K, 3, H, W) each
        self.count, self.row_targets = len(rollout.steps), None  # minibatches draw from `rows`, `count` of them
        if agent.value == "discriminator" and agent._reference_reward:  # each transition scored against its target
            episodes, finished = agent._whole_episodes(rollout)
            if rollout.targets is None or len(episodes) == 0:
                raise ValueError("DeepExposure: the reference reward needs whole episodes with their targets in a "
                                 "roll-out")
            self.row_targets = rollout.targets.new_zeros((self.count, *rollout.targets.shape[1:]))
            self.row_targets[episodes] = rollout.targets[finished][:, None].expand(-1, episodes.shape[1], -1, -1, -1)
            self.count = int(episodes.numel())  # only the rows of whole episodes have a target
            self.rows = episodes.reshape(-1)
        else:
            self.rows = torch.arange(len(rollout.steps), device=rollout.steps.device)

    def value_targets(self) -> ValueTargets:
        """Eq. 12 (TD) on S^l_{t+1} = p(s_t, a_t) of the taken actions; a roll-out cut mid-episode has no target
        for its last step."""
        rollout = self.rollout
        with torch.no_grad():
            taken_after_state = after_state(self.images, rollout.actions, self.agent.max_ev, self.agent.shoulder)
        usable = rollout.dones | rollout.has_next
        return ValueTargets(taken_after_state, rollout.steps, rollout.rewards,
                            (rollout.has_next, rollout.next_index, usable))

    def minibatches(self) -> Iterator[Minibatch]:
        """``gradient_steps`` minibatches of ``batch_size`` episodes' worth of transitions, each drawn at random
        and acted on by the current policy (drawn lazily: each one after the previous actor step)."""
        agent, steps = self.agent, self.rollout.steps
        batch_size = min(agent.batch_size * agent.num_segments, self.count)
        for _ in range(agent.gradient_steps):
            batch = self.rows[torch.randperm(self.count, device=steps.device)[:batch_size]]
            batch_images = {key: self.images[key][batch] for key in OBSERVATION_KEYS}
            state = torch.cat([batch_images[key] for key in OBSERVATION_KEYS], dim=1)  # s_t = (seg_t, S0, S^l_t)
            policy_actions = agent.policy.actor(state)  # π_θ(s_t)
            policy_after_state = after_state(batch_images, policy_actions, agent.max_ev,
                                             agent.shoulder)  # p(s_t, π_θ(s_t))
            yield Minibatch(policy_after_state, steps[batch],
                            None if self.row_targets is None else self.row_targets[batch],
                            policy_actions.mean(), policy_actions.std())


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def check_companion(model_path: Path, sha256: str | None) -> Path:
    """The GAN-reward file saved beside ``model_path``, checked to be the one saved with it.

    Args:
        model_path: a saved model.
        sha256: the SHA-256 the model recorded of its GAN-reward file (``model.gan_reward_sha256``), or ``None``
            for a model saved before it was recorded (its file is taken as it is).

    Raises:
        ValueError: the file is missing, or it was written by another save than the model (a run stopped
            between the two files); the message names both.
    """
    companion = companion_path(model_path)
    if not companion.is_file():
        raise ValueError(f"{companion} is missing: {model_path} was saved with its GAN reward's critic in that file. "
                         "Put it back, or start a new run (a new critic would not be the one the agent learnt with)")
    if sha256 is not None and file_sha256(companion) != sha256:
        raise ValueError(f"{companion} was not written with {model_path} (the run was stopped between the two files?): "
                         "their critic and agent are from different steps. Start a new run, or restore both from "
                         "one save")
    return companion


def saved_env_settings(saved: dict[str, Any]) -> dict[str, Any]:
    """The env settings a saved model's data records (``env_settings``; size, T, ``max_ev`` and fusion weights alone
    for a model saved before they were recorded)."""
    if "env_settings" in saved:
        return dict(saved["env_settings"])
    return {"size": int(saved["observation_space"]["seg"].shape[-1]), "num_segments": int(saved["num_segments"]),
            "max_ev": float(saved["max_ev"]), "fusion_weights": tuple(saved["fusion_weights"])}


class DeepExposure(BaseAlgorithm):
    """DeepExposure I (``value="network"``, Alg. 1) and II (``value="discriminator"``, Alg. 2).

    Train on ``"ExposureRetouch-v0"`` (the batched env with ``n_images`` photos is built), a
    single env, or any ``VecEnv`` of it in this process. The GAN reward: a
    :class:`~exposure_env.rewards.adversarial.GANReward` given as ``gan_reward=``, or found in the
    env (``GANRewardWrapper`` / ``GANRewardVectorWrapper``), is shared and driven by the agent
    (its own p/d-step settings apply). Otherwise, when the env's reward is a discriminator (the
    default) or ``value="discriminator"``, the agent builds one on the env's pool with
    ``p_steps``/``d_steps`` and, for a discriminator reward, makes the env score with it. With a
    ``"reference"`` or custom reward and ``value="network"`` no critic is trained.

    Args:
        policy: ``"MultiInputPolicy"`` (alias of :class:`~agents.policies.DeepExposurePolicy`).
        env: ``"ExposureRetouch-v0"``, a ``gym.Env`` or a ``VecEnv`` with the Dict image
            observation and the ``Box(-1, 1, (1,))`` action.
        value: ``"network"`` (Alg. 1) or ``"discriminator"`` (Alg. 2).
        learning_rate: Adam learning rate of the actor (a float or an SB3 schedule). 1e-3 is what
            made the statistics actor learn from 0 EV; with the EV prior, 1e-4 ends as high or
            higher on the embedded photos (``docs/results/learning_ladder``).
        value_learning_rate: Adam learning rate of V_ω; default (``None``): 1e-4 when V_ω starts
            from the critic (``value_init="discriminator"``), 1e-3 when it starts from random weights and
            must catch up with the moving policy (with the actor's rate it followed an unfit V_ω downhill).
        value_epochs: TD passes of V_ω over each roll-out before the actor follows it
            (Alg. 1 takes one; a fresh V_ω then hands the actor random gradients, ``docs/agents.md``).
        value_init: how V_ω starts (``value="network"``): ``"discriminator"`` (default) as the
            discriminator-as-value of Eq. 15–19, V(S^l_{t+1}, t) = γ^{T−1−t}·D(S^l_{t+1}), copied from
            the critic after the p-step, then refined by TD; ``"random"``: fresh weights, Alg. 1 as
            written. Without a critic (reference reward) V_ω starts random either way.
        objective: what stands in for P_T in the actor's objective. ``"fused"`` (default): each
            episode is unrolled by the current policy from its S0 and masks and the actor ascends the
            value of the fused P_T itself (appendix C's generator view, :func:`~agents.transition.unroll`).
            ``"local"``: per transition, the value of S^l_{t+1} = p(s_t, π(s_t)) (Eq. 19's approximation).
        gradient_steps: actor updates per roll-out (one g-step), each on a minibatch.
        batch_size: episodes per minibatch (``"local"``: their T transitions' worth).
        n_images: photos (episodes) per roll-out, the N of appendix A; rounded up to a
            multiple of the env count.
        gamma: discount γ (Eq. 12, 19).
        ou_sigma: σ of the Ornstein–Uhlenbeck exploration noise, in action units (1 = ``max_ev`` stops).
        ou_theta: θ, its pull back to 0 per step (one env step is one unit of time).
        p_steps: critic pre-training updates before the first roll-out (Alg. 1–2: 30).
        d_steps: critic updates after every policy update (Alg. 1–2: 5). ``0``: no critic is
            built or trained; with a discriminator reward (e.g. the packaged critic) the agent values
            with the env's critic as it is, a fixed reward (``p_steps`` is then unused).
        gan_reward: the GAN reward to share (default: found in the env, or built).
        critic: start of a critic the agent builds: ``"packaged"`` or ``"scratch"`` (the paper).
        policy_kwargs: extra arguments of the policy (e.g. ``widths``).
        stats_window_size: episodes averaged for ``rollout/ep_rew_mean``.
        tensorboard_log: TensorBoard folder (SB3's logger).
        verbose: 0 silent, 1 training logs.
        seed: seeds torch, numpy, the env and the noise.
        device: torch device of the networks (``"auto"``: CUDA when available).
        _init_setup_model: build the networks now (SB3's ``load`` builds them itself).

    Raises:
        ValueError: an unknown ``value``, ``value_init`` or ``objective``; a count below 1
            (``n_images``, ``value_epochs``, ``gradient_steps``, ``batch_size``); ``gamma`` outside
            (0, 1]; negative ``p_steps``, ``d_steps``, ``ou_sigma`` or ``ou_theta``; an env without the
            Dict image observation or the ``(1,)`` Box action.
    """

    policy_aliases: ClassVar[dict[str, type[BasePolicy]]] = {
        "MultiInputPolicy": DeepExposurePolicy, "DeepExposurePolicy": DeepExposurePolicy,
    }
    policy: DeepExposurePolicy

    def __init__(
        self,
        policy: str | type[DeepExposurePolicy],
        env: GymEnv | str | None,
        value: str = "network",
        learning_rate: float | Schedule = ACTOR_LEARNING_RATE,
        value_learning_rate: float | None = None,
        value_epochs: int = 8,
        value_init: str = "discriminator",
        objective: str = "fused",
        gradient_steps: int = 4,
        batch_size: int = 32,
        n_images: int = 64,
        gamma: float = 0.99,
        ou_sigma: float = 0.2,
        ou_theta: float = 0.15,
        p_steps: int = 30,
        d_steps: int = 5,
        gan_reward: GANReward | None = None,
        critic: str = "packaged",
        policy_kwargs: dict[str, Any] | None = None,
        stats_window_size: int = 100,
        tensorboard_log: str | None = None,
        verbose: int = 0,
        seed: int | None = None,
        device: torch.device | str = "auto",
        _init_setup_model: bool = True,
    ):
        if value not in VALUES:
            raise ValueError(f"DeepExposure: unknown value {value!r}; expected one of {VALUES}")
        if value_init not in VALUE_INITS:
            raise ValueError(f"DeepExposure: unknown value_init {value_init!r}; expected one of {VALUE_INITS}")
        if objective not in OBJECTIVES:
            raise ValueError(f"DeepExposure: unknown objective {objective!r}; expected one of {OBJECTIVES}")
        for name, number in (("n_images", n_images), ("value_epochs", value_epochs), ("gradient_steps", gradient_steps),
                             ("batch_size", batch_size)):
            if isinstance(number, bool) or not isinstance(number, (int, np.integer)) or number < 1:
                raise ValueError(f"DeepExposure: {name} must be an integer >= 1, got {number!r}")
        if not 0.0 < gamma <= 1.0:
            raise ValueError(f"DeepExposure: gamma must be in (0, 1], got {gamma!r}")
        if p_steps < 0 or d_steps < 0:
            raise ValueError(f"DeepExposure: p_steps and d_steps must be >= 0, got {p_steps!r}, {d_steps!r}")
        if ou_sigma < 0 or ou_theta < 0:
            raise ValueError(f"DeepExposure: ou_sigma and ou_theta must be >= 0, got {ou_sigma!r}, {ou_theta!r}")
        if isinstance(env, str) and env.split(":")[-1] == ENV_ID:  # the batched env, one photo per env
            env = SB3VecEnv(ExposureRetouchVectorEnv(int(n_images)))
        if isinstance(env, VecEnv) and not is_vecenv_wrapped(env, VecMonitor) and not any(env.env_is_wrapped(Monitor)):
            env = VecMonitor(env)  # episode returns for rollout/ep_rew_mean
        # the actor's EV prior is always recorded, so a saved model keeps the actor it was trained with
        policy_kwargs = {"ev_prior": "auto-exposure", **(policy_kwargs or {})}
        super().__init__(policy, env, learning_rate, policy_kwargs=policy_kwargs, stats_window_size=stats_window_size,
                         tensorboard_log=tensorboard_log, verbose=verbose, device=device, support_multi_env=True,
                         seed=seed)
        if self.env is not None:
            _check_spaces(self.observation_space, self.action_space)
        self.value, self.value_learning_rate, self.value_epochs = value, value_learning_rate, int(value_epochs)
        self.value_init, self.objective = value_init, objective
        self.gradient_steps, self.batch_size = int(gradient_steps), int(batch_size)
        self.n_images, self.gamma = int(n_images), float(gamma)
        self.ou_sigma, self.ou_theta = float(ou_sigma), float(ou_theta)
        self.p_steps, self.d_steps, self.critic_start = int(p_steps), int(d_steps), critic
        self.gan_reward = gan_reward
        self._records_results = False  # the agent itself puts results into M1 (no wrapper does)
        self._reference_reward = False  # the env's reward is −RMSE to the target (set by _resolve_gan_reward)
        self._fixed_critic: nn.Module | None = None  # d_steps=0: the env's critic, kept as it is
        self._gan_reward_file: Path | None = None  # load(): the model whose GAN-reward state resumes at the next learn
        self.gan_reward_sha256: str | None = None  # save(): of the GAN-reward file written beside the model
        self._episode_steps: np.ndarray | None = None
        if _init_setup_model:
            self._setup_model()

    @property
    def fuse_input(self) -> bool:
        """Whether P_T also fuses S0's own 0-EV frame (the env's ``fuse_input``; ``False`` for a model saved before
        the setting existed)."""
        return bool(getattr(self, "env_settings", {}).get("fuse_input", False))

    @property
    def shoulder(self) -> float | None:
        """The highlight-shoulder knee of the env's exposures (its ``shoulder``; ``None``, the clip, for a model
        saved before the setting existed)."""
        return getattr(self, "env_settings", {}).get("shoulder")

    def retouch_settings(self) -> dict[str, Any]:
        """The env settings :func:`exposure_env.retouch.retouch` needs to act and render as in training: the
        thumbnail ``size``, ``num_segments`` T, ``max_ev``, and ``fuse_input`` and ``shoulder`` where they are set."""
        settings = {"size": int(self.observation_space["seg"].shape[-1]), "num_segments": int(self.num_segments),
                    "max_ev": float(self.max_ev)}
        return {**settings, **({"fuse_input": True} if self.fuse_input else {}),
                **({"shoulder": self.shoulder} if self.shoulder is not None else {})}

    @property
    def critic(self) -> nn.Module | None:
        """The discriminator the agent values with: the GAN reward's (retrained), or with ``d_steps=0`` the env's
        own critic, fixed; ``None`` when there is none (e.g. the reference reward)."""
        if self.gan_reward is not None:
            return self.gan_reward.critic
        return self._fixed_critic

    # ------------------------------------------------------------------ set-up
    def _setup_model(self) -> None:
        self._setup_lr_schedule()
        self.set_random_seed(self.seed)
        if self.env is not None:
            mdp = _env_attribute(self.env, "mdp")
            self.num_segments, self.max_ev, self.fusion_weights = mdp.num_segments, mdp.max_ev, mdp.fusion_weights
            self.env_settings = dataclasses.asdict(mdp)  # load(env=ENV_ID) builds the same env again
        self.policy = self.policy_class(self.observation_space, self.action_space, self.lr_schedule, value=self.value,
                                        num_segments=self.num_segments, max_ev=self.max_ev,
                                        value_learning_rate=self.value_learning_rate or VALUE_LEARNING_RATES["random"],
                                        **self.policy_kwargs).to(self.device)
        if self.action_noise is None or len(self.action_noise.noises) != self.n_envs:  # load() keeps a saved OU state
            self.action_noise = VectorizedActionNoise(
                OrnsteinUhlenbeckActionNoise(np.zeros(1), self.ou_sigma * np.ones(1), theta=self.ou_theta, dt=1.0),
                self.n_envs)
        self.n_rollout_steps = math.ceil(self.n_images / self.n_envs) * self.num_segments

    def _resolve_gan_reward(self, progress_bar: bool = False) -> None:
        """Find, check or build the GAN reward shared by the env's reward and the agent (once per learn).

        Args:
            progress_bar: show the p-step's progress (when the agent runs it).

        Raises:
            ValueError: see :meth:`_wrapped_gan_reward`, :meth:`_fixed_env_critic` and :func:`_exposure_envs`.
        """
        found = self._wrapped_gan_reward()
        self.gan_reward = self.gan_reward or found
        self._records_results = found is None  # a wrapper records the results itself
        envs = _exposure_envs(self.env) if found is None else []  # a wrapper has attached its reward already
        # the reference reward (−RMSE to the target) is differentiable: with it, it is the value of P_T itself
        self._reference_reward = bool(envs) and all(env.score_fn is reference_score for env in envs)
        self._fixed_critic = None
        if self.gan_reward is None and self.d_steps == 0:  # no critic training: the env's critic, as it is
            self._fixed_critic = self._fixed_env_critic(envs)
            return
        if self.gan_reward is None:
            self.gan_reward = self._new_gan_reward(envs)
        if self.gan_reward is None:
            return
        self._restore_gan_reward()
        self._drive_gan_reward(envs)
        if found is None:
            self.gan_reward.pretrain(envs[0], progress_bar)  # a wrapper does this at its first reset

    def _wrapped_gan_reward(self) -> GANReward | None:
        """The GAN reward the env is wrapped with (:meth:`GANReward.from_env`), checked against ``gan_reward=``.

        Returns:
            The env's GAN reward, or ``None`` when it has none.

        Raises:
            ValueError: the sub-envs hold different GAN rewards, or ``gan_reward=`` is another one.
        """
        found = GANReward.from_env(self.env)
        if self.gan_reward is not None and found is not None and found is not self.gan_reward:
            raise ValueError("DeepExposure: gan_reward= differs from the GANReward the env is wrapped with")
        return found

    def _fixed_env_critic(self, envs: list[Any]) -> nn.Module | None:
        """``d_steps=0``: the critic the envs' discriminator reward scores with, to value with as it is.

        Args:
            envs: the unwrapped ExposureRetouch envs.

        Returns:
            The first discriminator reward's critic, or ``None`` when no env scores with one.

        Raises:
            ValueError: ``value="discriminator"`` and neither a discriminator nor the reference reward.
        """
        scorers = [env.score_fn for env in envs if isinstance(env.score_fn, DiscriminatorScore)]
        critic = scorers[0].critic if scorers else None
        if self.value == "discriminator" and critic is None and not self._reference_reward:
            raise ValueError("DeepExposure: d_steps=0 keeps the env's critic fixed, but this env's reward is no "
                             "discriminator; value='discriminator' needs one (or the reference reward)")
        return critic

    def _new_gan_reward(self, envs: list[Any]) -> GANReward | None:
        """A GAN reward on the env's pool, driven by the agent (``p_steps``, ``d_steps``, ``critic``), when a
        critic is wanted: the env's reward is a discriminator, or ``value="discriminator"`` (not with the
        reference reward, which is its own value).

        Args:
            envs: the unwrapped ExposureRetouch envs (not wrapped with a GAN reward).

        Returns:
            The new reward, or ``None`` when no critic is wanted.
        """
        discriminator_reward = any(isinstance(env.score_fn, DiscriminatorScore) for env in envs)
        if self._reference_reward or not (self.value == "discriminator" or discriminator_reward):
            return None
        return GANReward(envs[0].pool, p_steps=self.p_steps, d_steps=self.d_steps, update_every=None,
                         critic=self.critic_start, device=self.device, seed=self.seed or 0)

    def _restore_gan_reward(self) -> None:
        """A loaded model resumes its critic from the GAN-reward file saved beside it (once).

        Raises:
            ValueError: that file is missing or from another save (:func:`check_companion`).
        """
        if self._gan_reward_file is not None:
            self.gan_reward.restore(check_companion(self._gan_reward_file, self.gan_reward_sha256))
            self._gan_reward_file = None

    def _drive_gan_reward(self, envs: list[Any]) -> None:
        """Take over the GAN reward's schedule (a d-step after every policy update) and make every env whose reward
        is a discriminator score with its critic, the one the agent trains.

        Args:
            envs: the unwrapped ExposureRetouch envs (none when a wrapper attached the reward).
        """
        self.gan_reward.update_every = None
        for env in envs:
            if isinstance(env.score_fn, DiscriminatorScore):
                self.gan_reward.attach(env)

    def _setup_learn(self, total_timesteps: int, callback: MaybeCallback = None, reset_num_timesteps: bool = True,
                     tb_log_name: str = "run", progress_bar: bool = False) -> tuple[int, BaseCallback]:
        if self.env is None:
            raise ValueError("DeepExposure.learn needs an env: pass one to DeepExposure(...) / load(..., env=) or set_env()")
        self._resolve_gan_reward(progress_bar)
        first_reset = reset_num_timesteps or self._last_obs is None
        total_timesteps, callback = super()._setup_learn(total_timesteps, callback, reset_num_timesteps, tb_log_name,
                                                         progress_bar)
        if self.value == "network" and self._n_updates == 0:  # a fresh V_ω
            from_critic = self.value_init == "discriminator" and self.critic is not None
            if from_critic:  # V_ω starts as Eq. 19's value, from the critic after the p-step (a wrapper's: at the reset)
                self.policy.value_net.init_from_discriminator(self.critic, self.gamma)
            rate = self.value_learning_rate or VALUE_LEARNING_RATES["critic" if from_critic else "random"]
            for group in self.policy.value_optimizer.param_groups:
                group["lr"] = rate
        if first_reset or self._episode_steps is None:
            self._episode_steps = np.zeros(self.n_envs, dtype=np.int64)
        return total_timesteps, callback

    # ------------------------------------------------------------------ roll-out
    def collect_rollouts(self, callback: BaseCallback) -> Rollout | None:
        """``n_rollout_steps`` steps of every env with π_θ(s) + OU noise; ``None`` if a callback stopped training."""
        assert self._last_obs is not None and self._episode_steps is not None
        self.policy.set_training_mode(False)
        callback.on_rollout_start()
        observations: dict[str, list[np.ndarray]] = {key: [] for key in OBSERVATION_KEYS}
        actions, rewards, steps, dones, results, finals = [], [], [], [], [], []
        for _ in range(self.n_rollout_steps):
            with torch.no_grad():
                policy_actions = self.policy(obs_as_tensor(self._last_obs, self.device)).cpu().numpy()
            taken = np.clip(policy_actions + self.action_noise(), -1.0, 1.0).astype(np.float32)  # OU exploration
            new_obs, step_rewards, step_dones, infos = self.env.step(taken)
            self.num_timesteps += self.n_envs
            callback.update_locals(locals())
            if not callback.on_step():
                return None
            self._update_info_buffer(infos, step_dones)
            for key in OBSERVATION_KEYS:
                observations[key].append(self._last_obs[key])
            actions.append(taken)
            rewards.append(step_rewards)
            steps.append(self._episode_steps.copy())
            dones.append(step_dones)
            finished = np.flatnonzero(step_dones)
            finals += [infos[i] for i in finished]  # P_T (and the target) of each episode, in row order
            if self._records_results:
                results += [infos[i]["fused"] for i in finished if "fused" in infos[i]]
            self._episode_steps = np.where(step_dones, 0, self._episode_steps + 1)
            self.action_noise.reset(finished)  # a fresh OU process per episode
            self._last_obs = new_obs
        if results and self.gan_reward is not None:
            self.gan_reward.record(np.stack(results))
        callback.update_locals(locals())
        callback.on_rollout_end()
        return self._as_rollout(observations, actions, rewards, steps, dones, finals)

    def _as_rollout(self, observations: dict[str, list[np.ndarray]], actions: list, rewards: list, steps: list,
                    dones: list, finals: list[dict]) -> Rollout:
        step_grid, done_grid = np.stack(steps), np.stack(dones)  # (K steps, n_envs)
        # the next transition of an episode is the same env's next row, unless the episode ended or the roll-out did
        has_next = np.zeros_like(done_grid)
        has_next[:-1] = ~done_grid[:-1] & (step_grid[1:] == step_grid[:-1] + 1)
        rows = np.arange(done_grid.size).reshape(done_grid.shape)
        next_index = np.minimum(rows + self.n_envs, done_grid.size - 1)

        def tensor(array: np.ndarray, dtype: torch.dtype | None = None) -> torch.Tensor:
            return torch.as_tensor(np.ascontiguousarray(array), device=self.device, dtype=dtype)

        def images(key: str) -> torch.Tensor | None:  # (E, 3, H, W) float from the finished episodes' infos
            if not finals or any(key not in info for info in finals):
                return None
            return tensor(np.stack([np.asarray(info[key]) for info in finals]), torch.float32).permute(0, 3, 1, 2)

        return Rollout(
            observations={key: tensor(np.concatenate(images)) for key, images in observations.items()},
            actions=tensor(np.concatenate(actions)),
            rewards=tensor(np.concatenate(rewards), torch.float32),
            steps=tensor(step_grid.reshape(-1)),
            dones=tensor(done_grid.reshape(-1), torch.bool),
            has_next=tensor(has_next.reshape(-1), torch.bool),
            next_index=tensor(next_index.reshape(-1)),
            fused=images("fused"),
            targets=images("target"),
        )

    # ------------------------------------------------------------------ one update (g-step)
    def train(self, rollout: Rollout) -> None:
        """One g-step from ``rollout``: ``gradient_steps`` actor updates on minibatches of its photos.

        One update, end to end:

        1. the objective's view of the roll-out: its whole episodes (``"fused"``,
           :class:`EpisodeBatches`) or its transitions (``"local"``, :class:`TransitionBatches`);
        2. Alg. 1 only: V_ω learns what the taken actions earned (:meth:`_fit_value`, Eq. 12–13);
        3. ``gradient_steps`` times: a minibatch of the current policy's results, the variant's actor
           loss on it (:meth:`_value_network_loss`, Alg. 1; :meth:`_discriminator_loss`, Alg. 2) and
           an Adam step of the actor.

        Args:
            rollout: the roll-out of :meth:`collect_rollouts`.

        Raises:
            ValueError: the roll-out lacks what the objective and value need (whole episodes with
                ``info["fused"]``; the targets for the reference reward).
        """
        self.policy.set_training_mode(True)
        self._update_learning_rate([self.policy.actor_optimizer])  # the actor's schedule; V_ω keeps its own rate
        batches = EpisodeBatches(self, rollout) if self.objective == "fused" else TransitionBatches(self, rollout)
        if self.value == "network":
            self._fit_value(batches.value_targets())
        actor_loss = self._value_network_loss if self.value == "network" else self._discriminator_loss
        for minibatch in batches.minibatches():
            loss, values = actor_loss(minibatch)
            self._step(self.policy.actor_optimizer, loss)
        self._record_update(loss, values, minibatch)
        self._n_updates += 1
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")

    def _fit_value(self, targets: ValueTargets) -> None:
        """Alg. 1: ``value_epochs`` Adam steps of V_ω on ½E[δ²] (Eq. 13), δ the TD error of Eq. 12.

        δ_t = r_t + γ·V_ω(S^l_{t+2}, t+1) − V_ω(S^l_{t+1}, t) before an episode's last step, and
        r_T − V_ω(·, T−1) at it; rows without a successor in the roll-out (cut mid-episode) are left out.

        Args:
            targets: the taken actions' results, steps, rewards and successors.
        """
        value_net = self.policy.value_net
        for _ in range(self.value_epochs):
            values = value_net(targets.results, targets.steps)
            if targets.successors is None:  # every row ends its episode: δ_T = r_T − V_ω(P_T)
                value_loss = 0.5 * ((values - targets.rewards) ** 2).mean()
            else:
                has_next, next_index, usable = targets.successors
                next_values = torch.where(has_next, values.detach()[next_index], torch.zeros_like(values))
                td_targets = targets.rewards + self.gamma * next_values
                value_loss = 0.5 * ((values - td_targets)[usable] ** 2).mean()  # ½E[δ²], Eq. 13
            self._step(self.policy.value_optimizer, value_loss)
        self.logger.record("train/value_loss", value_loss.item())

    def _value_network_loss(self, minibatch: Minibatch) -> tuple[torch.Tensor, torch.Tensor]:
        """Alg. 1's actor loss: −E[V_ω(result, t)], with Q(s_t, π(s_t)) = V_ω(p(s_t, π(s_t))).

        V(s_t) does not depend on the action, so ascending Q ascends the advantage. V_ω is frozen:
        the gradient reaches θ through the result only.

        Args:
            minibatch: the current policy's results and their steps.

        Returns:
            The loss (a scalar to minimise) and the ``(B,)`` values.
        """
        with frozen(self.policy.value_net):
            values = self.policy.value_net(minibatch.results, minibatch.steps)
        return -values.mean(), values

    def _discriminator_loss(self, minibatch: Minibatch) -> tuple[torch.Tensor, torch.Tensor]:
        """Alg. 2's actor loss: the value is the discriminator, A(s_t, a) = C_t·D(P_T) (Eq. 19).

        ``"local"``: −E[|C_t|·D(S^l_{t+1})] with C_t = (γ − 1)·γ^{T−t} for t = 1..T (Eq. 19, 24; our
        steps count from 0). ``"fused"``: −E[D(P_T)], the generator loss of Eq. 25, whose positive
        constant C (Eq. 24, 29) the learning rate absorbs. With the reference reward, that reward is D.

        Args:
            minibatch: the current policy's results, their steps and (reference reward) targets.

        Returns:
            The loss (a scalar to minimise) and the ``(B,)`` scores.

        Raises:
            ValueError: the reference reward without the photos' targets.
        """
        if self.objective == "fused":
            values = self._score(minibatch.results, minibatch.targets)
            return -values.mean(), values
        advantage_weight = (1.0 - self.gamma) * self.gamma ** (self.num_segments - 1 - minibatch.steps.float())
        values = self._score(minibatch.results, minibatch.targets)  # ≈ P_T
        return -(advantage_weight * values).mean(), values  # Eq. 24: ascend |C_t|·D

    def _record_update(self, actor_loss: torch.Tensor, values: torch.Tensor, minibatch: Minibatch) -> None:
        """Log the last minibatch: loss, value, and the mean and spread of the policy's EVs (stops)."""
        self.logger.record("train/actor_loss", actor_loss.item())
        self.logger.record("train/value", values.mean().item())
        self.logger.record("train/exposure_mean", minibatch.action_mean.item() * self.max_ev)
        self.logger.record("train/exposure_std", minibatch.action_std.item() * self.max_ev)

    @staticmethod
    def _step(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
        """One optimiser step on ``loss`` (gradients cleared first)."""
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def _whole_episodes(self, rollout: Rollout) -> tuple[torch.Tensor, torch.Tensor]:
        """Every episode that lies whole in ``rollout``.

        Args:
            rollout: a roll-out.

        Returns:
            Its ``(E, T)`` long rows in step order, and ``(E,)`` long the index of each episode's
            result in ``rollout.fused`` / ``rollout.targets``.
        """
        rows = [torch.nonzero(rollout.steps == 0).squeeze(1)]
        whole = torch.ones_like(rows[0], dtype=torch.bool)
        for _ in range(self.num_segments - 1):
            whole &= rollout.has_next[rows[-1]]
            rows.append(rollout.next_index[rows[-1]])
        whole &= rollout.dones[rows[-1]]
        episodes = torch.stack(rows, dim=1)[whole]
        return episodes, torch.searchsorted(torch.nonzero(rollout.dones).squeeze(1), episodes[:, -1].contiguous())

    def _score(self, images: torch.Tensor, targets: torch.Tensor | None) -> torch.Tensor:
        """Alg. 2's value of images: the discriminator D (Eq. 15: V = D(P_T) at the last step), or with
        the reference reward that reward itself, −RMSE to the photos' targets.

        Args:
            images: ``(B, 3, H, W)`` float sRGB in ``[0, 1]``.
            targets: ``(B, 3, H, W)`` their expert targets (needed by the reference reward only).

        Returns:
            ``(B,)`` float scores; gradients reach ``images`` only (the critic is frozen).

        Raises:
            ValueError: the reference reward without ``targets``.
        """
        if self._reference_reward:
            if targets is None:
                raise ValueError("DeepExposure: the reference reward needs the episodes' targets (a paired pool)")
            return negative_rmse_torch(images, targets)
        with frozen(self.critic):
            return self.critic(images)

    def _critic_step(self) -> None:
        """The d-step: ``d_steps`` critic updates on M1 vs experts, M1 emptied (Alg. 1–2), its figures logged."""
        if self.gan_reward is not None:
            self.gan_reward.update_and_record(self.logger, record_episodes=False)

    # ------------------------------------------------------------------ SB3 API
    def learn(
        self: SelfDeepExposure,
        total_timesteps: int,
        callback: MaybeCallback = None,
        log_interval: int = 1,
        tb_log_name: str = "DeepExposure",
        reset_num_timesteps: bool = True,
        progress_bar: bool = False,
    ) -> SelfDeepExposure:
        """Repeat {roll-out, g-step, d-step} until ``total_timesteps`` env steps (Alg. 1–2).

        ``log_interval``: iterations between log dumps.
        """
        iteration = 0
        total_timesteps, callback = self._setup_learn(total_timesteps, callback, reset_num_timesteps, tb_log_name,
                                                      progress_bar)
        callback.on_training_start(locals(), globals())
        while self.num_timesteps < total_timesteps:
            rollout = self.collect_rollouts(callback)
            if rollout is None:
                break
            iteration += 1
            self._update_current_progress_remaining(self.num_timesteps, total_timesteps)
            self.train(rollout)
            self._critic_step()
            if log_interval is not None and iteration % log_interval == 0:
                self.dump_logs(iteration)
        callback.on_training_end()
        return self

    def dump_logs(self, iteration: int = 0) -> None:
        """Write the logger's records (as SB3's on-policy algorithms do)."""
        elapsed = max((time.time_ns() - self.start_time) / 1e9, sys.float_info.epsilon)
        self.logger.record("time/iterations", iteration, exclude="tensorboard")
        if self.ep_info_buffer:
            self.logger.record("rollout/ep_rew_mean", safe_mean([info["r"] for info in self.ep_info_buffer]))
        self.logger.record("time/fps", int((self.num_timesteps - self._num_timesteps_at_start) / elapsed))
        self.logger.record("time/time_elapsed", int(elapsed), exclude="tensorboard")
        self.logger.record("time/total_timesteps", self.num_timesteps, exclude="tensorboard")
        self.logger.dump(step=self.num_timesteps)

    def _excluded_save_params(self) -> list[str]:
        return [*super()._excluded_save_params(), "gan_reward", "_gan_reward_file", "_fixed_critic"]

    def _get_torch_save_params(self) -> tuple[list[str], list[str]]:
        state_dicts = ["policy", "policy.actor_optimizer"]
        if self.value == "network":
            state_dicts.append("policy.value_optimizer")
        return state_dicts, []

    def save(self, path: str | os.PathLike | io.BufferedIOBase, exclude: Any = None, include: Any = None) -> None:
        """SB3's ``save`` to a path or a file object, naming the algorithm (:mod:`agents.algorithms`).

        To a path the model is written atomically, and the GAN reward's state beside it
        (``model.gan_reward.pt``, :func:`~exposure_env.rewards.adversarial.companion_path`) with its
        SHA-256 recorded in the model, so that :meth:`load` pairs only the two files of one save;
        a stop signal waits until both are written. A file object gets the model alone (a
        warning says so when there is a GAN reward).
        """
        def write(target: str | io.BytesIO) -> None:
            super(DeepExposure, self).save(target, exclude, include)
            algorithms.record(target, algorithms.name_of(self))

        if not isinstance(path, (str, os.PathLike)):  # a file object, as SB3 takes
            if self.gan_reward is not None:
                warnings.warn("DeepExposure.save: the GAN reward's critic state is not saved to a file object; save to "
                              "a path to keep it beside the model", UserWarning, stacklevel=2)
            buffer = io.BytesIO()
            write(buffer)
            path.write(buffer.getvalue())
            return
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(".zip")  # as SB3 names it
        with signals_held():  # both files, or a stop after them
            self.gan_reward_sha256 = None if self.gan_reward is None else file_sha256(
                self.gan_reward.save(companion_path(path)))
            atomic_write(path, write)

    @classmethod
    def load(cls, path: str | os.PathLike | io.BufferedIOBase, env: GymEnv | None = None,
             device: torch.device | str = "auto", **kwargs: Any) -> "DeepExposure":
        """SB3's ``load`` from a path or a file object; the GAN reward saved beside a path is restored when
        training resumes (checked then: :func:`check_companion`).

        ``env="ExposureRetouch-v0"`` builds the batched env the model was saved with: as many envs,
        the same MDP settings (size, T, ``max_ev``, fusion weights, ``reward_mode``, ``gamma``...),
        so its OU noise state is kept; an env object is used as it is.

        A model saved before the actor's EV prior existed loads with ``ev_prior="none"``, the actor it
        was trained with.

        Raises:
            FileNotFoundError: ``path`` does not exist.
        """
        is_path = isinstance(path, (str, os.PathLike))
        if is_path:
            path = Path(path)
            if not path.suffix:
                path = path.with_suffix(".zip")
            if not path.is_file():
                raise FileNotFoundError(f"DeepExposure.load: {path} does not exist")
        saved = load_from_zip_file(path, load_data=True, device="cpu")[0]
        if not is_path:
            path.seek(0)
        if isinstance(env, str) and env.split(":")[-1] == ENV_ID:  # the batched env, as __init__ builds it, with
            env = SB3VecEnv(ExposureRetouchVectorEnv(int(saved.get("n_envs", 1)), **saved_env_settings(saved)))
        saved_policy_kwargs = saved.get("policy_kwargs", {})
        if "ev_prior" not in saved_policy_kwargs:  # saved before the EV prior existed: the plain tanh actor
            custom = dict(kwargs.pop("custom_objects", None) or {})
            custom.setdefault("policy_kwargs", {**saved_policy_kwargs, "ev_prior": "none"})
            kwargs["custom_objects"] = custom
        model = super().load(path, env=env, device=device, **kwargs)
        # a model saved before the SHA-256 was recorded takes the companion file it finds
        legacy = is_path and "gan_reward_sha256" not in saved and companion_path(path).is_file()
        if is_path and (model.gan_reward_sha256 is not None or legacy):
            model._gan_reward_file = path
        return model
