"""Data: embedded pool, degradations, file reading, folder and FiveK pools."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from exposure_env.data import (
    DegradationParams,
    EmbeddedPool,
    FiveKPool,
    FolderPool,
    ImagePool,
    ImageReadError,
    degrade,
    make_pool,
    random_degradation,
    read_image,
)
from exposure_env.ops.color import srgb_to_linear


def gradient_image(height: int = 24, width: int = 32) -> np.ndarray:
    """uint8 RGB test photo whose pixels differ (so orientation is detectable)."""
    ys, xs = np.mgrid[0:height, 0:width]
    return np.stack([xs * 255 // (width - 1), ys * 255 // (height - 1), (xs + ys) % 256], axis=-1).astype(np.uint8)


# ---------------------------------------------------------------- degradations / embedded pool
def test_neutral_degradation_is_identity_and_global_ev_is_exact():
    clean = np.clip(gradient_image().astype(np.float32) / 255.0, 0.05, 0.6)
    np.testing.assert_allclose(degrade(clean, DegradationParams()), clean, atol=1e-5)
    brighter = degrade(clean, DegradationParams(global_ev=0.5))
    np.testing.assert_allclose(srgb_to_linear(brighter), srgb_to_linear(clean) * 2**0.5, rtol=1e-4, atol=1e-6)


def test_random_degradation_varies_spatially():
    clean = np.full((32, 32, 3), 0.4, np.float32)
    params = random_degradation(np.random.default_rng(1))
    ratio = srgb_to_linear(degrade(clean, params)) / srgb_to_linear(clean)
    assert ratio.std() > 0.05  # gradient and vignette make the error differ across the photo


def test_embedded_pool_is_deterministic_and_split_by_source():
    pool = EmbeddedPool("train", seed=0)
    first, again = pool[5], EmbeddedPool("train", seed=0)[5]
    np.testing.assert_array_equal(first.raw, again.raw)
    assert not np.array_equal(first.raw, EmbeddedPool("train", seed=1)[5].raw)
    assert first.raw.shape == first.target.shape == (96, 96, 3) and first.raw.dtype == np.float32
    assert 0.0 <= first.raw.min() and first.raw.max() <= 1.0
    train_sources = {pool[i].name.split("/")[0] for i in range(40)}
    test_pool = EmbeddedPool("test")
    test_sources = {test_pool[i].name.split("/")[0] for i in range(len(test_pool))}
    assert len(train_sources) >= 6 and len(test_sources) == 2 and not train_sources & test_sources
    assert pool.paired and pool.has_experts and pool.expert(np.random.default_rng(0)).shape == (96, 96, 3)


def test_embedded_raw_is_a_recoverable_exposure_error():
    pool = EmbeddedPool("test")
    errors, explained = [], []
    for i in range(16):
        sample = pool[i]
        errors.append(np.abs(sample.raw - sample.target).mean())
        # the raw differs from the target mostly by a per-pixel gain in linear light
        raw_lin, target_lin = srgb_to_linear(sample.raw), srgb_to_linear(sample.target)
        gain = (raw_lin.mean(axis=-1, keepdims=True) + 1e-4) / (target_lin.mean(axis=-1, keepdims=True) + 1e-4)
        explained.append(np.abs(raw_lin - target_lin * gain).mean() / (np.abs(raw_lin - target_lin).mean() + 1e-8))
    assert np.mean(errors) > 0.05
    assert np.median(explained) < 0.5


def test_embedded_pool_bad_arguments():
    with pytest.raises(ValueError, match="unknown split 'valid'"):
        EmbeddedPool("valid")
    with pytest.raises(ValueError, match="crop_size"):
        EmbeddedPool(crop_size=4)


# ---------------------------------------------------------------- read_image
def test_read_image_formats(tmp_path):
    rgb = gradient_image()
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    np.testing.assert_allclose(read_image(tmp_path / "rgb.png"), rgb / 255.0, atol=1e-7)

    rgb16 = (np.random.default_rng(0).random((8, 8, 3)) * 65535).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "rgb16.png"), rgb16[..., ::-1])
    np.testing.assert_allclose(read_image(tmp_path / "rgb16.png"), rgb16 / 65535.0, atol=1e-7)
    cv2.imwrite(str(tmp_path / "rgb16.tif"), rgb16[..., ::-1])
    np.testing.assert_allclose(read_image(tmp_path / "rgb16.tif"), rgb16 / 65535.0, atol=1e-7)

    Image.fromarray(rgb[..., 0]).save(tmp_path / "grey.png")
    grey = read_image(tmp_path / "grey.png")
    assert grey.shape == (24, 32, 3) and np.array_equal(grey[..., 0], grey[..., 2])

    Image.fromarray(np.dstack([rgb, np.full(rgb.shape[:2], 7, np.uint8)])).save(tmp_path / "rgba.png")
    np.testing.assert_allclose(read_image(tmp_path / "rgba.png"), rgb / 255.0, atol=1e-7)

    Image.fromarray(rgb).convert("P").save(tmp_path / "palette.png")
    assert read_image(tmp_path / "palette.png").shape == (24, 32, 3)


def test_read_image_applies_exif_orientation(tmp_path):
    image = Image.fromarray(gradient_image())
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    image.save(tmp_path / "rotated.jpg", exif=exif, quality=100)
    upright = read_image(tmp_path / "rotated.jpg")
    assert upright.shape == (32, 24, 3)
    # after a clockwise turn, the photo's left column (red = 0) becomes its top row
    assert upright[0, :, 0].mean() < 0.1 and upright[-1, :, 0].mean() > 0.9


@pytest.mark.parametrize(
    "name, content, reason",
    [("empty.png", b"", "empty file"), ("noise.jpg", bytes(range(256)) * 4, "not a readable image"),
     ("missing.png", None, "no such file")],
)
def test_read_image_bad_files(tmp_path, name, content, reason):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImageReadError, match=reason) as error:
        read_image(path)
    assert name in str(error.value)


def test_read_image_truncated_and_tiny(tmp_path):
    Image.fromarray(gradient_image(64, 64)).save(tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageReadError, match="cut.png"):
        read_image(tmp_path / "cut.png")
    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(tmp_path / "dot.png")
    with pytest.raises(ImageReadError, match="dot.png.*1x1"):
        read_image(tmp_path / "dot.png")


# ---------------------------------------------------------------- folder and FiveK pools
def write_photos(folder: Path, names: list[str], shift: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        Image.fromarray((gradient_image() // 2 + 10 * i + shift).astype(np.uint8)).save(folder / name)


def test_folder_pool_paired_by_name(tmp_path):
    write_photos(tmp_path / "raw", ["a.png", "b.png"])
    write_photos(tmp_path / "expert", ["b.png", "a.png"], shift=60)
    pool = FolderPool(tmp_path / "raw", tmp_path / "expert")
    assert pool.paired and len(pool) == 2
    sample = pool[0]
    assert sample.name == "a.png"
    np.testing.assert_allclose(sample.target, read_image(tmp_path / "expert" / "a.png"))


def test_folder_pool_unpaired_and_linear(tmp_path):
    write_photos(tmp_path / "raw", ["a.png", "b.png"])
    write_photos(tmp_path / "experts", ["x.png"])
    pool = FolderPool(tmp_path / "raw", tmp_path / "experts")
    assert not pool.paired and pool.has_experts and pool[1].target is None
    assert pool.expert(np.random.default_rng(0)).shape == (24, 32, 3)
    linear_pool = FolderPool(tmp_path / "raw", linear=True)
    assert linear_pool[0].raw.mean() > pool[0].raw.mean()  # sRGB encoding brightens linear values


def test_folder_pool_reports_and_skips_bad_files(tmp_path, caplog):
    write_photos(tmp_path / "raw", ["a.png", "c.png"])
    (tmp_path / "raw" / "b.png").write_bytes(b"not an image")
    Image.fromarray(gradient_image(64, 64)).save(tmp_path / "raw" / "d.png")
    data = (tmp_path / "raw" / "d.png").read_bytes()
    (tmp_path / "raw" / "d.png").write_bytes(data[: len(data) - 200])  # header fine, data cut
    with caplog.at_level(logging.WARNING):
        pool = FolderPool(tmp_path / "raw")
        names = [pool[i].name for i in range(len(pool))]
    assert "b.png" in caplog.text and any("b.png" in key for key in pool.bad_files)
    assert set(names) <= {"a.png", "c.png"} and "a.png" in names and "c.png" in names
    assert any("d.png" in key for key in pool.bad_files)


def test_folder_pool_bad_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty: no readable image"):
        FolderPool(tmp_path / "empty")
    with pytest.raises(ValueError, match="nowhere: not a directory"):
        FolderPool(tmp_path / "nowhere")
    write_photos(tmp_path / "raw", ["a.png"])
    write_photos(tmp_path / "expert", ["z.png"])
    with pytest.raises(ValueError, match="paired=True"):
        FolderPool(tmp_path / "raw", tmp_path / "expert", paired=True)


def test_fivek_layout(tmp_path):
    write_photos(tmp_path / "fivek" / "Input", ["a0001.png", "a0002.png"])
    write_photos(tmp_path / "fivek" / "ExpertC", ["a0001.png", "a0002.png"], shift=50)
    write_photos(tmp_path / "fivek" / "expertA", ["a0001.png"])
    pool = FiveKPool(tmp_path / "fivek", expert="C")
    assert pool.paired and len(pool) == 2 and pool[1].name == "a0002.png"
    assert pool[1].target.mean() > pool[1].raw.mean()
    with pytest.raises(ValueError, match="no FiveK layout.*expertd"):
        FiveKPool(tmp_path / "fivek", expert="D")


def test_make_pool(tmp_path):
    assert isinstance(make_pool(None), EmbeddedPool) and make_pool("embedded:test").split == "test"
    custom = EmbeddedPool("all")
    assert make_pool(custom) is custom
    write_photos(tmp_path / "photos", ["a.png"])
    assert isinstance(make_pool(str(tmp_path / "photos")), FolderPool)
    with pytest.raises(ValueError, match="neither"):
        make_pool(str(tmp_path / "missing"))
    with pytest.raises(TypeError, match="pool must be"):
        make_pool(3.5)
    assert isinstance(custom, ImagePool)
