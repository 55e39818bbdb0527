"""Synthetic raw photos: spatially varying exposure errors applied in linear light (DESIGN §4).

A clean sRGB crop becomes a "raw" photo whose exposure is wrong differently in different
places, so that choosing one exposure per segment matters. All functions are pure numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from exposure_env.ops.color import linear_to_srgb, luminance, srgb_to_linear


@dataclass(frozen=True)
class DegradationParams:
    """Drawn parameters of one degradation (all in stops unless said otherwise).

    Attributes:
        global_ev: shift of the whole photo, in ``[-2.5, 1.5]`` (biased to under-exposure).
        gradient_ev: peak-to-peak strength of a linear ramp, in ``[-1, 1]``.
        gradient_angle: direction of the ramp in radians.
        vignette_ev: darkening at the corners, in ``[-1, 0]``.
        band_evs: one shift per tonal band of the clean photo's luminance, each in
            ``[-1.5, 1.5]`` (2 to 4 bands, blended smoothly across band edges).
        gamma: power applied to linear values, in ``[0.8, 1.25]``.
        contrast: slope around linear mid-grey, in ``[0.85, 1.15]``.
    """

    global_ev: float = 0.0
    gradient_ev: float = 0.0
    gradient_angle: float = 0.0
    vignette_ev: float = 0.0
    band_evs: tuple[float, ...] = ()
    gamma: float = 1.0
    contrast: float = 1.0


def random_degradation(rng: np.random.Generator) -> DegradationParams:
    """Draw the parameters of one degradation (ranges in :class:`DegradationParams`)."""
    num_bands = int(rng.integers(2, 5))
    return DegradationParams(
        global_ev=float(rng.uniform(-2.5, 1.5)),
        gradient_ev=float(rng.uniform(-1.0, 1.0)),
        gradient_angle=float(rng.uniform(0.0, 2.0 * np.pi)),
        vignette_ev=float(rng.uniform(-1.0, 0.0)),
        band_evs=tuple(float(ev) for ev in rng.uniform(-1.5, 1.5, size=num_bands)),
        gamma=float(np.exp(rng.uniform(np.log(0.8), np.log(1.25)))),
        contrast=float(rng.uniform(0.85, 1.15)),
    )


def gain_map(clean_srgb: np.ndarray, params: DegradationParams) -> np.ndarray:
    """Per-pixel exposure error in stops: ``(H, W, 3)`` -> ``(H, W)`` float32."""
    height, width = clean_srgb.shape[:2]
    ys, xs = np.meshgrid(np.linspace(-1, 1, height, dtype=np.float32), np.linspace(-1, 1, width, dtype=np.float32),
                         indexing="ij")
    along = xs * np.cos(params.gradient_angle) + ys * np.sin(params.gradient_angle)
    stops = params.global_ev + 0.5 * params.gradient_ev * along / np.sqrt(2.0)
    stops = stops + params.vignette_ev * (xs**2 + ys**2) / 2.0
    if params.band_evs:
        lum = cv2.GaussianBlur(luminance(clean_srgb.astype(np.float32)), (0, 0), sigmaX=2.0)
        # soft band membership: band centres spread over the luminance range, Gaussian weights
        centres = np.linspace(0.0, 1.0, len(params.band_evs), dtype=np.float32)
        width_of_band = 1.0 / max(len(params.band_evs) - 1, 1)
        weights = np.exp(-0.5 * ((lum[None] - centres[:, None, None]) / (0.5 * width_of_band)) ** 2)
        weights /= weights.sum(axis=0, keepdims=True)
        stops = stops + np.tensordot(np.asarray(params.band_evs, np.float32), weights, axes=1)
    return stops.astype(np.float32)


def degrade(clean_srgb: np.ndarray, params: DegradationParams) -> np.ndarray:
    """Apply a degradation to a clean photo.

    ``raw = linear_to_srgb(clip(contrast(gain(linear)^gamma)))`` with ``gain = 2^gain_map``.

    Args:
        clean_srgb: ``(H, W, 3)`` float32 sRGB in ``[0, 1]``.

    Returns:
        ``(H, W, 3)`` float32 sRGB in ``[0, 1]``; the identity when ``params`` are neutral.
    """
    linear = srgb_to_linear(clean_srgb.astype(np.float32))
    linear = linear * np.exp2(gain_map(clean_srgb, params))[..., None]
    linear = np.power(np.clip(linear, 0.0, 1.0), params.gamma)
    mid_grey = np.float32(0.18)
    linear = mid_grey + params.contrast * (linear - mid_grey)
    return linear_to_srgb(np.clip(linear, 0.0, 1.0)).astype(np.float32)
