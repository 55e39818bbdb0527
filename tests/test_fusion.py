"""Mertens fusion: OpenCV on CPU and its torch twin agree, the twin is differentiable."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from exposure_env.data import EmbeddedPool
from exposure_env.ops import expose, expose_torch, mertens_fusion, mertens_fusion_torch
from exposure_env.ops.layout import hwc_to_tensor
from exposure_env.ops.resize import thumbnail


def exposures(height: int, width: int, count: int) -> np.ndarray:
    photo = thumbnail(EmbeddedPool("test")[3].raw, 96)[:height, :width]
    return np.stack([expose(photo, ev) for ev in np.linspace(-2.0, 2.0, count)])


@pytest.mark.parametrize("size", [(64, 64), (37, 50)])
@pytest.mark.parametrize("count, weights", [(1, (1, 1, 1)), (3, (1, 1, 1)), (4, (1, 1, 1)), (4, (0.0, 0.5, 2.0))])
def test_torch_twin_matches_opencv(size, count, weights):
    stack = exposures(*size, count)
    reference = mertens_fusion(stack, *weights)
    twin = mertens_fusion_torch(torch.from_numpy(stack).permute(0, 3, 1, 2)[None], *weights)[0].permute(1, 2, 0)
    assert np.abs(twin.numpy() - reference).max() < 1e-3


def test_fusion_does_something_and_identical_copies_return_the_image():
    stack = exposures(64, 64, 3)
    fused = mertens_fusion(stack)
    assert np.abs(fused - stack[1]).mean() > 0.01  # not just the middle exposure
    copies = np.stack([stack[1]] * 4)
    np.testing.assert_allclose(mertens_fusion(copies), stack[1], atol=1e-3)
    twin = mertens_fusion_torch(torch.from_numpy(copies).permute(0, 3, 1, 2)[None])[0].permute(1, 2, 0)
    np.testing.assert_allclose(twin.numpy(), stack[1], atol=1e-3)


def test_fused_result_is_differentiable_in_the_exposure_values():
    photo = hwc_to_tensor(exposures(16, 16, 1)[0]).double()
    evs = torch.tensor([-1.0, 0.5, 1.5], dtype=torch.float64, requires_grad=True)

    def fused_mean(ev: torch.Tensor) -> torch.Tensor:
        stack = expose_torch(photo.expand(3, -1, -1, -1), ev)
        return mertens_fusion_torch(stack[None]).mean()

    fused_mean(evs).backward()
    step = 1e-4
    for k in range(3):
        shifted_up, shifted_down = evs.detach().clone(), evs.detach().clone()
        shifted_up[k] += step
        shifted_down[k] -= step
        numeric = (fused_mean(shifted_up) - fused_mean(shifted_down)).item() / (2 * step)
        assert evs.grad[k].item() == pytest.approx(numeric, rel=1e-3, abs=1e-7)
    assert evs.grad.abs().sum() > 0


def test_grey_images_give_finite_gradients():
    grey = torch.full((1, 3, 3, 8, 8), 0.5, requires_grad=True)
    mertens_fusion_torch(grey).sum().backward()
    assert torch.isfinite(grey.grad).all()


def test_bad_input():
    with pytest.raises(ValueError, match=r"\(K>=1, H, W, 3\)"):
        mertens_fusion(np.zeros((4, 8, 8), np.float32))
    with pytest.raises(ValueError, match="NaN"):
        mertens_fusion(np.full((2, 8, 8, 3), np.nan, np.float32))
    with pytest.raises(ValueError, match=r"\(B, K, 3, H, W\)"):
        mertens_fusion_torch(torch.zeros(2, 3, 8, 8))
