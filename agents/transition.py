"""The deterministic, differentiable transition p(s_t, a_t) of the MDP, read from observations,
and the whole episode unrolled through it (:func:`unroll`).

Everything the local filter needs is in the observation: ``original`` is S0, ``local`` is
S^l_t and ``seg`` is S0 masked to segment t, so the mask is ``seg / original`` wherever S0 is
not black (where it is black the exposure changes nothing, so the mask does not matter there).
Any ``VecEnv`` of ``ExposureRetouch-v0`` therefore works, no env internals needed.
"""

from __future__ import annotations

from typing import Callable

import torch

from exposure_env.ops.exposure import local_composite_torch
from exposure_env.ops.fusion import fuse_exposures_torch

def segment_mask(seg: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """M_t from the observation: ``(B, 3, H, W)`` seg and original in ``[0, 1]`` -> ``(B, 1, H, W)`` in ``[0, 1]``.

    Exact for hard masks (seg is a copy of S0 inside the segment); for feathered masks it is
    the uint8-quantised weight.
    """
    original_sum = original.sum(dim=1, keepdim=True)
    ratio = seg.sum(dim=1, keepdim=True) / original_sum.clamp_min(1e-6)
    return torch.where(original_sum > 0, ratio.clamp(0.0, 1.0), torch.zeros_like(ratio))


def after_state(images: dict[str, torch.Tensor], action: torch.Tensor, max_ev: float,
                shoulder: float | None = None) -> torch.Tensor:
    """p(s_t, a_t): S^l_{t+1} = S^l_t·(1−M_t) + expose(S^l_t, e_t)·M_t with e_t = a_t·max_ev.

    Args:
        images: ``seg``, ``original``, ``local`` as ``(B, 3, H, W)`` float in ``[0, 1]``.
        action: ``(B, 1)`` or ``(B,)`` in ``[-1, 1]``; gradients flow to it.
        max_ev: stops of exposure at ``|a| = 1``.
        shoulder: the env's highlight-shoulder knee (``None``: clip).

    Returns:
        ``(B, 3, H, W)`` S^l_{t+1}, differentiable with respect to ``action``.
    """
    mask = segment_mask(images["seg"], images["original"])
    ev = action.reshape(-1) * max_ev
    return local_composite_torch(images["local"], ev, mask, shoulder)


def unroll(
    actor: Callable[[torch.Tensor], torch.Tensor],
    original: torch.Tensor,
    masks: torch.Tensor,
    max_ev: float,
    fusion_weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
    fuse_input: bool = False,
    shoulder: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One whole episode of the deterministic policy, differentiable end to end.

    For t = 0..T−1: ``a_t = π(seg_t, S0, S^l_t)``, ``S^l_{t+1} = p(s_t, a_t)`` and
    ``S^g_t = expose(S0, a_t·max_ev)``; then ``P_T`` = Mertens fusion of the S^g (appendix Eq.
    30–31, the torch twin of the env's OpenCV fusion). Gradients reach the actor through every
    step, including the effect of early exposures on later states: this is the generator view
    of appendix C, ∇θJ ≈ C·∇θL_G with P_T itself rather than its stand-in S^l_{t+1}.

    Args:
        actor: ``(B, 9, H, W)`` state in ``[0, 1]`` -> ``(B, 1)`` action in ``[-1, 1]``.
        original: ``(B, 3, H, W)`` S0 in ``[0, 1]``.
        masks: ``(B, T, H, W)`` segment masks in ``[0, 1]``, in step order.
        max_ev: stops of exposure at ``|a| = 1``.
        fusion_weights: Mertens exponents (contrast, saturation, well-exposedness), as the env's.
        fuse_input: also fuse S0's own 0-EV frame into P_T, as the env's ``fuse_input``.
        shoulder: the exposures' highlight-shoulder knee, as the env's ``shoulder`` (``None``: clip).

    Returns:
        ``(fused, local, actions)``: P_T ``(B, 3, H, W)``, S^l_T ``(B, 3, H, W)`` and the actions ``(B, T)``.
    """
    local, actions = original, []
    for step in range(masks.shape[1]):
        mask = masks[:, step : step + 1]
        action = actor(torch.cat([original * mask, original, local], dim=1)).reshape(-1)
        local = local_composite_torch(local, action * max_ev, mask, shoulder)
        actions.append(action)
    actions = torch.stack(actions, dim=1)
    return fuse_exposures_torch(original, actions * max_ev, fusion_weights, fuse_input, shoulder), local, actions
