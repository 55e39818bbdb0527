"""Noise-aware gain: smoothing a lifted exposure in proportion to the gain each pixel received (issue 30).

Lifting a dark pixel by ``e`` stops multiplies its noise, its JPEG blocks and the rounding of
its 8-bit codes by the local slope of the exposure curve (up to ``2^e`` in the linear toe of
sRGB). A real longer exposure of the same scene does not have them. So each exposure of the
full-resolution render is smoothed where, and as much as, its curve steepens the photo:

  ``x'_k = x_k + w_k · (smooth(x_k) − x_k)``,  ``w_k = clip((slope_k(y0) − 1) / (FULL_SLOPE − 1), 0, 1)``

where ``slope_k(y0)`` is the slope of :func:`~exposure_env.ops.exposure.expose` at the photo's
own luma code ``y0`` (so a pulled-down or unchanged pixel is never touched) and ``smooth`` is
OpenCV's bilateral filter (:func:`smooth`). The exposure curve and the fusion are untouched: this only cleans the
exposures between :func:`~exposure_env.ops.exposure.expose_lut` and the Mertens fusion.
"""

from __future__ import annotations

import cv2
import numpy as np

from exposure_env.ops.exposure import UINT8_CODES, exposure_tables

#: the curve slope (output codes per input code) at which a pixel is smoothed fully
FULL_SLOPE = 3.0  # with SIGMA_PER_SLOPE: the best of (4, 2) and (3, 3) on every 7th sice dev frame
#: bilateral filter: diameter in pixels, and the range sigma per unit of the curve's steepest slope, in 8-bit codes
DIAMETER, SIGMA_PER_SLOPE = 5, 3.0


def curve_slope(ev: float, shoulder: float | None = None) -> np.ndarray:
    """``(256,)`` float32: the slope of :func:`~exposure_env.ops.exposure.expose`'s curve at ``ev`` (with the
    highlight ``shoulder`` knee or the clip) at each 8-bit input code, in output codes per input code (central
    differences)."""
    table = exposure_tables(UINT8_CODES, np.array([ev], dtype=np.float32), shoulder)[0] * np.float32(255.0)
    return np.gradient(table)


def gain_weights(luma_codes: np.ndarray, ev: float, slope: np.ndarray | None = None) -> np.ndarray:
    """``w`` of the module docstring: how strongly each pixel of an exposure at ``ev`` is smoothed.

    Args:
        luma_codes: ``(H, W)`` uint8, the photo's luma codes (before exposure).
        ev: the exposure in stops.
        slope: :func:`curve_slope` of ``ev``, when the caller has it already.

    Returns:
        ``(H, W)`` float32 in ``[0, 1]``; all zeros for ``ev <= 0``.
    """
    slope = curve_slope(ev) if slope is None else slope
    weights = np.clip((slope - 1.0) / (FULL_SLOPE - 1.0), 0.0, 1.0).astype(np.float32)
    return cv2.LUT(luma_codes, weights.reshape(1, 256))


def smooth(exposure: np.ndarray, sigma: float) -> np.ndarray:
    """OpenCV's bilateral filter of one exposure.

    The filter's range distance is taken over the three channels together, so colour is averaged
    only across pixels of like colour and brightness: no colour bleeds across an edge (measured:
    averaging the chroma over 4×4 blocks instead made a 30-code fringe on a colour step).

    Args:
        exposure: ``(H, W, 3)`` RGB or ``(H, W)`` grey, uint8 or float32 on the 0..255 scale.
        sigma: the range sigma, in codes.

    Returns:
        Same shape and dtype.
    """
    return cv2.bilateralFilter(exposure, DIAMETER, sigma, DIAMETER / 2)


def clean_exposures(planes: np.ndarray, exposures: list[np.ndarray], evs: tuple[float, ...],
                    shoulder: float | None = None) -> list[np.ndarray]:
    """Each exposure smoothed in proportion to the gain its pixels received (module docstring).

    Args:
        planes: ``(H, W, 3)`` or ``(H, W)`` uint8 codes of the photo I0 the exposures were made from.
        exposures: T arrays of ``planes``' shape on the 0..255 scale, uint8 or float32.
        evs: the T exposures in stops.
        shoulder: the knee of the highlight shoulder the exposures were made with (their curves' slopes differ
            above it), or ``None`` for the clip.

    Returns:
        T arrays of the exposures' shapes and dtypes; an exposure at ``ev <= 0`` comes back as it is.
    """
    luma_codes = planes if planes.ndim == 2 else cv2.cvtColor(planes, cv2.COLOR_RGB2GRAY)
    cleaned = []
    for exposure, ev in zip(exposures, evs):
        slope = curve_slope(ev, shoulder) if ev > 0 else None
        weights = None if slope is None else gain_weights(luma_codes, ev, slope)
        if weights is None or not weights.any():
            cleaned.append(exposure)
            continue
        # the range sigma grows with the curve's steepest slope: the noise it amplifies most
        smoothed = smooth(exposure, SIGMA_PER_SLOPE * float(slope.max()))
        # x + w·(smooth(x) − x), in OpenCV (its uint8 output rounds as the exposures' lookup tables do)
        cleaned.append(cv2.blendLinear(smoothed, exposure, weights, 1.0 - weights))
    return cleaned
