"""The CNN design shared by policy, value and critic (appendix Fig. 2), and the critic itself.

"Our whole network architectures are almost the same for three cases but different in input
and output (they do not share weights)": one :class:`ConvTrunk` class, instantiated with 9
input channels for the policy, 6 for the value network and 6 for the discriminator.
"""

from __future__ import annotations

import math
from typing import Union

import torch
from torch import nn

from exposure_env.ops.exposure import expose_torch
from exposure_env.ops.features import NUM_FEATURES, critic_features_torch


class ConvTrunk(nn.Module):
    """Strided 4×4 convolutions with LeakyReLU, global average pooling and a linear head.

    No batch normalisation: a WGAN-GP critic must score each sample independently.

    Args:
        in_channels: input channels (9 policy, 6 value/critic).
        out_features: size of the output vector.
        widths: channels of the successive stride-2 convolutions.

    Shapes:
        ``(B, in_channels, H, W) -> (B, out_features)`` for any ``H, W >= 2**len(widths)``.
    """

    def __init__(self, in_channels: int, out_features: int = 1, widths: tuple[int, ...] = (32, 64, 128, 256)):
        super().__init__()
        layers: list[nn.Module] = []
        previous = in_channels
        for width in widths:
            layers += [nn.Conv2d(previous, width, kernel_size=4, stride=2, padding=1), nn.LeakyReLU(0.2)]
            previous = width
        self.convs = nn.Sequential(*layers)
        self.head = nn.Linear(previous, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.convs(x).mean(dim=(2, 3)))


class Discriminator(nn.Module):
    """WGAN critic D: an sRGB image -> one unbounded realness score (higher = more expert-like).

    Shapes:
        ``(B, 3, H, W)`` sRGB in ``[0, 1]`` -> ``(B,)``.
    """

    def __init__(self, widths: tuple[int, ...] = (32, 64, 128, 256)):
        super().__init__()
        self.widths = tuple(widths)
        self.trunk = ConvTrunk(NUM_FEATURES, 1, self.widths)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        # Fig. 2: the discriminator sees the retouched image plus its luma, saturation and contrast
        return self.trunk(critic_features_torch(image)).squeeze(1)


class CriticEnsemble(nn.Module):
    """Several WGAN critics scoring as one: ``D(x) = Σ_i w_i·D_i(expose(x, b))``.

    A WGAN critic is defined up to an offset and a scale, so critics trained on different expert
    photos score on different scales; the weights (see ``python -m train.ensemble_critic``) give
    each member the same spread. Scores, gradients and training (the GAN reward's d-step trains
    every member through the sum) work as for one :class:`Discriminator`.

    ``ev_offset`` ``b`` calibrates the critic's taste in exposure: a critic whose favourite global
    EV for its own expert photos lies ``b`` stops above them (it likes photos brighter than people
    made them) judges every image as if exposed ``b`` stops brighter, so that its favourite for an
    expert photo becomes the photo itself (``train.ensemble_critic --calibrate``; 0 changes nothing).

    Args:
        members: the critics.
        weights: ``(len(members),)`` weight of each member's score.
        ev_offset: ``b``, stops (saved in the provenance, not in the weights file).

    Shapes:
        ``(B, 3, H, W)`` sRGB in ``[0, 1]`` -> ``(B,)``.

    Raises:
        ValueError: no members, not one weight per member, or an offset that is not finite.
    """

    def __init__(self, members: list[Discriminator], weights: torch.Tensor | list[float], ev_offset: float = 0.0):
        super().__init__()
        weights = torch.as_tensor(weights, dtype=torch.float32)
        if not members or weights.shape != (len(members),):
            raise ValueError(f"CriticEnsemble: {len(members)} members need as many weights, got {tuple(weights.shape)}")
        if not math.isfinite(float(ev_offset)):
            raise ValueError(f"CriticEnsemble: ev_offset must be a finite number of stops, got {ev_offset!r}")
        self.members = nn.ModuleList(members)
        self.register_buffer("weights", weights)
        self.ev_offset = float(ev_offset)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        if self.ev_offset:
            image = expose_torch(image, image.new_full((image.shape[0],), self.ev_offset))
        return sum(weight * member(image) for weight, member in zip(self.weights, self.members))


#: a critic of the GAN reward: one discriminator or an ensemble of them
Critic = Union[Discriminator, CriticEnsemble]
