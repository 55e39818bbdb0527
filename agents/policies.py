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

from agents.transition import segment_mask
from exposure_env.mdp import OBSERVATION_KEYS
from exposure_env.ops.color import luma_torch, srgb_to_linear_torch
from exposure_env.ops.exposure import auto_exposure_ev_torch
from exposure_env.ops.features import NUM_FEATURES, critic_features_torch
from exposure_env.rewards.networks import ConvTrunk, Discriminator

WIDTHS = (32, 64, 128, 256)
#: width of the actor's MLP
HIDDEN = 128


#: log2 linear luminance below which pixels count as black (about 10 stops under white)
LOG_LUMA_FLOOR = -10.0
#: bins of the log-luminance histograms the actor reads, spread evenly over [LOG_LUMA_FLOOR, 0] stops
HISTOGRAM_BINS = 16
#: channels of the scalar statistics of :func:`exposure_statistics`
NUM_SCALAR_STATISTICS = 13
NUM_STATISTICS = NUM_SCALAR_STATISTICS + 4 * HISTOGRAM_BINS


def _log_luma(srgb: torch.Tensor) -> torch.Tensor:
    """``(B, 3, H, W)`` sRGB -> ``(B, H·W)`` log2 linear luminance, floored at :data:`LOG_LUMA_FLOOR`."""
    # luma's Rec. 709 sum of linear RGB: relative luminance Y
    return torch.log2(luma_torch(srgb_to_linear_torch(srgb)).flatten(1).clamp_min(2.0**LOG_LUMA_FLOOR))


def _histogram(log_luma: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Weighted histogram of ``(B, N)`` log-luminances, linearly interpolated between bin centres.

    Interpolation keeps it differentiable in the values (a hard ``histc`` is not) at O(N) cost;
    Gaussian soft bins were 4× slower per update in our measurements.

    Returns:
        ``(B, HISTOGRAM_BINS)`` summing to 1 (0 where the weights are all 0).
    """
    position = (log_luma / -LOG_LUMA_FLOOR + 1.0) * (HISTOGRAM_BINS - 1)  # 0 .. bins-1
    lower = position.detach().floor().clamp(0, HISTOGRAM_BINS - 2)
    upper_share = (position - lower).clamp(0.0, 1.0)
    histogram = log_luma.new_zeros(log_luma.shape[0], HISTOGRAM_BINS)
    histogram = histogram.scatter_add(1, lower.long(), (1.0 - upper_share) * weights)
    histogram = histogram.scatter_add(1, lower.long() + 1, upper_share * weights)
    return histogram / histogram.sum(dim=1, keepdim=True).clamp_min(1e-6)


def exposure_statistics(state: torch.Tensor) -> torch.Tensor:
    """What an exposure decision reads: brightness statistics of S0 and S^l_t, globally and in segment t.

    For S0 and for the local composite S^l_t: the mean log2 luminance and the log2 of the mean
    luminance (close to, not equal to, ``log2(0.18) −`` the EV of global auto-exposure, which
    averages the linearised luma of the sRGB values instead), both over the
    whole photo and over the segment; the segment's share of clipped highlights and crushed
    shadows; and the log-luminance histograms of the photo and of the segment. Plus the
    segment's area. Log-luminances are divided by ``−LOG_LUMA_FLOOR`` so all lie in ``[−1, 0]``.

    Args:
        state: ``(B, 9, H, W)`` float in ``[0, 1]``: seg, original, local (the actor's input).

    Returns:
        ``(B, NUM_STATISTICS)`` float, differentiable with respect to ``local``.
    """
    seg, original, local = state[:, 0:3], state[:, 3:6], state[:, 6:9]
    mask = segment_mask(seg, original).flatten(1)  # (B, H·W)
    area = mask.sum(dim=1).clamp_min(1.0)
    scale = -LOG_LUMA_FLOOR
    scalars, histograms = [mask.mean(dim=1, keepdim=True)], []
    for image in (original, local):
        log_luma = _log_luma(image)
        luma = torch.exp2(log_luma)
        grey = image.mean(dim=1).flatten(1)
        scalars += [
            log_luma.mean(dim=1, keepdim=True) / scale,
            torch.log2(luma.mean(dim=1, keepdim=True)) / scale,
            (log_luma * mask).sum(dim=1, keepdim=True) / area[:, None] / scale,
            torch.log2((luma * mask).sum(dim=1, keepdim=True) / area[:, None]).clamp_min(LOG_LUMA_FLOOR) / scale,
            ((grey > 0.98).float() * mask).sum(dim=1, keepdim=True) / area[:, None],
            ((grey < 0.02).float() * mask).sum(dim=1, keepdim=True) / area[:, None],
        ]
        histograms += [_histogram(log_luma, torch.ones_like(mask)), _histogram(log_luma, mask)]
    return torch.cat(scalars + histograms, dim=1)


#: channels of :func:`segment_place`
NUM_PLACE_FEATURES = 4


def segment_place(state: torch.Tensor) -> torch.Tensor:
    """Where segment t lies in the photo: its centre and spread, top/left = 0, bottom/right = 1.

    Args:
        state: ``(B, 9, H, W)`` float in ``[0, 1]``: seg, original, local (the actor's input).

    Returns:
        ``(B, 4)`` float: the mask-weighted mean row and column, and their standard deviations,
        in image heights and widths (0 for an empty segment).
    """
    mask = segment_mask(state[:, 0:3], state[:, 3:6])[:, 0]  # (B, H, W)
    height, width = mask.shape[-2:]
    rows = torch.linspace(0.0, 1.0, height, device=mask.device, dtype=mask.dtype)[None, :, None]
    columns = torch.linspace(0.0, 1.0, width, device=mask.device, dtype=mask.dtype)[None, None, :]
    area = mask.sum(dim=(1, 2)).clamp_min(1.0)
    row = (mask * rows).sum(dim=(1, 2)) / area
    column = (mask * columns).sum(dim=(1, 2)) / area
    row_spread = ((mask * (rows - row[:, None, None]) ** 2).sum(dim=(1, 2)) / area).sqrt()
    column_spread = ((mask * (columns - column[:, None, None]) ** 2).sum(dim=(1, 2)) / area).sqrt()
    return torch.stack([row, column, row_spread, column_spread], dim=1)


#: what the actor's exposure starts from, before its learned part (see :class:`Actor`)
EV_PRIORS = ("auto-exposure", "none")


class Actor(nn.Module):
    """π_θ: the state ``(B, 9, H, W)`` in ``[0, 1]`` (seg, original, local) -> action ``(B, 1)`` in ``[-1, 1]``.

    An exposure decision depends on brightness, not on what the photo shows, so the actor reads
    :func:`exposure_statistics` (histograms and means of log-luminance, in the photo and in the
    segment) through an MLP. With ``widths`` a :class:`ConvTrunk` of the state adds pooled
    image features (appendix Fig. 2's design); on the embedded photos one seed of it ends 0.7 dB above
    auto-exposure, the only ablation that does (``docs/results/learning_ladder``); one seed, so it is not
    the default.

    With ``ev_prior="auto-exposure"`` (the default) the MLP's output is a residual in stops added
    to the photo's global auto-exposure EV (:func:`~exposure_env.ops.exposure.auto_exposure_ev_torch`
    of S0): ``e_t = e_auto + max_ev·tanh(h)``, ``a_t = clamp(e_t / max_ev, −1, 1)``. The residual
    spans the whole action range, so every action stays reachable; the prior only sets where
    learning starts, like the skip connection of a residual network. The policy stays deterministic
    and is trained only by the RL objective. With ``ev_prior="none"``: ``a_t = tanh(h)``, the
    paper's plain actor. The last layer starts at 1/10 scale, so the first actions are near the
    prior (0 EV without one), far from tanh's saturation.

    With ``ev_window=W`` (auto-exposure prior only) the residual spans ``±W`` stops instead of the
    whole range: ``e_t = e_auto + W·tanh(h)``, still clamped to ``±max_ev``. A window is a bound
    on how far any segment's exposure may stray from the photo's global auto-exposure; it keeps a
    critic that favours lifted shadows from pushing the darkest segment to the EV limit (issue 28,
    round 3: the shipped policy's darkest segment sat at +5 EV on 11 of 16 fivek photos).

    With ``place=True`` the MLP also reads where the segment lies (:func:`segment_place`), so it
    can, for example, treat a bright segment at the top (a sky) unlike one at the bottom.

    Args:
        widths: channels of the optional convolution trunk (``()``: statistics only).
        hidden: width of the MLP's two hidden layers.
        ev_prior: one of :data:`EV_PRIORS`.
        max_ev: stops of exposure at ``|a| = 1`` (the env's ``max_ev``).
        place: read the segment's place in the photo too.
        ev_window: stops the residual spans around the auto-exposure prior (``None``: ``max_ev``, the whole range).

    Raises:
        ValueError: unknown ``ev_prior``, ``max_ev <= 0``, or an ``ev_window`` that is not in ``(0, 2·max_ev]`` or is
            given without the auto-exposure prior.
    """

    def __init__(self, widths: tuple[int, ...] = (), hidden: int = HIDDEN, ev_prior: str = "auto-exposure",
                 max_ev: float = 3.0, place: bool = False, ev_window: float | None = None):
        super().__init__()
        if ev_prior not in EV_PRIORS:
            raise ValueError(f"Actor: ev_prior must be one of {EV_PRIORS}, got {ev_prior!r}")
        if not max_ev > 0:
            raise ValueError(f"Actor: max_ev must be > 0, got {max_ev!r}")
        self.widths, self.hidden, self.ev_prior, self.max_ev = tuple(widths), int(hidden), ev_prior, float(max_ev)
        self.place = bool(place)
        if ev_window is not None and ev_prior != "auto-exposure":
            raise ValueError(f"Actor: ev_window {ev_window!r} bounds the residual around the auto-exposure prior; "
                             f"ev_prior {ev_prior!r} has none")
        if ev_window is not None and not 0 < float(ev_window) <= 2 * self.max_ev:
            raise ValueError(f"Actor: ev_window must be in (0, 2·max_ev] = (0, {2 * self.max_ev:g}] stops, "
                             f"got {ev_window!r}")
        self.ev_window = None if ev_window is None else float(ev_window)
        self.trunk = ConvTrunk(3 * len(OBSERVATION_KEYS), hidden, self.widths) if self.widths else None
        inputs = NUM_STATISTICS + (hidden if self.widths else 0) + (NUM_PLACE_FEATURES if self.place else 0)
        self.mlp = nn.Sequential(nn.Linear(inputs, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                                 nn.LeakyReLU(0.2), nn.Linear(hidden, 1))
        with torch.no_grad():
            self.mlp[-1].weight.mul_(0.1)
            self.mlp[-1].bias.zero_()

    def forward(self, state: torch.Tensor) -> torch.Tensor:
        features = exposure_statistics(state)
        if self.place:
            features = torch.cat([features, segment_place(state)], dim=1)
        if self.trunk is not None:
            features = torch.cat([features, self.trunk(state * 2.0 - 1.0)], dim=1)
        learned = torch.tanh(self.mlp(features))
        if self.ev_prior == "none":
            return learned
        prior = auto_exposure_ev_torch(state[:, 3:6]).unsqueeze(1) / self.max_ev  # S0's auto-exposure, in action units
        window = 1.0 if self.ev_window is None else self.ev_window / self.max_ev  # the residual's reach, action units
        return torch.clamp(prior + window * learned, -1.0, 1.0)


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
        if not isinstance(critic, Discriminator):
            raise ValueError(f"value_init='discriminator' needs one Discriminator to copy, got a {type(critic).__name__} "
                             "(an ensemble has no single trunk); use value_init='random'")
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

    Args:
        observation_space: ``Dict(seg, original, local)`` of channel-first uint8 images
            (SB3 transposes the env's HWC images with ``VecTransposeImage``).
        action_space: ``Box(-1, 1, (1,))``.
        lr_schedule: learning rate of the actor (SB3 schedule: progress remaining -> rate; the
            optimiser starts at ``lr_schedule(1)``).
        value: ``"network"`` builds V_ω (Alg. 1); ``"discriminator"`` does not (Alg. 2).
        num_segments: T, the outputs of the value network's head.
        widths: channels of the value network's stride-2 convolutions (those of the critic, so
            it can start from it).
        actor_widths: channels of the actor's optional convolution trunk (``()``: none).
        actor_hidden: width of the actor's MLP.
        ev_prior: where the actor's exposure starts (:data:`EV_PRIORS`; see :class:`Actor`).
        max_ev: the env's stops at ``|a| = 1`` (the actor's prior is in stops).
        segment_place: the actor also reads where the segment lies (:func:`segment_place`).
        ev_window: stops the actor's residual spans around the auto-exposure prior (see :class:`Actor`).
        value_learning_rate: learning rate of V_ω.
        optimizer_class: optimiser of the actor and of V_ω.
        optimizer_kwargs: its extra arguments.

    Raises:
        ValueError: an unknown ``ev_prior``, ``max_ev <= 0`` or a bad ``ev_window`` (from :class:`Actor`).
    """

    def __init__(
        self,
        observation_space: spaces.Dict,
        action_space: spaces.Box,
        lr_schedule: Schedule,
        value: str = "network",
        num_segments: int = 4,
        widths: tuple[int, ...] = WIDTHS,
        actor_widths: tuple[int, ...] = (),
        actor_hidden: int = HIDDEN,
        ev_prior: str = "auto-exposure",
        max_ev: float = 3.0,
        segment_place: bool = False,
        ev_window: float | None = None,
        value_learning_rate: float = 1e-3,
        optimizer_class: type[torch.optim.Optimizer] = torch.optim.Adam,
        optimizer_kwargs: dict[str, Any] | None = None,
    ):
        super().__init__(observation_space, action_space, optimizer_class=optimizer_class,
                         optimizer_kwargs=optimizer_kwargs, squash_output=True)
        self.value, self.num_segments, self.widths = value, int(num_segments), tuple(widths)
        self.actor_widths, self.actor_hidden = tuple(actor_widths), int(actor_hidden)
        self.ev_prior, self.max_ev, self.segment_place = ev_prior, float(max_ev), bool(segment_place)
        self.ev_window = None if ev_window is None else float(ev_window)
        self.value_learning_rate = value_learning_rate
        self.actor = Actor(self.actor_widths, self.actor_hidden, ev_prior, self.max_ev, self.segment_place,
                           self.ev_window)
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
                    actor_widths=self.actor_widths, actor_hidden=self.actor_hidden, ev_prior=self.ev_prior,
                    max_ev=self.max_ev, segment_place=self.segment_place, ev_window=self.ev_window,
                    value_learning_rate=self.value_learning_rate)
        return data

    def state(self, observation: PyTorchObs) -> torch.Tensor:
        """The actor's input: ``(B, 9, H, W)`` float in ``[0, 1]`` from the Dict observation."""
        images = preprocess_obs(observation, self.observation_space, normalize_images=True)
        return torch.cat([images[key] for key in OBSERVATION_KEYS], dim=1)

    def forward(self, observation: PyTorchObs, deterministic: bool = True) -> torch.Tensor:
        return self._predict(observation, deterministic)

    def _predict(self, observation: PyTorchObs, deterministic: bool = True) -> torch.Tensor:
        # the policy is deterministic; exploration noise (OU) is added by the algorithm
        return self.actor(self.state(observation))
