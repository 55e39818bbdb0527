"""Exposure in linear light and the local composite update, numpy and torch twins.

The transition of the environment page's MDP (``docs/environment.md``, Description):
``S^g_t = expose(S0, e_t)`` (global filter) and ``S^l_{t+1} = S^l_t·(1−M_t) + expose(S^l_t, e_t)·M_t``
(local filter).

``shoulder=knee`` (off by default: the hard clip at white) replaces the clip by a highlight shoulder
(issue 30), :func:`highlight_shoulder`: identity up to the knee, then Reinhard's roll-off with a white
point, so that a bright area pushed past white keeps its gradient instead of turning flat white. The env's
``shoulder`` setting (:class:`~exposure_env.mdp.ExposureMDP`) passes it to every exposure of an episode and
of its full-resolution render.
"""

from __future__ import annotations

import numpy as np
import torch

from exposure_env.ops.color import (
    linear_to_srgb,
    linear_to_srgb_torch,
    luma,
    luma_torch,
    srgb_to_linear,
    srgb_to_linear_torch,
)

#: linear luminance of a mid-grey card, the target of global auto-exposure
MID_GREY = 0.18
#: the sRGB values of the 256 codes of a uint8 image: ``code / 255`` in float32
UINT8_CODES = np.arange(256, dtype=np.float32) / np.float32(255.0)
#: mean of the linearised luma below which auto-exposure stops brightening (about 13 stops under white)
_AUTO_EXPOSURE_FLOOR = 1e-4
#: the averages :func:`auto_exposure_ev` can bring to mid-grey
AUTO_EXPOSURE_STATISTICS = ("mean", "log-average")
#: :func:`highlight_shoulder`'s default knee: the linear value above which it rolls off (sRGB 0.735, 8-bit code
#: 188), the one issue 30 measured on the render alone. A ramp from sRGB 0.5 to white pushed +3 EV keeps 17 codes
#: (238..255) under it; under a knee at 0.8 it would keep 4 (251..255). The fusion look's env uses 0.1
SHOULDER_KNEE = 0.5


def check_knee(knee: float) -> float:
    """``knee`` as a float, or a ValueError: a shoulder's knee must be a number in ``(0, 1)`` in linear light."""
    try:
        value = float(knee)
    except (TypeError, ValueError):
        value = None
    if isinstance(knee, bool) or value is None or not 0.0 < value < 1.0:
        raise ValueError(f"shoulder {knee!r}: the knee must be a linear value in (0, 1), e.g. 0.1 (the fusion "
                         "look's), or None to clip at white")
    return value


def highlight_shoulder(linear: np.ndarray, gain: np.ndarray | float, knee: float = SHOULDER_KNEE) -> np.ndarray:
    """Roll linear values ``linear`` (a photo multiplied by ``gain``) off smoothly towards 1 instead of clipping.

    Below the knee ``k`` the values are kept; above it the excess
    ``t = (v − k) / (1 − k)`` is compressed by the extended Reinhard operator (Reinhard et al.
    2002, "Photographic Tone Reproduction for Digital Images", Eq. 4) with its white point at the
    brightest value the gain can make, ``T_w = max((gain − k) / (1 − k), 1)``:

      ``v' = k + (1 − k) · t (1 + t / T_w²) / (1 + t)``.

    So the photo's white (``v = gain``) maps to exactly 1, the curve is strictly increasing on
    ``[0, gain]`` (its slope in ``t`` is ``(1 + 2t/T_w² + t²/T_w²) / (1 + t)² > 0``), its value and
    slope are continuous at the knee (slope 1 there: C1), and for ``gain <= 1`` (nothing can clip)
    it is the identity (``T_w = 1`` makes the roll-off ``t``).

    Args:
        linear: ``(...)`` linear-light values in ``[0, gain]``, float.
        gain: the linear gain ``2^ev`` they were multiplied by, a scalar or broadcastable against ``linear``.
        knee: ``k``, a linear value in ``(0, 1)``.

    Returns:
        Same shape and dtype as ``linear``, in ``[0, 1]``.

    Raises:
        ValueError: ``knee`` outside ``(0, 1)``.
    """
    knee = check_knee(knee)
    white = np.maximum((np.asarray(gain, dtype=linear.dtype) - knee) / (1.0 - knee), 1.0)
    excess = np.maximum(linear - knee, 0.0) / (1.0 - knee)
    rolled = knee + (1.0 - knee) * excess * (1.0 + excess / (white * white)) / (1.0 + excess)
    return np.where(linear > knee, np.minimum(rolled, 1.0), linear).astype(linear.dtype, copy=False)


def highlight_shoulder_torch(linear: torch.Tensor, gain: torch.Tensor, knee: float = SHOULDER_KNEE) -> torch.Tensor:
    """Torch twin of :func:`highlight_shoulder` (differentiable in ``linear`` and ``gain``)."""
    knee = check_knee(knee)
    white = torch.clamp((gain - knee) / (1.0 - knee), min=1.0)
    excess = torch.clamp(linear - knee, min=0.0) / (1.0 - knee)
    rolled = knee + (1.0 - knee) * excess * (1.0 + excess / (white * white)) / (1.0 + excess)
    return torch.where(linear > knee, torch.clamp(rolled, max=1.0), linear)


def expose(srgb: np.ndarray, ev: float | np.ndarray, shoulder: float | None = None) -> np.ndarray:
    """Re-expose an sRGB image by ``ev`` stops in linear light.

    ``x' = linear_to_srgb(clip(srgb_to_linear(x) · 2^ev, 0, 1))``, or with a ``shoulder`` knee
    ``linear_to_srgb(highlight_shoulder(srgb_to_linear(x) · 2^ev, 2^ev, shoulder))``.

    Args:
        srgb: ``(..., 3)`` float sRGB in ``[0, 1]``.
        ev: exposure value in stops, or an array of them broadcastable against ``srgb``.
        shoulder: ``None`` clips at white; a knee in ``(0, 1)`` (linear light, e.g. :data:`SHOULDER_KNEE`)
            rolls the highlights off towards white from there instead (:func:`highlight_shoulder`).

    Returns:
        Same shape and dtype as ``srgb``.

    Raises:
        ValueError: a ``shoulder`` outside ``(0, 1)``.
    """
    gain = np.asarray(2.0**ev, dtype=srgb.dtype)
    linear = srgb_to_linear(srgb) * gain
    if shoulder is None:
        return linear_to_srgb(np.clip(linear, 0.0, 1.0))
    return linear_to_srgb(highlight_shoulder(np.maximum(linear, 0.0), gain, shoulder))


def exposure_tables(codes: np.ndarray, evs: np.ndarray, shoulder: float | None = None) -> np.ndarray:
    """:func:`expose` of the K code values of integer-coded images (not of an image), one table per EV.

    A uint8 (uint16) image has only 256 (65536) code values, so a table per EV replaces the
    per-pixel ``pow`` calls: ``table[code]`` is the exposed pixel.

    Args:
        codes: ``(K,)`` float sRGB values of the K codes, e.g. :data:`UINT8_CODES`.
        evs: ``(n,)`` exposure values in stops.
        shoulder: as :func:`expose`'s.

    Returns:
        ``(n, K)`` tables of ``codes``' dtype.
    """
    return expose(codes[None, :], np.asarray(evs)[:, None], shoulder)


def exposure_tables_torch(codes: torch.Tensor, evs: torch.Tensor, shoulder: float | None = None) -> torch.Tensor:
    """Torch twin of :func:`exposure_tables`: ``(K,)`` codes, ``(n,)`` EVs -> ``(n, K)`` tables."""
    count = evs.shape[0]
    return expose_torch(codes.view(1, 1, 1, -1).expand(count, 1, 1, -1), evs, shoulder).view(count, -1)


def expose_lut(ev: float, bit_depth: int = 8, shoulder: float | None = None) -> np.ndarray:
    """Integer lookup table applying :func:`expose` (``shoulder`` as its) to a ``bit_depth``-bit image, rounded.

    Returns:
        ``(2**bit_depth,)`` uint8 or uint16 table, e.g. ``cv2.LUT(image, lut)`` or ``lut[image]``.
    """
    dtype = {8: np.uint8, 16: np.uint16}[bit_depth]
    top = float(2**bit_depth - 1)
    codes = np.arange(2**bit_depth, dtype=np.float64) / top
    return np.rint(expose(codes, ev, shoulder) * top).astype(dtype)


def expose_torch(srgb: torch.Tensor, ev: torch.Tensor, shoulder: float | None = None) -> torch.Tensor:
    """Torch twin of :func:`expose`, differentiable with respect to ``srgb`` and ``ev``.

    Args:
        srgb: ``(B, 3, H, W)`` sRGB in ``[0, 1]``.
        ev: ``(B,)`` exposure values in stops.
        shoulder: as :func:`expose`'s.

    Returns:
        ``(B, 3, H, W)``.
    """
    gain = torch.exp2(ev).view(-1, 1, 1, 1)
    linear = srgb_to_linear_torch(srgb) * gain
    if shoulder is not None:
        return linear_to_srgb_torch(highlight_shoulder_torch(torch.clamp(linear, min=0.0), gain, shoulder))
    return linear_to_srgb_torch(torch.clamp(linear, 0.0, 1.0))


def local_composite(local: np.ndarray, ev: float, mask: np.ndarray, shoulder: float | None = None) -> np.ndarray:
    """Re-expose only the masked segment of the running composite (the local filter).

    ``S^l_{t+1} = S^l_t·(1−M_t) + expose(S^l_t, e_t)·M_t``.

    Args:
        local: ``(H, W, 3)`` float sRGB composite ``S^l_t``.
        ev: exposure value ``e_t`` in stops.
        mask: ``(H, W)`` float in ``[0, 1]``, the segment ``M_t``.
        shoulder: as :func:`expose`'s.

    Returns:
        ``(H, W, 3)`` composite ``S^l_{t+1}``.
    """
    weight = mask[..., None].astype(local.dtype, copy=False)
    return local * (1.0 - weight) + expose(local, ev, shoulder) * weight


def local_composite_torch(local: torch.Tensor, ev: torch.Tensor, mask: torch.Tensor,
                          shoulder: float | None = None) -> torch.Tensor:
    """Torch twin of :func:`local_composite`.

    Args:
        local: ``(B, 3, H, W)`` composite ``S^l_t``.
        ev: ``(B,)`` exposure values.
        mask: ``(B, 1, H, W)`` or ``(B, H, W)`` segment weights in ``[0, 1]``.
        shoulder: as :func:`expose`'s.

    Returns:
        ``(B, 3, H, W)`` composite ``S^l_{t+1}``.
    """
    weight = mask if mask.dim() == 4 else mask.unsqueeze(1)
    return local * (1.0 - weight) + expose_torch(local, ev, shoulder) * weight


def auto_exposure_ev(srgb: np.ndarray, statistic: str = "mean") -> float:
    """Global auto-exposure: the EV that brings the average linearised luma of ``srgb`` to :data:`MID_GREY`.

    ``e = log2(0.18 / avg(srgb_to_linear(luma(x))))``: Rec. 709 luma of the sRGB values, decoded to
    linear light, averaged by ``statistic``:

    - ``"mean"``: the arithmetic mean, floored at 1e-4;
    - ``"log-average"``: the geometric mean ``exp(mean(log(max(Y, 1e-4))))``, the scene key of
      Reinhard et al. 2002 (Eq. 1). Dark pixels pull it down more, so it brightens more.

    Args:
        srgb: ``(..., 3)`` float sRGB in ``[0, 1]``; an empty array gives 0 EV.
        statistic: ``"mean"`` or ``"log-average"``.

    Returns:
        The exposure value in stops (not clipped to any action range).

    Raises:
        ValueError: an unknown ``statistic``.
    """
    if statistic not in AUTO_EXPOSURE_STATISTICS:
        raise ValueError(f"statistic {statistic!r}: expected one of {AUTO_EXPOSURE_STATISTICS}")
    if srgb.size == 0:
        return 0.0
    linear = srgb_to_linear(luma(srgb.astype(np.float32, copy=False))).ravel()
    if statistic == "log-average":
        average = float(np.exp(np.log(np.maximum(linear, _AUTO_EXPOSURE_FLOOR)).mean()))
    else:
        average = float(linear.mean())
    return float(np.log2(MID_GREY / max(average, _AUTO_EXPOSURE_FLOOR)))


def auto_exposure_ev_torch(srgb: torch.Tensor, statistic: str = "mean") -> torch.Tensor:
    """Torch twin of :func:`auto_exposure_ev`, one EV per image: ``(B, 3, H, W)`` -> ``(B,)`` stops."""
    if statistic not in AUTO_EXPOSURE_STATISTICS:
        raise ValueError(f"statistic {statistic!r}: expected one of {AUTO_EXPOSURE_STATISTICS}")
    linear = srgb_to_linear_torch(luma_torch(srgb)).flatten(1)
    if statistic == "log-average":
        average = torch.exp(torch.log(linear.clamp_min(_AUTO_EXPOSURE_FLOOR)).mean(dim=1))
    else:
        average = linear.mean(dim=1)
    return torch.log2(MID_GREY / average.clamp_min(_AUTO_EXPOSURE_FLOOR))
