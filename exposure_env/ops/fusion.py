"""Mertens exposure fusion (Mertens, Kautz & Van Reeth 2007), appendix D, Eq. 30-31.

Each of K exposures of one photo gets a per-pixel weight ``contrast^c1 · saturation^c2 ·
well-exposedness^c3`` (Eq. 30); the weights are normalised over K and the images are blended
level by level in a Laplacian pyramid, with Gaussian pyramids of the weights (Eq. 31).

:func:`mertens_fusion` is OpenCV's ``MergeMertens`` (the CPU default);
:func:`mertens_fusion_torch` is its batched, differentiable twin (GPUs, gradients with respect
to the exposure values), which follows OpenCV's ``modules/photo/src/merge.cpp`` and
``modules/imgproc/src/pyramids.cpp`` step by step so that the two agree to float rounding.

Grey photos (R = G = B at every pixel of every exposure) have no saturation. OpenCV's colour
path would then weight them by the float rounding noise of ``(R + G + B) / 3 - R``, so both
functions drop the saturation term for them (see :func:`mertens_fusion`).
"""

from __future__ import annotations

import functools
from typing import Sequence

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from exposure_env.ops.exposure import expose, expose_torch

# ----------------------------------------------------------------------------- OpenCV (CPU)


@functools.lru_cache(maxsize=16)
def _merger(contrast_weight: float, saturation_weight: float, exposure_weight: float) -> cv2.MergeMertens:
    """One ``cv2.MergeMertens`` per weight triple (they hold no per-call state)."""
    return cv2.createMergeMertens(contrast_weight, saturation_weight, exposure_weight)


def _validated_stack(images: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    """``(K, H, W, 3)`` float32 from an array or a sequence of ``(H, W, 3)``, or ValueError."""
    stack = np.asarray(images, dtype=np.float32)
    if stack.ndim != 4 or stack.shape[-1] != 3:
        raise ValueError(f"mertens_fusion: images must be (K, H, W, 3) RGB, got shape {stack.shape}")
    if 0 in stack.shape:
        raise ValueError(f"mertens_fusion: need K >= 1 images of at least 1x1 pixel, got shape {stack.shape}")
    if not np.isfinite(stack).all():
        raise ValueError("mertens_fusion: images contain NaN or infinite values")
    return stack


def is_grey(images: np.ndarray) -> bool:
    """True when R = G = B at every pixel of ``(..., 3)`` images (any shape, any dtype)."""
    return bool(np.array_equal(images[..., 0], images[..., 1]) and np.array_equal(images[..., 1], images[..., 2]))


def merge_mertens(
    exposures: Sequence[np.ndarray], weights: tuple[float, float, float] = (1.0, 1.0, 1.0), grey: bool = False
) -> np.ndarray:
    """OpenCV's ``MergeMertens`` (Eq. 30-31) of exposures already on its 0..255 scale.

    The one place the OpenCV merger runs: :func:`mertens_fusion` and the full-resolution
    retouch (uint8 codes straight from a lookup table) both go through it.

    Args:
        exposures: K ``(H, W, 3)`` or, with ``grey``, ``(H, W)`` / ``(H, W, 1)`` arrays, uint8
            or float32 on the 0..255 scale (OpenCV scales either by 1/255).
        weights: Mertens exponents (contrast, saturation, well-exposedness).
        grey: the exposures are one grey channel: OpenCV's one-channel path, which has no
            saturation term, with the well-exposedness exponent tripled (the product over
            three equal channels of the colour path).

    Returns:
        ``(H, W, 3)`` or ``(H, W)`` float32 in about ``[0, 1]``, not clipped (OpenCV's blend can
        overshoot); one exposure comes back as itself / 255.
    """
    if len(exposures) == 1:
        return exposures[0].astype(np.float32) * np.float32(1 / 255)
    contrast, saturation, exposedness = weights
    return _merger(contrast, saturation, 3.0 * exposedness if grey else exposedness).process(list(exposures))


def mertens_fusion(
    images: np.ndarray | Sequence[np.ndarray],
    contrast_weight: float = 1.0,
    saturation_weight: float = 1.0,
    exposure_weight: float = 1.0,
) -> np.ndarray:
    """Fuse K exposures of one photo with OpenCV's ``MergeMertens`` (Eq. 30-31).

    ``MergeMertens`` scales its inputs by 1/255 whatever their depth (``convertTo(CV_32F, 1/255)``;
    uint8 and float32 x·255 give identical results), so the images go in as float32 x·255,
    without uint8 rounding; its float output can overshoot ``[0, 1]`` and is clipped. Grey
    photos go through OpenCV's one-channel path, which has no saturation term, with the
    well-exposedness exponent tripled: the product over three equal channels of the colour path.

    Args:
        images: ``(K, H, W, 3)`` float sRGB in ``[0, 1]``, or a sequence of K ``(H, W, 3)``.
        contrast_weight: exponent ``c1`` of the contrast ``|Laplacian(grey)|``.
        saturation_weight: exponent ``c2`` of the saturation ``sqrt(Σ_c (x_c − mean)²)``.
        exposure_weight: exponent ``c3`` of the well-exposedness.

    Returns:
        ``(H, W, 3)`` float32 in ``[0, 1]``.

    Raises:
        ValueError: wrong shape, no images, or NaN / infinite values.
    """
    stack = _validated_stack(images)
    if len(stack) == 1:
        return np.clip(stack[0], 0.0, 1.0)
    scaled = stack * np.float32(255.0)
    weights = (contrast_weight, saturation_weight, exposure_weight)
    if is_grey(stack):
        fused_grey = merge_mertens(list(scaled[..., :1]), weights, grey=True)
        return np.repeat(np.clip(fused_grey, 0.0, 1.0)[..., None], 3, axis=-1)
    return np.clip(merge_mertens(list(scaled), weights), 0.0, 1.0)


#: The exposure of the input photo's own frame in P_T when the env's ``fuse_input`` is set: the photo as it is.
INPUT_EV = 0.0


def fusion_evs(evs: Sequence[float] | np.ndarray, fuse_input: bool = False) -> tuple[float, ...]:
    """The EVs of the frames fused into P_T: the T chosen, then the input's :data:`INPUT_EV` when ``fuse_input``.

    The one definition of the frames that :func:`fuse_exposures`, its torch twin, the env and the
    full-resolution render (:func:`exposure_env.retouch.apply_exposures`) fuse.

    Args:
        evs: the T exposure values in stops.
        fuse_input: also fuse the input photo itself (its 0-EV exposure), so that the photo's own
            tones take part in the blend wherever its well-exposedness and contrast weigh most.

    Returns:
        T or T + 1 EVs in stops.
    """
    return (*(float(ev) for ev in np.asarray(evs, dtype=np.float64).reshape(-1)), *((INPUT_EV,) if fuse_input else ()))


def fuse_exposures(
    image: np.ndarray, evs: Sequence[float] | np.ndarray, weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
    fuse_input: bool = False, shoulder: float | None = None,
) -> np.ndarray:
    """P_T of an episode: the Mertens fusion of the global exposures ``expose(S0, e_t)`` (Eq. 30-31).

    Args:
        image: ``(H, W, 3)`` float32 sRGB in ``[0, 1]``, the photo S0.
        evs: the T exposure values in stops.
        weights: Mertens exponents (contrast, saturation, well-exposedness).
        fuse_input: also fuse S0's own 0-EV frame (:func:`fusion_evs`), as the env's ``fuse_input``.
        shoulder: the highlight shoulder's knee of the exposures, as the env's ``shoulder`` (``None``: clip).

    Returns:
        ``(H, W, 3)`` float32 in ``[0, 1]``.

    Raises:
        ValueError: no EVs, or NaN / infinite values (from :func:`mertens_fusion`).
    """
    return mertens_fusion(np.stack([expose(image, ev, shoulder) for ev in fusion_evs(evs, fuse_input)]), *weights)


# ----------------------------------------------------------------------------- torch twin
# What OpenCV's merge.cpp computes (read in its source, checked against the installed 5.0),
# per exposure, after scaling the input by 1/255:
#   grey = cvtColor(COLOR_RGB2GRAY): on our RGB images, the Rec. 601 luma 0.299 R + 0.587 G + 0.114 B
#   contrast = |Laplacian(grey)|, ksize=1: the 4-neighbour kernel, reflect-101 borders
#   saturation = sqrt(sum_c (x_c - mean)^2), not divided by 3 (a constant that normalisation cancels)
#   well-exposedness = prod_c exp(-(x_c - 0.5)^2 / 0.08), 0.08 = 2 * 0.2^2
#   weight = contrast^c1 * saturation^c2 * well-exposedness^c3 + 1e-12, divided by the sum over K
#   int(logf(min(H, W)) / logf(2)) pyramid levels; pyrDown and pyrUp with reflect-101 borders,
#   except that pyrUp repeats the last row / column (pyramids.cpp: ``src[sx - cn] + src[sx]*7``).
# On grey pixels of a colour photo (e.g. darkened clipped highlights) the saturation is float
# rounding noise, and so is the contrast of flat regions; where the other exposures weigh just
# the 1e-12, that noise decides the blend. In float32 the twin therefore repeats OpenCV's
# operations in OpenCV's order, including the FMAs of its SIMD RGB2GRAY, which reproduces the
# noise (checked on the x86-64 AVX2 build of OpenCV 5.0: without the FMAs the fused results
# differed by up to 3.5e-4 on the test images, with them by 4e-7).
# Python-float constants multiply float32 tensors in float32, as OpenCV's float constants do.
_RGB_TO_GREY = tuple(float(np.float32(c)) for c in (0.299, 0.587, 0.114))
_WEIGHT_EPSILON = 1e-12
_MINUS_ONE_OVER_TWO_SIGMA_SQUARED = -1.0 / 0.08  # merge.cpp's -expo / 0.08f is expo * -12.5


@functools.lru_cache(maxsize=32)
def _depthwise_kernel(
    taps: tuple[tuple[float, ...], ...], channels: int, dim: int, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """Rows of 1-D ``taps`` as a depthwise conv2d weight along ``dim`` (-1 width, -2 height).

    ``taps``: P rows of k taps; returns ``(C·P, 1, 1, k)`` or ``(C·P, 1, k, 1)``: P outputs per
    channel for ``groups=C``. Cached per shape, dtype and device; never written to.
    """
    rows = torch.tensor(taps, dtype=dtype, device=device)
    shape = (-1, 1, 1, rows.shape[-1]) if dim == -1 else (-1, 1, rows.shape[-1], 1)
    return rows.reshape(shape).repeat(channels, 1, 1, 1)


def _reflect_101_index(size: int, pad: int, device: torch.device) -> torch.Tensor:
    """Source indices of an axis of ``size >= 1`` padded by ``pad`` on both sides, reflect-101.

    Reflect-101 (``dcb|abcd|cba``) is periodic with period ``2·(size − 1)``, which also covers
    pads as long as the axis or longer.
    """
    positions = torch.arange(-pad, size + pad, device=device)
    if size == 1:
        return torch.zeros_like(positions)
    period = 2 * (size - 1)
    wrapped = positions.remainder(period)
    return torch.where(wrapped >= size, period - wrapped, wrapped)


def _pad_reflect_101(x: torch.Tensor, pad: int, dim: int) -> torch.Tensor:
    """Pad ``dim`` (-1 width, -2 height) of ``(N, C, H, W)`` by ``pad`` on both sides, reflect-101.

    Reflect-101 is OpenCV's ``BORDER_DEFAULT`` and torch's ``"reflect"``, which needs
    ``pad < size``; the top pyramid levels (1-2 pixels) gather the indices instead.
    """
    if x.shape[dim] > pad:
        return F.pad(x, (pad, pad, 0, 0) if dim == -1 else (0, 0, pad, pad), mode="reflect")
    return x.index_select(dim, _reflect_101_index(x.shape[dim], pad, x.device))


# pyrDown: one 5-tap binomial; pyrUp: zero insertion + the same kernel ×2, i.e. two phases,
# even outputs (1 6 1)/8 of samples i-1, i, i+1 and odd outputs (4 4)/8 of samples i, i+1
_BINOMIAL_5 = ((1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16),)
_UPSAMPLE_PHASES = ((1 / 8, 6 / 8, 1 / 8), (0.0, 4 / 8, 4 / 8))


def _pyr_down(x: torch.Tensor) -> torch.Tensor:
    """``cv2.pyrDown``: 5-tap binomial blur, reflect-101, every other row and column.

    Separable depthwise conv2d with stride 2: ``(N, C, H, W) -> (N, C, (H + 1) // 2, (W + 1) // 2)``.
    """
    channels = x.shape[1]
    for dim, stride in ((-2, (2, 1)), (-1, (1, 2))):  # rows first: the second pass has half the rows
        weight = _depthwise_kernel(_BINOMIAL_5, channels, dim, x.dtype, x.device)
        x = F.conv2d(_pad_reflect_101(x, 2, dim), weight, stride=stride, groups=channels)
    return x


def _pyr_up_along(x: torch.Tensor, size: int, dim: int) -> torch.Tensor:
    """``cv2.pyrUp`` along ``dim`` of ``(N, C, H, W)``: ×2, cropped to ``size`` (2n or 2n − 1).

    pyramids.cpp pads one reflect-101 sample before the axis and repeats the last one after it.
    """
    batch, channels, height, width = x.shape
    length = x.shape[dim]
    padded = torch.cat([x.narrow(dim, min(1, length - 1), 1), x, x.narrow(dim, length - 1, 1)], dim=dim)
    weight = _depthwise_kernel(_UPSAMPLE_PHASES, channels, dim, x.dtype, x.device)
    phases = F.conv2d(padded, weight, groups=channels)  # (N, C·2, H, W): even, odd per channel
    if dim == -1:
        interleaved = phases.view(batch, channels, 2, height, width).permute(0, 1, 3, 4, 2)
        return interleaved.reshape(batch, channels, height, 2 * width)[..., :size]
    interleaved = phases.view(batch, channels, 2, height, width).transpose(2, 3)
    return interleaved.reshape(batch, channels, 2 * height, width)[..., :size, :]


def _pyr_up(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``cv2.pyrUp(x, dstsize=(W, H))`` for ``size = (H, W)``: ``(N, C, h, w) -> (N, C, H, W)``."""
    return _pyr_up_along(_pyr_up_along(x, size[1], -1), size[0], -2)


def _fused_multiply_add(a: torch.Tensor, b: float, c: torch.Tensor) -> torch.Tensor:
    """``a·b + c`` rounded once, like an FMA instruction (float32 via float64, where it exists)."""
    if a.dtype != torch.float32 or a.device.type == "mps":
        return a * b + c
    return (a.double() * b + c.double()).float()


def _grey(flat: torch.Tensor) -> torch.Tensor:
    """``cv2.cvtColor(RGB2GRAY)`` with its SIMD rounding: ``(N, 3, H, W) -> (N, 1, H, W)``."""
    red, green, blue = flat[:, 0:1], flat[:, 1:2], flat[:, 2:3]
    red_weight, green_weight, blue_weight = _RGB_TO_GREY
    return _fused_multiply_add(blue, blue_weight, _fused_multiply_add(red, red_weight, green * green_weight))


def laplacian_torch(grey: torch.Tensor) -> torch.Tensor:
    """``cv2.Laplacian(ksize=1)``: the 4-neighbour kernel, reflect-101 borders, summed in filter2D's order.

    Args:
        grey: ``(N, 1, H, W)`` float, any size (1-pixel sides included).

    Returns:
        ``(N, 1, H, W)``, bitwise equal to OpenCV's on CPU float32.
    """
    height, width = grey.shape[-2:]
    padded = _pad_reflect_101(_pad_reflect_101(grey, 1, -1), 1, -2)
    top, bottom = padded[..., :height, 1 : width + 1], padded[..., 2:, 1 : width + 1]
    left, right = padded[..., 1 : height + 1, :width], padded[..., 1 : height + 1, 2:]
    return (((top + left) + grey * -4.0) + right) + bottom


def _safe_pow(x: torch.Tensor, exponent: float) -> torch.Tensor:
    """``x ** exponent`` for ``x >= 0`` (``0 ** 0 = 1`` as ``cv::pow``), zero gradient at 0.

    Flat or grey pixels have zero contrast or saturation, where sqrt and fractional powers have
    infinite slopes that would make the fusion's gradient NaN; the values are unchanged.
    """
    positive = x > 0
    powered = torch.where(positive, x, torch.ones_like(x)) ** exponent
    at_zero = torch.zeros_like(x) if exponent > 0 else torch.ones_like(x)
    return torch.where(positive, powered, at_zero)


def _quality_measures(flat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Contrast, saturation and well-exposedness of ``(N, 3, H, W)``: three ``(N, 1, H, W)``."""
    red, green, blue = flat[:, 0:1], flat[:, 1:2], flat[:, 2:3]
    contrast = laplacian_torch(_grey(flat)).abs()
    mean = ((red + green) + blue) * (1.0 / 3.0)
    squared = (flat - mean) ** 2
    saturation = _safe_pow((squared[:, 0:1] + squared[:, 1:2]) + squared[:, 2:3], 0.5)
    per_channel = torch.exp((flat - 0.5) ** 2 * _MINUS_ONE_OVER_TWO_SIGMA_SQUARED)
    well_exposed = (per_channel[:, 0:1] * per_channel[:, 1:2]) * per_channel[:, 2:3]
    return contrast, saturation, well_exposed


def _fusion_weights(
    images: torch.Tensor, contrast_weight: float, saturation_weight: float, exposure_weight: float
) -> torch.Tensor:
    """Eq. 30 weights, normalised over K: ``(B, K, 3, H, W) -> (B, K, 1, H, W)``.

    Photos whose K exposures are all grey get no saturation term, as in :func:`mertens_fusion`.
    """
    batch, count, _, height, width = images.shape
    contrast, saturation, well_exposed = _quality_measures(images.reshape(batch * count, 3, height, width))
    all_grey = ((images[:, :, 0] == images[:, :, 1]) & (images[:, :, 1] == images[:, :, 2])).flatten(1).all(dim=1)
    all_grey = all_grey.repeat_interleave(count).view(batch * count, 1, 1, 1)
    saturation_term = torch.where(all_grey, torch.ones_like(saturation), _safe_pow(saturation, saturation_weight))
    # Eq. 30: W = C^c1 · S^c2 · E^c3, + ε so that flat grey regions still have weights to normalise
    weights = _safe_pow(contrast, contrast_weight) * saturation_term
    weights = weights * _safe_pow(well_exposed, exposure_weight) + _WEIGHT_EPSILON
    weights = weights.view(batch, count, 1, height, width)
    return weights / weights.sum(dim=1, keepdim=True)


def _pyramid_levels(height: int, width: int) -> int:
    """merge.cpp's ``int(logf(min(H, W)) / logf(2))``, which is ``floor(log2(min(H, W)))``."""
    return min(height, width).bit_length() - 1


def _validate_batch(images: torch.Tensor) -> None:
    """ValueError unless ``images`` is a floating ``(B, K, 3, H, W)`` tensor with K, H, W >= 1."""
    shape = tuple(images.shape)
    if images.dim() != 5 or shape[2] != 3:
        raise ValueError(f"mertens_fusion_torch: images must be (B, K, 3, H, W) RGB, got shape {shape}")
    if 0 in shape[1:]:
        raise ValueError(f"mertens_fusion_torch: need K >= 1 images of at least 1x1 pixel, got shape {shape}")
    if not images.is_floating_point():
        raise ValueError(f"mertens_fusion_torch: images must be floating point, got {images.dtype}")


def mertens_fusion_torch(
    images: torch.Tensor,
    contrast_weight: float = 1.0,
    saturation_weight: float = 1.0,
    exposure_weight: float = 1.0,
) -> torch.Tensor:
    """Batched, differentiable twin of :func:`mertens_fusion`, on the device and dtype of ``images``.

    In float32 it agrees with OpenCV to ~1e-6 (at most 1.6e-4 measured on the embedded photos).
    In float64 the saturation of grey pixels in colour photos is exactly 0 where OpenCV's is
    float32 rounding noise, so such photos (clipped highlights) can differ there by 1e-2 or more.
    Values are not checked for NaN (that would synchronise with the device).

    Args:
        images: ``(B, K, 3, H, W)`` sRGB in ``[0, 1]``, B photos with K exposures each.
        contrast_weight: exponent ``c1`` of the contrast.
        saturation_weight: exponent ``c2`` of the saturation.
        exposure_weight: exponent ``c3`` of the well-exposedness.

    Returns:
        ``(B, 3, H, W)`` clipped to ``[0, 1]``.

    Raises:
        ValueError: wrong shape or a non-floating dtype.
    """
    _validate_batch(images)
    batch, count, _, height, width = images.shape
    if count == 1:
        return images[:, 0].clamp(0.0, 1.0)
    # mertens_fusion hands OpenCV float32 x·255, which it scales by float(1/255): round the same
    # way: on grey pixels that rounding decides the saturation noise (see the notes on merge.cpp)
    images = images * 255.0 * (1.0 / 255.0)
    weights = _fusion_weights(images, contrast_weight, saturation_weight, exposure_weight)
    image_level = images.reshape(batch * count, 3, height, width)
    weight_level = weights.reshape(batch * count, 1, height, width)
    # Eq. 31: fused Laplacian level l = Σ_k Gauss_l(W_k) · Laplace_l(I_k), then collapse
    blended_levels: list[torch.Tensor] = []
    for _ in range(_pyramid_levels(height, width)):
        image_down = _pyr_down(image_level)
        laplacian = image_level - _pyr_up(image_down, image_level.shape[-2:])
        blended_levels.append((laplacian * weight_level).view(batch, count, 3, *laplacian.shape[-2:]).sum(dim=1))
        image_level, weight_level = image_down, _pyr_down(weight_level)
    fused = (image_level * weight_level).view(batch, count, 3, *image_level.shape[-2:]).sum(dim=1)
    for blended in reversed(blended_levels):
        fused = blended + _pyr_up(fused, blended.shape[-2:])
    return fused.clamp(0.0, 1.0)


def fuse_exposures_torch(
    images: torch.Tensor, evs: torch.Tensor, weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
    fuse_input: bool = False, shoulder: float | None = None,
) -> torch.Tensor:
    """Batched, differentiable twin of :func:`fuse_exposures`: P_T of B episodes.

    Args:
        images: ``(B, 3, H, W)`` sRGB in ``[0, 1]``, the photos S0.
        evs: ``(B, T)`` exposure values in stops; gradients flow to them.
        weights: Mertens exponents (contrast, saturation, well-exposedness).
        fuse_input: also fuse each S0's own :data:`INPUT_EV` frame (:func:`fusion_evs`).
        shoulder: the exposures' highlight-shoulder knee (``None``: clip).

    Returns:
        ``(B, 3, H, W)`` in ``[0, 1]``.
    """
    if fuse_input:
        evs = torch.cat([evs, evs.new_full((evs.shape[0], 1), INPUT_EV)], dim=1)
    exposures = torch.stack([expose_torch(images, evs[:, step], shoulder) for step in range(evs.shape[1])], dim=1)
    return mertens_fusion_torch(exposures, *weights)
