"""Segmentation of a photo into T soft masks ordered dark→bright (the paper's Fig. 1, stage I).

Every method ends in the same form: ``(T, H, W)`` float32 masks in ``[0, 1]`` that sum to one
at every pixel, segment 0 the darkest. Methods that find more than T regions (Felzenszwalb,
SLIC, a user callable) have their regions grouped into T luma bands of about equal area.
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import Callable, Union

import cv2
import numpy as np
from skimage.filters import threshold_multiotsu
from skimage.segmentation import felzenszwalb, slic

from exposure_env.ops.color import luma

#: A callable ``f(image (H, W, 3) float32) -> (H, W) integer labels`` or ``(T, H, W)`` masks.
SegmentationFn = Callable[[np.ndarray], np.ndarray]
Segmentation = Union[str, SegmentationFn]
SEGMENTATION_METHODS = ("otsu", "felzenszwalb", "slic")
# skimage's multi-Otsu searches all C(nbins, T−1) threshold sets: at 64×64 and T=4 that is 35 ms
# with 256 bins, 0.68 ms with 64, and 95% of pixels land in the same band (measured on the
# embedded held-out photos); a 4096-pixel thumbnail does not fill 256 bins meaningfully anyway
OTSU_BINS = 64
# above this many threshold sets (T >= 6 at 64 bins) the table of all sets outgrows skimage's loop
_MAX_VECTORISED_THRESHOLD_SETS = 1 << 20


def segment(
    image: np.ndarray,
    num_segments: int,
    method: Segmentation = "otsu",
    feather: float = 0.0,
) -> np.ndarray:
    """Split an image into ``num_segments`` masks ordered from darkest to brightest.

    Args:
        image: ``(H, W, 3)`` float sRGB in ``[0, 1]``.
        num_segments: T, the number of masks (an empty mask is allowed).
        method: ``"otsu"`` (multi-level Otsu on blurred luma, quantiles for flat images),
            ``"felzenszwalb"``, ``"slic"``, or a callable returning labels or masks.
        feather: Gaussian sigma in pixels that softens mask edges (0 = hard masks).

    Returns:
        ``(T, H, W)`` float32 masks summing to 1 per pixel.
    """
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"segment: image must be (H, W, 3), got shape {image.shape}")
    if not isinstance(num_segments, (int, np.integer)) or num_segments < 1:
        raise ValueError(f"segment: num_segments must be an integer >= 1, got {num_segments!r}")
    lum = luma(image.astype(np.float32, copy=False))
    if method == "otsu":
        labels = otsu_bands(lum, num_segments)
    elif method == "felzenszwalb":
        regions = felzenszwalb(image, scale=100, sigma=0.5, min_size=max(4, lum.size // 256))
        labels = group_regions(regions, lum, num_segments)
    elif method == "slic":
        regions = slic(image, n_segments=4 * num_segments, compactness=10, start_label=0, channel_axis=-1)
        labels = group_regions(regions, lum, num_segments)
    elif callable(method):
        labels = _labels_from_callable(method, image, lum, num_segments)
    else:
        raise ValueError(
            f"segment: unknown segmentation {method!r}; expected one of {SEGMENTATION_METHODS} or a callable"
        )
    masks = (labels[None] == np.arange(num_segments)[:, None, None]).astype(np.float32)
    return feather_masks(masks, feather) if feather > 0 else masks


def otsu_bands(lum: np.ndarray, num_segments: int) -> np.ndarray:
    """Luma bands by multi-level Otsu on blurred luma: ``(H, W) -> (H, W)`` int labels.

    Otsu needs at least ``num_segments`` distinct grey levels; flatter images fall back to
    luma quantiles (whose bands may be empty).
    """
    if num_segments == 1:
        return np.zeros(lum.shape, dtype=np.int64)
    blurred = cv2.GaussianBlur(lum, (0, 0), sigmaX=1.0, borderType=cv2.BORDER_REFLECT_101)
    try:
        thresholds = multiotsu_thresholds(blurred, num_segments, OTSU_BINS)
    except ValueError:  # too few distinct levels for the requested number of classes
        thresholds = np.quantile(blurred, np.linspace(0, 1, num_segments + 1)[1:-1])
    return np.digitize(blurred, thresholds).astype(np.int64)


def multiotsu_thresholds(image: np.ndarray, classes: int, nbins: int) -> np.ndarray:
    """``skimage.filters.threshold_multiotsu(image, classes=classes, nbins=nbins)``, bit for bit, vectorised.

    skimage visits the C(nbins − 1, classes − 1) threshold sets one at a time in a recursive
    Cython loop (0.7 ms at 64 bins, 4 classes: most of a reset's photo preparation). This does
    the same float32 arithmetic in the same order — its moment sums, its table of between-class
    variances (Liao et al. 2001), each set's sum of them, the first set with the largest sum —
    on all sets at once in numpy. Past :data:`_MAX_VECTORISED_THRESHOLD_SETS` sets it calls skimage.

    Raises:
        ValueError: fewer than ``classes`` non-empty bins, as skimage.
    """
    count = classes - 1
    if math.comb(nbins - 1, count) > _MAX_VECTORISED_THRESHOLD_SETS:
        return threshold_multiotsu(image, classes=classes, nbins=nbins)
    # skimage.exposure.histogram(image, nbins, source_range="image", normalize=True), then float32
    counts, edges = np.histogram(image.reshape(-1), bins=nbins)
    centres = (edges[:-1] + edges[1:]) / 2.0
    prob = (counts / np.sum(counts)).astype(np.float32)
    nonempty = np.flatnonzero(prob)
    if nonempty.size < classes:
        raise ValueError(f"{nonempty.size} non-empty bins cannot be thresholded into {classes} classes")
    if nonempty.size == classes:
        return centres[nonempty[:-1]]
    zeroth = np.cumsum(prob)  # float32, summed in order, as the Cython loop
    weighted = np.arange(nbins, dtype=np.float32) * prob
    weighted[0] = prob[0]  # skimage's first moment starts at prob[0], not 0·prob[0]
    first = np.cumsum(weighted)
    # variance of the class of bins i..j: first²/zeroth of the bins, where their mass is > 0, else 0;
    # row 0 (classes from bin 0) divides the moments themselves and never sets its (0, 0) entry
    table = np.zeros((nbins, nbins), np.float32)
    np.divide(first[1:] * first[1:], zeroth[1:], out=table[0, 1:], where=zeroth[1:] > 0)
    mass = zeroth[None, :] - zeroth[:-1, None]
    moment = first[None, :] - first[:-1, None]
    np.divide(moment * moment, mass, out=table[1:], where=mass > 0)
    # a set's sum starts with its outer classes, 0..t_0 and t_last+1..nbins-1: one table of those pairs
    outer = table[0, :, None] + np.append(table[1:, -1], np.float32(0))[None, :]
    outer_classes, middle_classes, sets = _threshold_sets(nbins, count)
    sigma = outer.ravel().take(outer_classes)
    for middle in middle_classes:
        sigma += table.ravel().take(middle)
    return centres[sets[int(np.argmax(sigma))]]  # argmax: the first maximum, as skimage's strict ">"


@functools.lru_cache(maxsize=8)
def _threshold_sets(nbins: int, count: int) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Every increasing ``count``-set of threshold indices below ``nbins − 1``, in skimage's visiting
    order, with flat indices into ``(nbins, nbins)`` tables for the terms of each set's sum.

    Returns ``(outer, middles, sets)``: ``t_0·nbins + t_last`` (the pair of outer classes), then for
    each class ``t_k+1..t_{k+1}`` in skimage's summation order ``(t_k+1)·nbins + t_{k+1}``, and the
    ``(n_sets, count)`` sets themselves.
    """
    combinations = itertools.combinations(range(nbins - 1), count)  # lexicographic, as skimage's loops
    sets = np.fromiter(itertools.chain.from_iterable(combinations), dtype=np.intp).reshape(-1, count)
    outer = sets[:, 0] * nbins + sets[:, -1]
    middles = [(sets[:, k] + 1) * nbins + sets[:, k + 1] for k in range(count - 1)]
    return outer, middles, sets


def group_regions(regions: np.ndarray, lum: np.ndarray, num_segments: int) -> np.ndarray:
    """Group any number of labelled regions into ``num_segments`` bands ordered dark→bright.

    With at most ``num_segments`` regions each keeps its own band (sorted by mean luma);
    with more, regions sorted by mean luma fill bands of about equal pixel share.

    Args:
        regions: ``(H, W)`` integer region labels.
        lum: ``(H, W)`` luma (:func:`~exposure_env.ops.color.luma` of the sRGB image).

    Returns:
        ``(H, W)`` int labels in ``[0, num_segments)``.
    """
    ids, inverse, counts = np.unique(regions, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(regions.shape)
    mean_lum = np.bincount(inverse.ravel(), weights=lum.ravel(), minlength=ids.size) / counts
    order = np.argsort(mean_lum, kind="stable")
    band_of_region = np.empty(ids.size, dtype=np.int64)
    if ids.size <= num_segments:
        band_of_region[order] = np.arange(ids.size)
    else:
        area_before = np.cumsum(counts[order]) - counts[order]
        midpoint_share = (area_before + counts[order] / 2.0) / regions.size
        band_of_region[order] = np.minimum((midpoint_share * num_segments).astype(np.int64), num_segments - 1)
    return band_of_region[inverse]


def feather_masks(masks: np.ndarray, sigma: float) -> np.ndarray:
    """Blur ``(T, H, W)`` masks with a Gaussian of ``sigma`` px and renormalise to sum 1."""
    blurred = np.stack(
        [cv2.GaussianBlur(m, (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REFLECT_101) for m in masks]
    )
    return (blurred / np.maximum(blurred.sum(axis=0, keepdims=True), 1e-8)).astype(np.float32)


def _labels_from_callable(fn: SegmentationFn, image: np.ndarray, lum: np.ndarray, num_segments: int) -> np.ndarray:
    result = np.asarray(fn(image))
    height, width = lum.shape
    if result.shape == (height, width) and np.issubdtype(result.dtype, np.integer):
        return group_regions(result, lum, num_segments)
    if result.ndim == 3 and result.shape[1:] == (height, width):
        return group_regions(np.argmax(result, axis=0), lum, num_segments)
    raise ValueError(
        f"segment: callable {getattr(fn, '__name__', fn)!r} must return (H, W) integer labels or "
        f"(T, H, W) masks for an image of {height}x{width}; got {result.dtype} {result.shape}"
    )
