"""Mertens fusion: OpenCV on CPU and its torch twin agree, the twin is differentiable."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from exposure_env.ops.fusion import _pyr_down, _pyr_up, merge_mertens, mertens_fusion, mertens_fusion_torch

NON_DEFAULT_WEIGHTS = [(1.0, 1.0, 1.0), (0.0, 0.5, 2.0), (2.0, 0.0, 0.5), (0.5, 2.0, 0.0)]


def smooth_linear_photo(height: int, width: int, seed: int) -> np.ndarray:
    """``(H, W, 3)`` float32 smooth random colours in linear light, clipped to white in places."""
    coarse = np.random.default_rng(seed).random((max(2, height // 8), max(2, width // 8), 3), dtype=np.float32)
    return np.clip(cv2.resize(coarse * 1.3, (width, height), interpolation=cv2.INTER_CUBIC), 0.0, 1.0)


def exposures(photo: np.ndarray, count: int) -> np.ndarray:
    """``(K, H, W, 3)`` float32 sRGB-like exposures of ``photo`` from -2 to +2 EV.

    Pixels clipped to white in ``photo`` are grey in every exposure: the hard case where
    OpenCV's saturation is float rounding noise.
    """
    evs = np.linspace(-2.0, 2.0, count) if count > 1 else np.zeros(1)
    return np.stack([np.clip(photo * 2.0**ev, 0.0, 1.0) ** (1 / 2.2) for ev in evs]).astype(np.float32)


def twin(stack: np.ndarray, *weights: float) -> np.ndarray:
    """:func:`mertens_fusion_torch` on one ``(K, H, W, 3)`` stack, as ``(H, W, 3)``."""
    return mertens_fusion_torch(torch.from_numpy(stack).permute(0, 3, 1, 2)[None], *weights)[0].permute(1, 2, 0).numpy()


def test_retouch_codes_and_env_floats_fuse_alike():
    """merge_mertens takes exposure-retouch's 8-bit codes, mertens_fusion the env's floats in [0, 1]: both fuse alike."""
    codes = np.rint(exposures(smooth_linear_photo(16, 20, seed=1), 3) * 255).astype(np.uint8)
    from_codes = merge_mertens(list(codes))
    assert 0.2 < from_codes.mean() < 0.8  # on the [0, 1] scale (OpenCV divides its input by 255, whatever its depth)
    # not bit-equal: merge.cpp sums the weights over K in thread order
    np.testing.assert_allclose(mertens_fusion(codes / np.float32(255.0)), np.clip(from_codes, 0.0, 1.0), atol=1e-6)
    np.testing.assert_allclose(merge_mertens(list(codes[:1])), codes[0] / 255.0, atol=1e-7)  # one exposure: itself


@pytest.mark.parametrize("height, width", [(16, 16), (9, 13), (5, 3), (2, 7), (1, 4)])
def test_pyramid_steps_match_opencv(height, width):
    image = np.random.default_rng(0).random((height, width, 3), dtype=np.float32)
    tensor = torch.from_numpy(image).permute(2, 0, 1)[None]
    down = _pyr_down(tensor)[0].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(down, cv2.pyrDown(image), atol=1e-6)
    for size in {(2 * height, 2 * width), (2 * height - 1, 2 * width - 1), (2 * height, 2 * width - 1)}:
        up = _pyr_up(tensor, size)[0].permute(1, 2, 0).numpy()
        np.testing.assert_allclose(up, cv2.pyrUp(image, dstsize=size[::-1]), atol=1e-6)


@pytest.mark.parametrize("height, width", [(64, 64), (37, 50)])
@pytest.mark.parametrize("count", [1, 3, 4])
@pytest.mark.parametrize("weights", NON_DEFAULT_WEIGHTS)
def test_torch_twin_matches_opencv(height, width, count, weights):
    stack = exposures(smooth_linear_photo(height, width, seed=count), count)
    reference = mertens_fusion(stack, *weights)
    assert reference.shape == (height, width, 3) and reference.dtype == np.float32
    assert np.abs(twin(stack, *weights) - reference).max() < 1e-3


def test_torch_twin_matches_opencv_on_grey_photos_and_batches():
    grey = exposures(smooth_linear_photo(40, 48, seed=5)[..., :1].repeat(3, axis=-1), 4)
    assert np.abs(twin(grey) - mertens_fusion(grey)).max() < 1e-3
    stacks = np.stack([exposures(smooth_linear_photo(24, 32, seed), 3) for seed in range(4)] + [grey[:3, :24, :32]])
    fused = mertens_fusion_torch(torch.from_numpy(stacks).permute(0, 1, 4, 2, 3)).permute(0, 2, 3, 1).numpy()
    for stack, fused_one in zip(stacks, fused):
        assert np.abs(fused_one - mertens_fusion(stack)).max() < 1e-3


def test_fusion_blends_and_identical_copies_return_the_image():
    stack = exposures(smooth_linear_photo(32, 32, seed=7), 3)
    assert np.abs(mertens_fusion(stack) - stack[1]).mean() > 0.01  # not just the middle exposure
    copies = np.repeat(stack[:1], 4, axis=0)  # the dark exposure: weights far from uniform
    np.testing.assert_allclose(mertens_fusion(copies), stack[0], atol=1e-3)
    np.testing.assert_allclose(twin(copies), stack[0], atol=1e-3)
    np.testing.assert_array_equal(mertens_fusion(np.full((1, 4, 4, 3), 1.5, np.float32)), np.ones((4, 4, 3)))


def test_fused_mean_has_the_finite_difference_gradient_in_the_exposure_value():
    image = torch.from_numpy(np.random.default_rng(3).uniform(0.05, 0.6, (1, 1, 3, 12, 16)))
    offsets = torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64).view(1, 3, 1, 1, 1)

    def fused_mean(ev: torch.Tensor) -> torch.Tensor:
        stack = torch.clamp(image * 2.0 ** (ev + offsets), 0.0, 1.0)  # (1, 3, 3, H, W)
        return mertens_fusion_torch(stack, 1.0, 0.5, 2.0).mean()

    ev = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    (gradient,) = torch.autograd.grad(fused_mean(ev), ev)
    step = 1e-5
    with torch.no_grad():
        numeric = (fused_mean(ev + step) - fused_mean(ev - step)) / (2 * step)
    assert abs(numeric.item()) > 1e-3  # a detached output would give a zero gradient (or none)
    assert gradient.item() == pytest.approx(numeric.item(), rel=1e-4)


def test_grey_and_flat_images_give_finite_gradients():
    flat_grey = torch.full((1, 3, 3, 8, 8), 0.5, requires_grad=True)
    mertens_fusion_torch(flat_grey, 0.5, 0.5, 1.0).sum().backward()
    assert torch.isfinite(flat_grey.grad).all()


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((4, 8, 8), np.float32), r"\(K, H, W, 3\)"),
        (np.zeros((2, 8, 8, 4), np.float32), r"\(K, H, W, 3\)"),
        (np.zeros((0, 8, 8, 3), np.float32), "K >= 1"),
        (np.full((2, 8, 8, 3), np.nan, np.float32), "NaN or infinite"),
        (np.full((2, 8, 8, 3), np.inf, np.float32), "NaN or infinite"),
    ],
)
def test_mertens_fusion_rejects_bad_input(images, message):
    with pytest.raises(ValueError, match=message):
        mertens_fusion(images)


@pytest.mark.parametrize(
    "images, message",
    [
        (torch.zeros(2, 3, 8, 8), r"\(B, K, 3, H, W\)"),
        (torch.zeros(1, 2, 4, 8, 8), r"\(B, K, 3, H, W\)"),
        (torch.zeros(1, 0, 3, 8, 8), "K >= 1"),
        (torch.zeros(1, 2, 3, 8, 8, dtype=torch.uint8), "floating point"),
    ],
)
def test_mertens_fusion_torch_rejects_bad_input(images, message):
    with pytest.raises(ValueError, match=message):
        mertens_fusion_torch(images)
