"""Image operations: numpy/torch twins agree, the transition is differentiable, segmentation contract and thresholds."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.filters import threshold_multiotsu

from exposure_env.data import EmbeddedPool
from exposure_env.ops import (
    auto_exposure_ev,
    auto_exposure_ev_torch,
    critic_features,
    critic_features_torch,
    expose,
    expose_lut,
    expose_torch,
    linear_to_srgb,
    linear_to_srgb_torch,
    local_composite,
    local_composite_torch,
    segment,
    srgb_to_linear,
    srgb_to_linear_torch,
)
from exposure_env.ops.layout import as_float_rgb, hwc_to_tensor, tensor_to_hwc
from exposure_env.ops.segmentation import multiotsu_thresholds


@pytest.fixture
def photo() -> np.ndarray:
    """A smooth 32x32 colour image with a dark and a bright half."""
    rng = np.random.default_rng(0)
    ramp = np.linspace(0.02, 0.95, 32, dtype=np.float32)
    image = np.stack([np.tile(ramp, (32, 1)) * c for c in (1.0, 0.8, 0.6)], axis=-1)
    return np.clip(image + rng.normal(0, 0.01, image.shape).astype(np.float32), 0, 1)


def test_srgb_round_trip_and_twins():
    values = np.linspace(0, 1, 1001, dtype=np.float64)
    np.testing.assert_allclose(linear_to_srgb(srgb_to_linear(values)), values, atol=1e-9)
    # known anchor: sRGB 0.5 is 21.4% linear light
    assert abs(srgb_to_linear(np.array(0.5)) - 0.21404) < 1e-4
    tensor = torch.from_numpy(values)
    np.testing.assert_allclose(srgb_to_linear_torch(tensor).numpy(), srgb_to_linear(values), atol=1e-12)
    np.testing.assert_allclose(linear_to_srgb_torch(tensor).numpy(), linear_to_srgb(values), atol=1e-12)


def test_expose_is_linear_light_gain_with_clipping(photo):
    brighter = expose(photo, 1.0)
    linear_ratio = srgb_to_linear(brighter) / np.maximum(srgb_to_linear(photo), 1e-6)
    unclipped = (srgb_to_linear(photo) > 1e-3) & (srgb_to_linear(photo) < 0.45)
    np.testing.assert_allclose(linear_ratio[unclipped], 2.0, rtol=1e-4)
    saturated = expose(photo, 10.0)
    assert saturated.max() <= 1.0 and np.allclose(saturated[srgb_to_linear(photo) > 1e-3], 1.0, atol=1e-6)
    np.testing.assert_allclose(expose(photo, 0.0), photo, atol=1e-6)


def test_expose_torch_twin_and_lut(photo):
    evs = [-2.0, 0.5, 1.5]
    batch = hwc_to_tensor(np.stack([photo] * 3))
    out = tensor_to_hwc(expose_torch(batch, torch.tensor(evs)))
    for image, ev in zip(out, evs):
        np.testing.assert_allclose(image, expose(photo, ev), atol=1e-5)
    codes = np.arange(256, dtype=np.uint8)
    np.testing.assert_allclose(expose_lut(1.0)[codes] / 255.0, expose(codes / 255.0, 1.0), atol=0.5 / 255 + 1e-9)
    assert expose_lut(1.0, bit_depth=16).shape == (65536,)


def test_auto_exposure_ev_brings_the_mean_to_mid_grey_and_twins_agree(photo):
    ev = auto_exposure_ev(photo)
    exposed = expose(photo, ev)
    assert srgb_to_linear(exposed @ np.array([0.2126, 0.7152, 0.0722], np.float32)).mean() == pytest.approx(0.18, rel=0.15)
    assert auto_exposure_ev(expose(photo, -1.0)) == pytest.approx(ev + 1.0, abs=0.2)  # a stop darker: a stop more
    batch = torch.from_numpy(np.stack([photo, expose(photo, -1.0)])).permute(0, 3, 1, 2)
    np.testing.assert_allclose(auto_exposure_ev_torch(batch).numpy(),
                               [ev, auto_exposure_ev(expose(photo, -1.0))], rtol=1e-4)
    assert auto_exposure_ev(np.zeros((0, 3), np.float32)) == 0.0


def test_log_average_auto_exposure_is_the_geometric_mean_and_twins_agree(photo):
    # half the pixels at linear luma 0.02, half at 0.5: mean 0.26 (-0.53 EV), geometric mean 0.1 (+0.85 EV)
    grey = np.array([0.02] * 8 + [0.5] * 8, np.float32)
    srgb = np.repeat(linear_to_srgb(grey)[:, None], 3, axis=1)
    assert auto_exposure_ev(srgb) == pytest.approx(np.log2(0.18 / 0.26), abs=1e-3)
    assert auto_exposure_ev(srgb, "log-average") == pytest.approx(np.log2(0.18 / 0.1), abs=1e-3)
    batch = torch.from_numpy(np.stack([photo, expose(photo, -2.0)])).permute(0, 3, 1, 2)
    np.testing.assert_allclose(auto_exposure_ev_torch(batch, "log-average").numpy(),
                               [auto_exposure_ev(image, "log-average") for image in (photo, expose(photo, -2.0))],
                               rtol=1e-4)
    with pytest.raises(ValueError, match="statistic 'median'"):
        auto_exposure_ev(photo, "median")


def test_local_composite_changes_only_the_segment(photo):
    mask = np.zeros(photo.shape[:2], np.float32)
    mask[:, :16] = 1.0
    out = local_composite(photo, 1.0, mask)
    np.testing.assert_array_equal(out[:, 16:], photo[:, 16:])
    np.testing.assert_allclose(out[:, :16], expose(photo, 1.0)[:, :16], atol=1e-6)
    torch_out = local_composite_torch(hwc_to_tensor(photo), torch.tensor([1.0]), torch.from_numpy(mask)[None])
    np.testing.assert_allclose(tensor_to_hwc(torch_out)[0], out, atol=1e-5)


def test_transition_is_differentiable_in_the_exposure_value(photo):
    """gradcheck of S^l_{t+1}(e) in float64; it fails if the transition were detached from e."""
    local = hwc_to_tensor(photo[:8, :8]).double()
    mask = torch.zeros(1, 8, 8, dtype=torch.float64)
    mask[:, :, :4] = 1.0
    ev = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda e: local_composite_torch(local, e, mask), (ev,))
    local_composite_torch(local, ev, mask).mean().backward()
    assert ev.grad is not None and ev.grad.item() > 0  # more exposure, brighter composite


def test_features_twins_agree(photo):
    numpy_features = critic_features(photo)
    torch_features = tensor_to_hwc(critic_features_torch(hwc_to_tensor(photo)))[0]
    assert numpy_features.shape == (32, 32, 6)
    np.testing.assert_allclose(torch_features, numpy_features, atol=1e-5)
    grey = torch.full((1, 3, 8, 8), 0.4, requires_grad=True)
    critic_features_torch(grey).sum().backward()
    assert torch.isfinite(grey.grad).all()  # grey pixels must not give NaN gradients (WGAN-GP)
    flat = np.full((8, 8, 3), 0.4, np.float32)
    assert np.abs(critic_features(flat)[..., 4:]).max() < 1e-5  # grey: no saturation, no contrast


@pytest.mark.parametrize("method", ["otsu", "felzenszwalb", "slic"])
def test_segmentation_contract(photo, method):
    masks = segment(photo, 3, method)
    assert masks.shape == (3, 32, 32) and masks.dtype == np.float32
    np.testing.assert_allclose(masks.sum(axis=0), 1.0)
    lum = photo.mean(axis=-1)
    means = [lum[m > 0.5].mean() for m in masks if m.sum() > 0]
    assert means == sorted(means), "segments must be ordered dark to bright"
    assert sum(m.sum() > 0 for m in masks) >= 2


def test_segmentation_flat_image_falls_back_and_callable_and_feather(photo):
    flat = np.full((16, 16, 3), 0.5, np.float32)
    masks = segment(flat, 4)
    np.testing.assert_allclose(masks.sum(axis=0), 1.0)  # quantile fallback, no crash
    halves = segment(photo, 2, method=lambda image: (np.arange(32)[None, :] >= 16).repeat(32, 0).astype(int))
    assert halves[0][:, :16].all() and halves[1][:, 16:].all()  # left half is the darker one
    soft = segment(photo, 2, feather=2.0)
    np.testing.assert_allclose(soft.sum(axis=0), 1.0, atol=1e-5)
    assert ((soft > 0.05) & (soft < 0.95)).any()


def test_segmentation_bad_input(photo):
    with pytest.raises(ValueError, match="unknown segmentation 'watershed'"):
        segment(photo, 2, "watershed")
    with pytest.raises(ValueError, match="num_segments"):
        segment(photo, 0)
    with pytest.raises(ValueError, match="callable"):
        segment(photo, 2, method=lambda image: np.zeros((3, 3), int))


def test_vectorised_multiotsu_is_skimage_bit_for_bit():
    """Photo preparation's thresholds: the vectorised search returns exactly skimage's."""
    pool = EmbeddedPool("test")
    rng = np.random.default_rng(0)
    images = [pool[i].raw[..., 1] for i in range(0, len(pool), 4)]
    images += [rng.random((64, 64), np.float32) ** rng.uniform(0.2, 5) for _ in range(8)]
    images += [rng.integers(0, levels, (64, 64)).astype(np.float32) for levels in (2, 3, 4, 5, 6)]  # few values
    for classes, image in [(classes, image) for classes in (2, 3, 4) for image in images] + [(5, images[0])]:
        try:
            expected = threshold_multiotsu(image, classes=classes, nbins=64)
        except ValueError:
            with pytest.raises(ValueError):
                multiotsu_thresholds(image, classes, 64)
            continue
        got = multiotsu_thresholds(image, classes, 64)
        assert got.dtype == expected.dtype and np.array_equal(got, expected)


def test_as_float_rgb_validates():
    assert as_float_rgb(np.zeros((4, 4), np.uint8)).shape == (4, 4, 3)
    assert as_float_rgb(np.full((4, 4, 4), 65535, np.uint16)).max() == 1.0
    with pytest.raises(ValueError, match="1x1"):
        as_float_rgb(np.zeros((1, 1, 3), np.uint8))
    with pytest.raises(ValueError, match="NaN"):
        as_float_rgb(np.full((4, 4, 3), np.nan, np.float32))
    with pytest.raises(ValueError, match="shape"):
        as_float_rgb(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(TypeError, match="numpy array"):
        as_float_rgb([[0, 1]])
