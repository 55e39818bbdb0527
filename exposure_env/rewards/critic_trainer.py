"""WGAN-GP training of the discriminator D on agent results (M1) against expert photos (M2).

One :class:`CriticTrainer` is meant to be shared: the environment's reward, the GAN-reward
wrapper and the DeepExposure agent all read the same ``trainer.critic``, so the reward an agent
sees and the value it follows agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from exposure_env.data.pool import ImagePool
from exposure_env.ops.layout import hwc_to_tensor
from exposure_env.ops.resize import thumbnail
from exposure_env.rewards.functions import DiscriminatorScore
from exposure_env.rewards.networks import Critic, Discriminator


def wgan_gp_loss(
    critic: Critic,
    real: torch.Tensor,
    fake: torch.Tensor,
    gp_weight: float = 10.0,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Critic loss of WGAN-GP (Gulrajani et al. 2017): ``E[D(fake)] − E[D(real)] + λ·GP``.

    Args:
        critic: the discriminator.
        real: ``(B, 3, H, W)`` expert photos (M2).
        fake: ``(B, 3, H, W)`` agent results (M1).
        gp_weight: λ of the gradient penalty.
        generator: draws the interpolation weights (for repeatable runs).

    Returns:
        The loss to minimise and its parts as floats: ``wasserstein`` (E[D(real)] − E[D(fake)],
        the distance estimate that should stay positive), ``gradient_penalty``, ``loss``.
    """
    real_score = critic(real).mean()
    fake_score = critic(fake).mean()
    alpha = torch.rand(real.shape[0], 1, 1, 1, generator=generator).to(real)
    mixed = (alpha * real + (1.0 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    gradient_penalty = ((grad.flatten(1).norm(dim=1) - 1.0) ** 2).mean()
    loss = fake_score - real_score + gp_weight * gradient_penalty
    parts = {
        "wasserstein": (real_score - fake_score).item(),
        "gradient_penalty": gradient_penalty.item(),
        "loss": loss.item(),
    }
    return loss, parts


class CriticTrainer:
    """Owns the critic, its optimiser, the memory M1 of agent results and the expert sampler M2.

    Usage (appendix Alg. 1–2, d-step): ``trainer.add_results(fused_images)`` after roll-outs,
    then ``trainer.update(d_steps)``, which trains on M1 against experts and empties M1.

    Args:
        expert_pool: a pool with expert photos (``has_experts``), the M2 of the paper.
        critic: the discriminator to train (a new one when ``None``).
        learning_rate: Adam learning rate (5e-5 as in Exposure, Hu et al. 2018).
        betas: Adam betas.
        gp_weight: λ of the gradient penalty.
        batch_size: photos of each kind per critic update.
        image_size: side of the square thumbnails the critic sees, in pixels.
        device: torch device of the critic.
        seed: seeds the expert and M1 sampling and the gradient-penalty interpolation.

    Raises:
        ValueError: ``expert_pool`` has no expert photos, or ``batch_size < 1``.
    """

    def __init__(
        self,
        expert_pool: ImagePool,
        critic: Critic | None = None,
        *,
        learning_rate: float = 5e-5,
        betas: tuple[float, float] = (0.5, 0.9),
        gp_weight: float = 10.0,
        batch_size: int = 64,
        image_size: int = 64,
        device: torch.device | str = "cpu",
        seed: int = 0,
    ):
        if not expert_pool.has_experts:
            raise ValueError(f"CriticTrainer: expert_pool {type(expert_pool).__name__} has no expert photos (M2)")
        if batch_size < 1:
            raise ValueError(f"CriticTrainer: batch_size must be >= 1, got {batch_size}")
        self.expert_pool = expert_pool
        self.device = torch.device(device)
        self.critic = (critic or Discriminator()).to(self.device)
        self.optimizer = torch.optim.Adam(self.critic.parameters(), lr=learning_rate, betas=betas)
        self.gp_weight = gp_weight
        self.batch_size = batch_size
        self.image_size = image_size
        self.rng = np.random.default_rng(seed)
        self.generator = torch.Generator().manual_seed(seed)
        self.memory: list[np.ndarray] = []  # M1: agent results since the last update
        self.num_updates = 0
        self.last_losses: dict[str, float] = {}

    def add_results(self, images: np.ndarray | torch.Tensor) -> None:
        """Put agent results into M1: ``(H, W, 3)`` or ``(N, H, W, 3)`` float sRGB in ``[0, 1]``.

        A torch tensor (e.g. the batched env's ``info["fused"]`` on a GPU) is copied to the host:
        M1 lives in host memory.
        """
        if isinstance(images, torch.Tensor):
            images = images.detach().cpu().numpy()
        batch = images[None] if images.ndim == 3 else images
        self.memory.extend(thumbnail(image, self.image_size) for image in batch)

    def expert_batch(self, n: int) -> np.ndarray:
        """``(n, S, S, 3)`` expert thumbnails drawn from M2."""
        return np.stack([thumbnail(self.expert_pool.expert(self.rng), self.image_size) for _ in range(n)])

    def update(self, n_steps: int) -> dict[str, float]:
        """Run ``n_steps`` critic updates on M1 vs experts, then empty M1 (Alg. 1–2, d-step).

        Args:
            n_steps: critic optimiser steps, each on ``batch_size`` results of M1 (drawn with
                replacement when M1 holds fewer) and as many experts.

        Returns:
            The last update's loss parts (see :func:`wgan_gp_loss`).

        Raises:
            ValueError: ``n_steps < 1``.
            RuntimeError: M1 is empty.
        """
        if n_steps < 1:
            raise ValueError(f"CriticTrainer.update: n_steps must be >= 1, got {n_steps}")
        if not self.memory:
            raise RuntimeError("CriticTrainer.update: memory M1 is empty; add_results() first")
        results = np.stack(self.memory)
        self.critic.train()
        for _ in range(n_steps):
            replace = len(results) < self.batch_size
            picked = self.rng.choice(len(results), size=self.batch_size, replace=replace)
            fake = hwc_to_tensor(results[picked], self.device)
            real = hwc_to_tensor(self.expert_batch(self.batch_size), self.device)
            loss, self.last_losses = wgan_gp_loss(self.critic, real, fake, self.gp_weight, self.generator)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.num_updates += 1
        self.memory.clear()
        return self.last_losses

    def score(self, images: np.ndarray) -> np.ndarray:
        """Critic scores of ``(N, H, W, 3)`` (or one ``(H, W, 3)``) sRGB images -> ``(N,)``."""
        batch = images[None] if images.ndim == 3 else images
        return DiscriminatorScore(self.critic).batch(np.stack([thumbnail(image, self.image_size) for image in batch]))

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume with the same reward: weights, optimiser, RNGs, counters, M1."""
        return {
            "critic": self.critic.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "rng": self.rng.bit_generator.state,
            "generator": self.generator.get_state(),
            "num_updates": self.num_updates,
            "memory": [torch.from_numpy(image) for image in self.memory],  # tensors: loadable with weights_only
            "last_losses": dict(self.last_losses),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved."""
        self.critic.load_state_dict(state["critic"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = state["rng"]
        self.generator.set_state(state["generator"])
        self.num_updates = int(state["num_updates"])
        self.memory = [np.asarray(image, dtype=np.float32) for image in state["memory"]]
        self.last_losses = dict(state["last_losses"])
