"""Reward sources: functions ``score(image, info) -> float`` of an sRGB image.

The environment calls the score of the fused result P_T for the terminal reward and, in the
shaped and dense modes, of the local composite S^l_t for the potential Φ.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Callable, Union

import numpy as np
import torch
from stable_baselines3.common.running_mean_std import RunningMeanStd

from exposure_env.ops.layout import hwc_to_tensor
from exposure_env.rewards.networks import Critic, CriticEnsemble, Discriminator

#: ``f(image (H, W, 3) float32 sRGB, info dict) -> float``; higher is better.
ScoreFn = Callable[[np.ndarray, dict], float]
RewardSource = Union[str, ScoreFn, Critic]
REWARD_SOURCES = ("discriminator", "reference")

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
PACKAGED_CRITIC = WEIGHTS_DIR / "critic.pt"
PACKAGED_CRITIC_PROVENANCE = WEIGHTS_DIR / "critic_provenance.json"
#: the critics that ship, by name: ``embedded`` (the env's default reward, trained on the embedded
#: photos), ``real`` (trained on real bracketed sequences; see its provenance for data and terms),
#: ``ensemble`` (the two as one, :class:`~exposure_env.rewards.networks.CriticEnsemble`) and ``people``
#: (the no-reference exposure-error critic learned from photos people made, ``pretrain_critic --objective
#: exposure-error``: the reward of ``exposure-retouch --look people``; research, non-commercial terms)
PACKAGED_CRITICS = {"embedded": PACKAGED_CRITIC, "real": WEIGHTS_DIR / "real" / "critic.pt",
                    "ensemble": WEIGHTS_DIR / "ensemble" / "critic.pt", "people": WEIGHTS_DIR / "people" / "critic.pt"}


def load_critic(path: str | Path, device: str = "cpu") -> Critic:
    """A critic saved by ``python -m train.pretrain_critic`` (a :class:`Discriminator`) or ``python -m
    train.ensemble_critic`` (a :class:`CriticEnsemble`): weights file plus its provenance beside it.

    Args:
        path: a name of :data:`PACKAGED_CRITICS` (``"embedded"``, ``"real"``, ``"ensemble"``, ``"people"``) or a
            weights file (``critic.pt``) whose ``critic_provenance.json`` in the same folder gives
            the widths (of each member, for an ensemble).
        device: torch device to load onto.

    Returns:
        The critic in eval mode. Loading it draws nothing from torch's global RNG.

    Raises:
        FileNotFoundError: the weights file or its provenance is missing.
    """
    path = PACKAGED_CRITICS.get(str(path), Path(path))
    if not path.is_file():
        raise FileNotFoundError(f"critic {path}: {path.name} is missing; "
                                "build it with `python -m train.pretrain_critic --out PATH`")
    # the initial weights are overwritten at once: draw them from a forked RNG, so that loading a
    # critic (the packaged one only on first use, it is cached) leaves torch's global stream as it was
    provenance = read_provenance(path)
    with torch.random.fork_rng(devices=[]):
        if "members" in provenance:
            critic = CriticEnsemble([Discriminator(widths=tuple(member["widths"])) for member in provenance["members"]],
                                    torch.zeros(len(provenance["members"])), float(provenance.get("ev_offset", 0.0)))
        else:
            critic = Discriminator(widths=tuple(provenance["widths"]))
    critic.load_state_dict(torch.load(path, map_location=device, weights_only=True))
    return critic.to(device).eval()


@functools.lru_cache(maxsize=None)
def load_packaged_critic(device: str = "cpu") -> Discriminator:
    """The pre-trained critic shipped with the package (see ``critic_provenance.json``).

    One module per device is shared by every environment of the process (it costs ~3 MB);
    treat it as read-only and give a trainer its own copy to train (``copy.deepcopy``).
    """
    return load_critic(PACKAGED_CRITIC, device)


class DiscriminatorScore:
    """Score an image by a critic: ``D(image)`` (the GAN reward of the paper).

    Args:
        critic: the discriminator; it is read at every call, so a trainer that updates it
            in place changes the reward at once.
        running_stats: when given (SB3's ``RunningMeanStd``), every score updates it and is
            returned standardised, ``(D − mean) / std`` — for a critic whose scale drifts while
            it trains (see :class:`~exposure_env.rewards.adversarial.GANReward`).
    """

    def __init__(self, critic: Critic, running_stats: RunningMeanStd | None = None):
        self.critic = critic
        self.running_stats = running_stats

    def __call__(self, image: np.ndarray, info: dict | None = None) -> float:
        return float(self.batch(image[None])[0])

    def batch(self, images: np.ndarray) -> np.ndarray:
        """Scores of ``(N, H, W, 3)`` images -> ``(N,)`` float32."""
        device = next(self.critic.parameters()).device
        return self.tensor(hwc_to_tensor(images, device)).cpu().numpy()

    @torch.no_grad()
    def tensor(self, images: torch.Tensor) -> torch.Tensor:
        """Scores of ``(N, 3, H, W)`` images on the critic's device -> ``(N,)``."""
        scores = self.critic(images)
        if self.running_stats is None:
            return scores
        self.running_stats.update(scores.double().cpu().numpy())
        return (scores - float(self.running_stats.mean)) / float(np.sqrt(self.running_stats.var + 1e-8))


def reference_score(image: np.ndarray, info: dict) -> float:
    """Negative RMSE to the paired target ``info["target"]`` (0 is a perfect retouch)."""
    target = info.get("target")
    if target is None:
        raise ValueError("reward='reference' needs a paired pool: this photo has no target")
    return float(negative_rmse(image[None], target[None])[0])


def negative_rmse(images: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Per-image negative RMSE of ``(N, H, W, 3)`` images to their targets, in float64 -> ``(N,)``."""
    difference = images.astype(np.float64) - targets
    return -np.sqrt(np.mean(difference**2, axis=(1, 2, 3)))


def negative_rmse_torch(images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Torch twin of :func:`negative_rmse`, differentiable: ``(N, 3, H, W)`` images and targets -> ``(N,)``.

    A small ε inside the root keeps the gradient finite at a perfect match.
    """
    return -torch.sqrt(((images - targets) ** 2).mean(dim=(1, 2, 3)) + 1e-12)


def make_score_fn(reward: RewardSource, device: str = "cpu") -> ScoreFn:
    """Resolve the env's ``reward=`` argument into a score function.

    Args:
        reward: ``"discriminator"`` (the packaged critic), ``"reference"`` (paired pools),
            a critic (:class:`Discriminator` or :class:`CriticEnsemble`), or any callable
            ``f(image, info) -> float``.
    """
    if isinstance(reward, Critic):
        return DiscriminatorScore(reward)
    if isinstance(reward, str):
        if reward == "discriminator":
            return DiscriminatorScore(load_packaged_critic(device))
        if reward == "reference":
            return reference_score
        raise ValueError(f"unknown reward {reward!r}; expected one of {REWARD_SOURCES} or a callable")
    if callable(reward):
        return reward
    raise TypeError(f"reward must be a string, a Discriminator or a callable, got {type(reward).__name__}")


def read_provenance(critic: str | Path = "embedded") -> dict[str, Any]:
    """A critic's provenance record (command, data, steps, seed, widths, held-out preference shares).

    Args:
        critic: a name of :data:`PACKAGED_CRITICS` or a weights file; the record is the
            ``critic_provenance.json`` beside it.

    Raises:
        FileNotFoundError: there is no provenance beside the weights.
    """
    path = PACKAGED_CRITICS.get(str(critic), Path(critic)).with_name(PACKAGED_CRITIC_PROVENANCE.name)
    if not path.is_file():
        raise FileNotFoundError(f"critic {critic}: {path.name} is missing; "
                                "build it with `python -m train.pretrain_critic --out PATH`")
    return json.loads(path.read_text())
