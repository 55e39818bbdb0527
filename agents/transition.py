"""The deterministic, differentiable transition p(s_t, a_t) of the MDP, read from observations.

Everything the local filter needs is in the observation: ``original`` is S0, ``local`` is
S^l_t and ``seg`` is S0 masked to segment t, so the mask is ``seg / original`` wherever S0 is
not black (where it is black the exposure changes nothing, so the mask does not matter there).
Any ``VecEnv`` of ``ExposureRetouch-v0`` therefore works, no env internals needed.
"""

from __future__ import annotations

import torch

from exposure_env.ops.exposure import local_composite_torch

#: The Dict observation's keys, in the order of the actor's 9 input channels.
STATE_KEYS = ("seg", "original", "local")


def segment_mask(seg: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """M_t from the observation: ``(B, 3, H, W)`` seg and original in ``[0, 1]`` -> ``(B, 1, H, W)`` in ``[0, 1]``.

    Exact for hard masks (seg is a copy of S0 inside the segment); for feathered masks it is
    the uint8-quantised weight.
    """
    original_sum = original.sum(dim=1, keepdim=True)
    ratio = seg.sum(dim=1, keepdim=True) / original_sum.clamp_min(1e-6)
    return torch.where(original_sum > 0, ratio.clamp(0.0, 1.0), torch.zeros_like(ratio))


def after_state(images: dict[str, torch.Tensor], action: torch.Tensor, max_ev: float) -> torch.Tensor:
    """p(s_t, a_t): S^l_{t+1} = S^l_t·(1−M_t) + expose(S^l_t, e_t)·M_t with e_t = a_t·max_ev.

    Args:
        images: ``seg``, ``original``, ``local`` as ``(B, 3, H, W)`` float in ``[0, 1]``.
        action: ``(B, 1)`` or ``(B,)`` in ``[-1, 1]``; gradients flow to it.
        max_ev: stops of exposure at ``|a| = 1``.

    Returns:
        ``(B, 3, H, W)`` S^l_{t+1}, differentiable with respect to ``action``.
    """
    mask = segment_mask(images["seg"], images["original"])
    ev = action.reshape(-1) * max_ev
    return local_composite_torch(images["local"], ev, mask)
