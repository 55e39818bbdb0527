"""The networks of DeepExposure (appendix Fig. 2) and the SB3 policy that holds them.

Actor, value network and the critic share one CNN design, :class:`~exposure_env.rewards.networks.ConvTrunk`,
never weights: the actor sees the 9-channel state (segment, original, local composite) and
outputs one exposure in ``[-1, 1]``; the value network sees the 6 critic features of an image.
"""

from __future__ import annotations

from typing import Any

import torch
from gymnasium import spaces
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.preprocessing import preprocess_obs
from stable_baselines3.common.type_aliases import PyTorchObs, Schedule
from torch import nn

from agents.transition import STATE_KEYS
from exposure_env.ops.features import NUM_FEATURES, critic_features_torch
from exposure_env.rewards.networks import ConvTrunk, Discriminator

WIDTHS = (32, 64, 128, 256)


class Actor(nn.Module):
    """π_θ: the state ``(B, 9, H, W)`` in ``[0, 1]`` (seg, original, local) -> action ``(B, 1)`` in ``[-1, 1]``."""

    def __init__(self, widths: tuple[int, ...] = WIDTHS):
        super().__init__()
        self.trunk = ConvTrunk(3 * len(STATE_KEYS), 1, widths)

    def forward(self, state: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.trunk(state))


class ValueNetwork(nn.Module):
    """V_ω of Alg. 1 on the image a step produces: ``(B, 3, H, W)`` sRGB, step ``(B,)`` -> ``(B,)``.

    One output per step t (a head of T values): the same image is worth more early, when
    segments are still to be exposed, than at the end. Input: the 6 critic features (Fig. 2).
    """

    def __init__(self, num_segments: int, widths: tuple[int, ...] = WIDTHS):
        super().__init__()
        self.num_segments, self.widths = int(num_segments), tuple(widths)
        self.trunk = ConvTrunk(NUM_FEATURES, num_segments, widths)

    def forward(self, image: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
        values = self.trunk(critic_features_torch(image))
        return values.gather(1, step.long().view(-1, 1)).squeeze(1)

    @torch.no_grad()
    def init_from_discriminator(self, critic: Discriminator, gamma: float) -> None:
        """Start as Alg. 2's value (Eq. 15–19): V(S^l_{t+1}, t) = γ^{T−1−t}·D(S^l_{t+1}) for t = 0..T−1.

        The critic has the same trunk design and input features, so its convolutions are copied
        and its one-score head becomes T discounted heads; TD (Eq. 12) refines V_ω from there.
        """
        if critic.widths != self.widths:
            raise ValueError(f"value_init='discriminator' needs the critic's widths {critic.widths}, the value "
                             f"network has {self.widths}; use value_init='random'")
        self.trunk.convs.load_state_dict(critic.trunk.convs.state_dict())
        head = critic.trunk.head
        discount = gamma ** torch.arange(self.num_segments - 1, -1, -1, dtype=head.weight.dtype,
                                         device=head.weight.device)  # γ^{T−1−t}
        self.trunk.head.weight.copy_(discount[:, None] * head.weight)
        self.trunk.head.bias.copy_(discount * head.bias)


class DeepExposurePolicy(BasePolicy):
    """The actor (and, for ``value="network"``, the value network) with their Adam optimisers.

    :param observation_space: ``Dict(seg, original, local)`` of channel-first uint8 images
        (SB3 transposes the env's HWC images with ``VecTransposeImage``).
    :param action_space: ``Box(-1, 1, (1,))``.
    :param lr_schedule: learning rate of the actor.
    :param value: ``"network"`` builds V_ω (Alg. 1); ``"discriminator"`` does not (Alg. 2).
    :param num_segments: T, the outputs of the value network's head.
    :param widths: channels of the trunks' stride-2 convolutions.
    :param value_learning_rate: learning rate of V_ω.
    """

    def __init__(
        self,
        observation_space: spaces.Dict,
        action_space: spaces.Box,
        lr_schedule: Schedule,
        value: str = "network",
        num_segments: int = 4,
        widths: tuple[int, ...] = WIDTHS,
        value_learning_rate: float = 1e-3,
        optimizer_class: type[torch.optim.Optimizer] = torch.optim.Adam,
        optimizer_kwargs: dict[str, Any] | None = None,
    ):
        super().__init__(observation_space, action_space, optimizer_class=optimizer_class,
                         optimizer_kwargs=optimizer_kwargs, squash_output=True)
        self.value, self.num_segments, self.widths = value, int(num_segments), tuple(widths)
        self.value_learning_rate = value_learning_rate
        self.actor = Actor(self.widths)
        self.actor_optimizer = self.optimizer_class(self.actor.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs)
        self.value_net: ValueNetwork | None = None
        self.value_optimizer: torch.optim.Optimizer | None = None
        if value == "network":
            self.value_net = ValueNetwork(self.num_segments, self.widths)
            self.value_optimizer = self.optimizer_class(self.value_net.parameters(), lr=value_learning_rate,
                                                        **self.optimizer_kwargs)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(value=self.value, num_segments=self.num_segments, widths=self.widths,
                    value_learning_rate=self.value_learning_rate)
        return data

    def state(self, observation: PyTorchObs) -> torch.Tensor:
        """The actor's input: ``(B, 9, H, W)`` float in ``[0, 1]`` from the Dict observation."""
        images = preprocess_obs(observation, self.observation_space, normalize_images=True)
        return torch.cat([images[key] for key in STATE_KEYS], dim=1)

    def forward(self, observation: PyTorchObs, deterministic: bool = True) -> torch.Tensor:
        return self._predict(observation, deterministic)

    def _predict(self, observation: PyTorchObs, deterministic: bool = True) -> torch.Tensor:
        # the policy is deterministic; exploration noise (OU) is added by the algorithm
        return self.actor(self.state(observation))
