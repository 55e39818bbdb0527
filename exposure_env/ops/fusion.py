"""Mertens exposure fusion (appendix D, Eq. 30-31): OpenCV on CPU and a batched torch twin."""

from __future__ import annotations

import functools
from typing import Sequence

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from exposure_env.ops.features import laplacian_torch


@functools.lru_cache(maxsize=16)
def _merger(contrast_weight: float, saturation_weight: float, exposure_weight: float) -> cv2.MergeMertens:
    return cv2.createMergeMertens(contrast_weight, saturation_weight, exposure_weight)


def mertens_fusion(
    images: np.ndarray | Sequence[np.ndarray],
    contrast_weight: float = 1.0,
    saturation_weight: float = 1.0,
    exposure_weight: float = 1.0,
) -> np.ndarray:
    """Fuse K exposures of one photo with OpenCV's ``MergeMertens``.

    Eq. 30: weights ``W^k = contrast^C1 · saturation^C2 · well-exposedness^C3``; Eq. 31: blend of
    the Laplacian pyramids of the images by the Gaussian pyramids of the normalised weights.

    Args:
        images: ``(K, H, W, 3)`` float sRGB in ``[0, 1]`` (or a sequence of ``(H, W, 3)``).

    Returns:
        ``(H, W, 3)`` float32 in ``[0, 1]``.
    """
    stack = np.asarray(images, dtype=np.float32)
    if stack.ndim != 4 or stack.shape[-1] != 3 or stack.shape[0] < 1:
        raise ValueError(f"mertens_fusion: images must be (K>=1, H, W, 3), got shape {stack.shape}")
    if not np.isfinite(stack).all():
        raise ValueError("mertens_fusion: images have NaN or infinite values")
    if len(stack) == 1:
        return np.clip(stack[0], 0.0, 1.0)
    # MergeMertens scales every input by 1/255 whatever its depth: pass float32 0..255 (no uint8 rounding)
    scaled = stack * np.float32(255.0)
    if is_grey(stack):
        # A grey photo has no saturation: OpenCV's colour path would weight it by the rounding noise
        # of (R+G+B)/3 − R. Its one-channel path skips saturation; cubing the well-exposedness
        # keeps the colour path's product over three equal channels.
        merger = _merger(contrast_weight, saturation_weight, 3.0 * exposure_weight)
        return np.repeat(np.clip(merger.process(list(scaled[..., :1])), 0.0, 1.0)[..., None], 3, axis=-1)
    return np.clip(_merger(contrast_weight, saturation_weight, exposure_weight).process(list(scaled)), 0.0, 1.0)


def is_grey(images: np.ndarray) -> bool:
    """True when R = G = B at every pixel of ``(..., 3)`` images."""
    return bool(np.array_equal(images[..., 0], images[..., 1]) and np.array_equal(images[..., 1], images[..., 2]))


# ----------------------------------------------------------------------------- torch twin
# The twin follows OpenCV's MergeMertens (modules/photo/src/merge.cpp) step by step so that the
# two agree to float rounding: RGB2GRAY, 4-neighbour Laplacian, saturation sqrt(Σ_c (x_c − mean)²),
# well-exposedness Π_c exp(−(x_c − 0.5)² / 0.08), ε = 1e-12, int(log2(min side)) levels, pyrDown
# with reflect-101 borders, pyrUp with reflect-101 on the left/top and replicate on the right/bottom.
_GRAY_WEIGHTS = (0.299, 0.587, 0.114)
_BINOMIAL_5 = (1.0, 4.0, 6.0, 4.0, 1.0)


def _blur_5(x: torch.Tensor, dim: int) -> torch.Tensor:
    """[1 4 6 4 1]/16 along ``dim`` (-1 width, -2 height) of ``(N, C, H, W)``, reflect-101 borders."""
    size = x.shape[dim]
    if size == 1:
        return x
    pad = (2, 2, 0, 0) if dim == -1 else (0, 0, 2, 2)
    if size == 2:  # reflect-101 of 2 samples needs one pad of 1, then a second of 1
        half_pad = (1, 1, 0, 0) if dim == -1 else (0, 0, 1, 1)
        padded = F.pad(F.pad(x, half_pad, mode="reflect"), half_pad, mode="reflect")
    else:
        padded = F.pad(x, pad, mode="reflect")
    taps = [padded.narrow(dim, offset, size) * (weight / 16.0) for offset, weight in enumerate(_BINOMIAL_5)]
    return torch.stack(taps).sum(0)


def pyr_down_torch(x: torch.Tensor) -> torch.Tensor:
    """``cv2.pyrDown``: ``(N, C, H, W) -> (N, C, (H+1)//2, (W+1)//2)``."""
    return _blur_5(_blur_5(x, -1), -2)[..., ::2, ::2]


def _up_1d(x: torch.Tensor, size: int, dim: int) -> torch.Tensor:
    """Upsample ×2 along ``dim`` as ``cv2.pyrUp`` does, then crop to ``size``."""
    first = x.narrow(dim, min(1, x.shape[dim] - 1), 1)  # reflect-101 on the left/top
    last = x.narrow(dim, x.shape[dim] - 1, 1)  # replicate on the right/bottom
    padded = torch.cat([first, x, last], dim=dim)
    n = x.shape[dim]
    left, centre, right = padded.narrow(dim, 0, n), padded.narrow(dim, 1, n), padded.narrow(dim, 2, n)
    even = (left + 6.0 * centre + right) / 8.0
    odd = (centre + right) / 2.0
    axis = dim % x.dim()
    interleaved = torch.stack([even, odd], dim=axis + 1).flatten(axis, axis + 1)  # even, odd, even, ...
    return interleaved.narrow(dim, 0, size)


def pyr_up_torch(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``cv2.pyrUp`` to ``size = (H, W)``: ``(N, C, h, w) -> (N, C, H, W)``."""
    return _up_1d(_up_1d(x, size[1], -1), size[0], -2)


def _safe_pow(x: torch.Tensor, exponent: float) -> torch.Tensor:
    """``x ** exponent`` for ``x >= 0`` with a zero gradient at 0 instead of an infinite one.

    Grey or flat pixels have zero saturation or contrast, where sqrt and fractional powers have
    infinite slopes that would turn the fusion's gradient into NaN; the values are unchanged.
    """
    positive = x > 0
    powered = torch.where(positive, x, torch.ones_like(x)) ** exponent
    return torch.where(positive, powered, torch.zeros_like(x) if exponent > 0 else torch.ones_like(x))


def mertens_weights_torch(
    images: torch.Tensor, contrast_weight: float, saturation_weight: float, exposure_weight: float
) -> torch.Tensor:
    """Eq. 30: normalised fusion weights ``(B, K, 3, H, W) -> (B, K, 1, H, W)``."""
    batch, count, _, height, width = images.shape
    flat = images.reshape(batch * count, 3, height, width)
    gray = sum(flat[:, c : c + 1] * w for c, w in enumerate(_GRAY_WEIGHTS))
    contrast = laplacian_torch(gray).abs()
    # OpenCV's order of float operations: where R = G = B (clipped or grey pixels) its saturation
    # is pure rounding noise that still decides the weights, so the twin rounds the same way
    mean = (flat[:, 0:1] + flat[:, 1:2] + flat[:, 2:3]) * torch.tensor(1.0 / 3.0, dtype=flat.dtype)
    saturation = _safe_pow(((flat - mean) ** 2).sum(dim=1, keepdim=True), 0.5)
    # grey photos have no saturation term (see mertens_fusion)
    grey = ((images[:, :, 0] == images[:, :, 1]) & (images[:, :, 1] == images[:, :, 2])).flatten(1).all(dim=1)
    saturation_term = _safe_pow(saturation, saturation_weight).view(batch, count, 1, height, width)
    saturation_term = torch.where(grey.view(batch, 1, 1, 1, 1), torch.ones_like(saturation_term), saturation_term)
    well_exposed = torch.exp(-((flat - 0.5) ** 2) / 0.08).prod(dim=1, keepdim=True)
    other_terms = _safe_pow(contrast, contrast_weight) * _safe_pow(well_exposed, exposure_weight)
    weights = other_terms.view(batch, count, 1, height, width) * saturation_term + 1e-12
    return weights / weights.sum(dim=1, keepdim=True)


def mertens_fusion_torch(
    images: torch.Tensor,
    contrast_weight: float = 1.0,
    saturation_weight: float = 1.0,
    exposure_weight: float = 1.0,
) -> torch.Tensor:
    """Batched, differentiable twin of :func:`mertens_fusion` (agrees with OpenCV to ~1e-6).

    Args:
        images: ``(B, K, 3, H, W)`` sRGB in ``[0, 1]``.

    Returns:
        ``(B, 3, H, W)`` clipped to ``[0, 1]``.
    """
    if images.dim() != 5 or images.shape[2] != 3:
        raise ValueError(f"mertens_fusion_torch: images must be (B, K, 3, H, W), got {tuple(images.shape)}")
    batch, count, _, height, width = images.shape
    # mertens_fusion hands OpenCV x·255, which it scales by float32(1/255): round identically, for
    # the rounding noise above (measured on a photo with clipped pixels: 0.12 max difference
    # without this line, 1.5e-7 with it)
    images = images * 255.0 * torch.tensor(1.0 / 255.0, dtype=images.dtype)
    weights = mertens_weights_torch(images, contrast_weight, saturation_weight, exposure_weight)
    levels = int(np.log(min(height, width)) / np.log(2.0))
    image_level = images.reshape(batch * count, 3, height, width)
    weight_level = weights.reshape(batch * count, 1, height, width)
    blended: list[torch.Tensor] = []  # Eq. 31: Σ_k Gauss(w^k)_l · Laplace(S^k)_l per level l
    for _ in range(levels):
        image_down = pyr_down_torch(image_level)
        laplacian = image_level - pyr_up_torch(image_down, image_level.shape[-2:])
        blended.append((laplacian * weight_level).view(batch, count, 3, *laplacian.shape[-2:]).sum(1))
        image_level, weight_level = image_down, pyr_down_torch(weight_level)
    fused = (image_level * weight_level).view(batch, count, 3, *image_level.shape[-2:]).sum(1)
    for level in reversed(blended):
        fused = level + pyr_up_torch(fused, level.shape[-2:])
    return fused.clamp(0.0, 1.0)
