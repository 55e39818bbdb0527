"""Synthetic raw photos: spatially varying exposure errors applied in linear light.

A clean sRGB crop becomes a "raw" photo whose exposure is wrong by a different amount in
different places and tones, so that choosing one exposure per segment matters. The error is
mostly a per-pixel gain in linear light (the part an exposure fix can undo) plus a mild tone
change (gamma and contrast jitter). All functions are pure numpy.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from exposure_env.ops.color import linear_to_srgb, luma, srgb_to_linear

#: smallest linear luminance the tonal bands tell apart (``2**-12``, about 12 stops below white)
_LUMINANCE_FLOOR = 2.0**-12
#: blur (pixels) of the luminance that decides tonal bands, so bands follow regions, not noise
_BAND_BLUR_SIGMA = 2.0
#: sharpest allowed band transition (logistic scale), in stops of luminance
_MIN_BAND_SOFTNESS = 0.25


@dataclass(frozen=True)
class DegradationParams:
    """Drawn parameters of one degradation; the defaults are neutral (the identity).

    Exposure terms are in stops (EV) and add up to a per-pixel gain map in linear light.
    Ranges are those :func:`random_degradation` draws from.

    Attributes:
        global_ev: shift of the whole photo, uniform in ``[-2.5, 1.5]`` (mean -0.5: biased to
            under-exposure, as real raw photos are).
        gradient_ev: linear ramp across the photo along ``gradient_angle``, from
            ``-gradient_ev`` at one edge to ``+gradient_ev`` at the opposite one; uniform in
            ``[-1, 1]``.
        gradient_angle: direction of the ramp in radians, uniform in ``[0, 2π)``.
        vignette_ev: shift at the corners, growing with the squared distance from the centre
            (0 there); uniform in ``[-1, 0]``.
        band_evs: one shift per tonal band, darkest band first. The bands split the clean
            photo's (blurred) log-luminance at its quantiles into equally populated parts;
            2 to 4 bands, each shift uniform in ``[-1.5, 1.5]``. Bands blend smoothly, and
            never so steeply that tone order reverses (see :func:`tonal_band_ev`).
        gamma: power applied to linear values after the gain (white stays white), log-uniform
            in ``[0.8, 1.25]``.
        contrast: strength of an S-curve around sRGB mid-grey after encoding; the slope at
            mid-grey is ``1 + contrast / 2``; black and white stay fixed; uniform in
            ``[-0.3, 0.3]``.
    """

    global_ev: float = 0.0
    gradient_ev: float = 0.0
    gradient_angle: float = 0.0
    vignette_ev: float = 0.0
    band_evs: tuple[float, ...] = ()
    gamma: float = 1.0
    contrast: float = 0.0


def random_degradation(rng: np.random.Generator) -> DegradationParams:
    """Draw the parameters of one degradation (ranges in :class:`DegradationParams`).

    The parameters do not depend on the photo's size: spatial terms live in coordinates
    normalised to the photo, tonal bands in the photo's own luminance quantiles.
    """
    num_bands = int(rng.integers(2, 5))
    return DegradationParams(
        global_ev=float(rng.uniform(-2.5, 1.5)),
        gradient_ev=float(rng.uniform(-1.0, 1.0)),
        gradient_angle=float(rng.uniform(0.0, 2.0 * np.pi)),
        vignette_ev=float(rng.uniform(-1.0, 0.0)),
        band_evs=tuple(float(ev) for ev in rng.uniform(-1.5, 1.5, size=num_bands)),
        gamma=float(np.exp(rng.uniform(np.log(0.8), np.log(1.25)))),
        contrast=float(rng.uniform(-0.3, 0.3)),
    )


@functools.lru_cache(maxsize=16)
def _normalised_grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read-only ``(ys, xs, radius²/2)``, each ``(height, width)`` float32; ``ys, xs`` in ``[-1, 1]``."""
    ys, xs = np.meshgrid(
        np.linspace(-1.0, 1.0, height, dtype=np.float32), np.linspace(-1.0, 1.0, width, dtype=np.float32), indexing="ij"
    )
    half_radius_squared = (xs**2 + ys**2) / 2.0  # 0 at the centre, 1 at the corners
    for grid in (ys, xs, half_radius_squared):
        grid.setflags(write=False)
    return ys, xs, half_radius_squared


def spatial_ev(height: int, width: int, params: DegradationParams) -> np.ndarray:
    """Global shift + gradient + vignette, in stops: ``(height, width)`` float32."""
    ys, xs, half_radius_squared = _normalised_grid(height, width)
    cos, sin = float(np.cos(params.gradient_angle)), float(np.sin(params.gradient_angle))
    along = (xs * cos + ys * sin) / (abs(cos) + abs(sin))  # exactly [-1, 1] across the photo
    return (params.global_ev + params.gradient_ev * along + params.vignette_ev * half_radius_squared).astype(np.float32)


def tonal_band_ev(linear_rgb: np.ndarray, band_evs: tuple[float, ...]) -> np.ndarray:
    """Per-tonal-band shift in stops: ``(H, W, 3)`` linear RGB -> ``(H, W)`` float32.

    The blurred log2 luminance is cut at its quantiles into ``len(band_evs)`` equally
    populated bands; each edge is a logistic step of softness
    ``s = max(0.25, sum(|steps|) / 3)`` stops, so the shift's slope along log-luminance stays
    below 3/4 and the degraded tones keep their order (no seams, no inversions).
    """
    height, width = linear_rgb.shape[:2]
    if len(band_evs) == 0:
        return np.zeros((height, width), np.float32)
    # luma's Rec. 709 sum of linear RGB: relative luminance Y
    blurred = cv2.GaussianBlur(luma(linear_rgb), (0, 0), sigmaX=_BAND_BLUR_SIGMA)
    log_luminance = np.log2(np.maximum(blurred, _LUMINANCE_FLOOR))
    evs = np.asarray(band_evs, np.float32)
    steps = np.diff(evs)
    ranked = np.sort(log_luminance[::2, ::2], axis=None)  # every 4th pixel: enough for quantiles of a blur
    edges = ranked[(np.arange(1, len(evs)) * ranked.size) // len(evs)]
    softness = max(_MIN_BAND_SOFTNESS, float(np.abs(steps).sum()) / 3.0)
    shift = np.full((height, width), evs[0], np.float32)
    for step, edge in zip(steps, edges):
        shift += step / (1.0 + np.exp((edge - log_luminance) / softness))
    return shift


def gain_map(linear_rgb: np.ndarray, params: DegradationParams) -> np.ndarray:
    """Total exposure error in stops before clipping: ``(H, W, 3)`` linear RGB -> ``(H, W)`` float32."""
    height, width = linear_rgb.shape[:2]
    return spatial_ev(height, width, params) + tonal_band_ev(linear_rgb, params.band_evs)


def s_curve(srgb: np.ndarray, strength: float) -> np.ndarray:
    """Contrast S-curve in sRGB: ``x + strength * (smoothstep(x) - x)``; 0 and 1 stay fixed.

    Monotone for ``|strength| <= 1``; slope ``1 + strength / 2`` at 0.5, ``1 - strength`` at the ends.
    """
    smoothstep = srgb * srgb * (3.0 - 2.0 * srgb)
    return srgb + np.float32(strength) * (smoothstep - srgb)


def degrade(clean_srgb: np.ndarray, params: DegradationParams) -> np.ndarray:
    """Apply a degradation to a clean photo.

    ``raw = s_curve(linear_to_srgb(clip(linear * 2**gain_map(linear), 0, 1) ** gamma), contrast)``
    with ``linear = srgb_to_linear(clean_srgb)``: the gain clips like a sensor, then the tone
    jitter is applied.

    Args:
        clean_srgb: ``(H, W, 3)`` float32 sRGB in ``[0, 1]``.
        params: from :func:`random_degradation`, or hand-made.

    Returns:
        ``(H, W, 3)`` float32 sRGB in ``[0, 1]``; equal to ``clean_srgb`` (to float rounding)
        when ``params`` are neutral.
    """
    clean_linear = srgb_to_linear(clean_srgb.astype(np.float32, copy=False))
    linear = clean_linear * np.exp2(gain_map(clean_linear, params))[..., None]
    linear = np.power(np.clip(linear, 0.0, 1.0), np.float32(params.gamma))
    raw = s_curve(linear_to_srgb(linear), params.contrast)
    return np.clip(raw, 0.0, 1.0).astype(np.float32, copy=False)
