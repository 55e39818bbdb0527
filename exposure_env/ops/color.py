"""sRGB <-> linear-light conversions (IEC 61966-2-1) and the Rec. 709 weighted sum, numpy and torch twins.

The conversions take values in ``[0, 1]`` of any shape and return the same shape and dtype.
"""

from __future__ import annotations

import numpy as np
import torch

_THRESHOLD_SRGB = 0.04045
_THRESHOLD_LINEAR = 0.0031308


def srgb_to_linear(srgb: np.ndarray) -> np.ndarray:
    """Decode sRGB values in ``[0, 1]`` to linear light."""
    srgb = np.asarray(srgb)
    low = srgb / 12.92
    high = np.power((np.maximum(srgb, _THRESHOLD_SRGB) + 0.055) / 1.055, 2.4)
    return np.where(srgb <= _THRESHOLD_SRGB, low, high).astype(srgb.dtype, copy=False)


def linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    """Encode linear-light values in ``[0, 1]`` as sRGB."""
    linear = np.asarray(linear)
    low = linear * 12.92
    high = 1.055 * np.power(np.maximum(linear, _THRESHOLD_LINEAR), 1.0 / 2.4) - 0.055
    return np.where(linear <= _THRESHOLD_LINEAR, low, high).astype(linear.dtype, copy=False)


def srgb_to_linear_torch(srgb: torch.Tensor) -> torch.Tensor:
    """Torch twin of :func:`srgb_to_linear` (differentiable)."""
    low = srgb / 12.92
    high = torch.pow((torch.clamp(srgb, min=_THRESHOLD_SRGB) + 0.055) / 1.055, 2.4)
    return torch.where(srgb <= _THRESHOLD_SRGB, low, high)


def linear_to_srgb_torch(linear: torch.Tensor) -> torch.Tensor:
    """Torch twin of :func:`linear_to_srgb` (differentiable)."""
    low = linear * 12.92
    high = 1.055 * torch.pow(torch.clamp(linear, min=_THRESHOLD_LINEAR), 1.0 / 2.4) - 0.055
    return torch.where(linear <= _THRESHOLD_LINEAR, low, high)


def luma(rgb: np.ndarray) -> np.ndarray:
    """The Rec. 709 weighted sum ``0.2126 R + 0.7152 G + 0.0722 B``: ``(..., 3) -> (...)``.

    One formula for two quantities, told apart by the input: of gamma-encoded sRGB values it is
    luma Y′ (the critic's features, the segmentation, the clipped shares of the metrics and
    auto-exposure use it so); of linear-light RGB it is relative luminance Y (the tonal bands of
    :mod:`exposure_env.data.degrade` and the actor's statistics in :mod:`agents.policies` use it
    so). OpenCV's Mertens fusion takes its own grey, with the Rec. 601 weights (see
    :mod:`exposure_env.ops.fusion`).
    """
    return rgb[..., 0] * 0.2126 + rgb[..., 1] * 0.7152 + rgb[..., 2] * 0.0722


def luma_torch(rgb: torch.Tensor) -> torch.Tensor:
    """Torch twin of :func:`luma` on channel-first images: ``(B, 3, H, W) -> (B, 1, H, W)``."""
    return rgb[:, 0:1] * 0.2126 + rgb[:, 1:2] * 0.7152 + rgb[:, 2:3] * 0.0722
