"""Data: degradations, the embedded pool, file reading, folder and FiveK pools, make_pool."""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile
from PIL import Image, ImageOps

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
from exposure_env.data.degrade import spatial_ev, tonal_band_ev
from exposure_env.data.embedded import COLOUR_SOURCES, GREY_SOURCES, TEST_SOURCES, TRAIN_SOURCES, load_source
from exposure_env.ops.color import linear_to_srgb, luma, srgb_to_linear


def gradient_image(height: int = 24, width: int = 32) -> np.ndarray:
    """uint8 RGB test photo whose pixels differ (so orientation is detectable)."""
    ys, xs = np.mgrid[0:height, 0:width]
    return np.stack([xs * 255 // (width - 1), ys * 255 // (height - 1), (xs + ys) % 256], axis=-1).astype(np.uint8)


def noise_image(height: int, width: int) -> np.ndarray:
    """uint8 RGB noise: compresses badly, so a cut file loses pixel data, not just its end."""
    return np.random.default_rng(height * width).integers(0, 256, (height, width, 3), dtype=np.uint8)


def source_of(name: str) -> str:
    return name.rsplit("/", 1)[0]


# ---------------------------------------------------------------- degradations
def test_neutral_degradation_is_identity():
    clean = np.random.default_rng(0).random((20, 30, 3), dtype=np.float32)
    np.testing.assert_allclose(degrade(clean, DegradationParams()), clean, atol=1e-5)


def test_global_ev_scales_linear_light_exactly():
    clean = np.random.default_rng(1).uniform(0.0, 0.95, (20, 30, 3)).astype(np.float32)
    ev = 0.75
    brighter = srgb_to_linear(degrade(clean, DegradationParams(global_ev=ev)))
    expected = srgb_to_linear(clean) * 2**ev
    unclipped = expected < 0.999
    assert unclipped.mean() > 0.5 and (~unclipped).any()
    np.testing.assert_allclose(brighter[unclipped], expected[unclipped], rtol=1e-4, atol=1e-6)
    assert np.all(brighter[~unclipped] == 1.0)


def test_gradient_and_vignette_reach_their_documented_strength():
    gradient = spatial_ev(9, 13, DegradationParams(gradient_ev=0.8, gradient_angle=0.0))
    np.testing.assert_allclose(gradient[:, 0], -0.8, atol=1e-6)  # left edge
    np.testing.assert_allclose(gradient[:, -1], 0.8, atol=1e-6)  # right edge
    diagonal = spatial_ev(9, 13, DegradationParams(gradient_ev=0.8, gradient_angle=np.pi / 4))
    assert diagonal.min() == pytest.approx(-0.8) and diagonal.max() == pytest.approx(0.8)
    vignette = spatial_ev(9, 13, DegradationParams(vignette_ev=-0.9))
    assert vignette[4, 6] == pytest.approx(0.0) and vignette[0, 0] == pytest.approx(-0.9)
    assert vignette[-1, -1] == pytest.approx(-0.9) and vignette[4, 0] > -0.9


def test_tonal_bands_shift_each_band_and_keep_tone_order():
    ramp = np.repeat(np.linspace(0.05, 0.95, 64, dtype=np.float32)[None, :, None], 3, axis=2).repeat(16, axis=0)
    shift = tonal_band_ev(srgb_to_linear(ramp), (-1.0, 1.0))
    assert shift[8, 0] == pytest.approx(-1.0, abs=0.05) and shift[8, -1] > 0.8  # darkest/brightest band
    assert np.all(np.diff(shift[8]) >= -1e-6)  # blended smoothly: no step between neighbours
    assert np.abs(np.diff(shift[8])).max() < 0.2
    zigzag = degrade(ramp, DegradationParams(band_evs=(1.5, -1.5, 1.5, -1.5)))
    assert np.all(np.diff(luma(zigzag)[8]) >= -1e-6)  # opposite band shifts never reverse tones


def test_random_degradation_ranges_and_spatial_variation():
    draws = [random_degradation(np.random.default_rng(seed)) for seed in range(300)]
    assert all(-2.5 <= d.global_ev <= 1.5 and -1 <= d.gradient_ev <= 1 and -1 <= d.vignette_ev <= 0 for d in draws)
    assert all(2 <= len(d.band_evs) <= 4 and all(-1.5 <= ev <= 1.5 for ev in d.band_evs) for d in draws)
    assert all(0.8 <= d.gamma <= 1.25 and -0.3 <= d.contrast <= 0.3 for d in draws)
    assert np.mean([d.global_ev for d in draws]) < -0.2  # biased to under-exposure
    clean = np.full((32, 32, 3), 0.4, np.float32)
    ratio = srgb_to_linear(degrade(clean, draws[1])) / srgb_to_linear(clean)
    assert ratio.std() > 0.05  # gradient and vignette make the error differ across the photo


# ---------------------------------------------------------------- embedded pool
def test_embedded_pool_is_deterministic_with_valid_items():
    pool = EmbeddedPool("train", seed=0)
    first, again = pool[5], EmbeddedPool("train", seed=0)[5]
    np.testing.assert_array_equal(first.raw, again.raw)
    np.testing.assert_array_equal(first.target, again.target)
    assert first.name == again.name and first.name.split("/") == [source_of(first.name), "5"]
    assert not np.array_equal(first.raw, EmbeddedPool("train", seed=1)[5].raw)
    assert not np.array_equal(first.target, pool[6].target)
    for sample in (first, EmbeddedPool("test", crop_size=32)[0]):
        assert sample.raw.shape == sample.target.shape and sample.raw.dtype == sample.target.dtype == np.float32
        assert 0.0 <= sample.raw.min() and sample.raw.max() <= 1.0 and 0.0 <= sample.target.min()
    assert first.raw.shape == (96, 96, 3) and EmbeddedPool("test", crop_size=32)[0].raw.shape == (32, 32, 3)
    assert len(pool) == 4096 and len(EmbeddedPool("test")) == 128 and len(EmbeddedPool("all", n_items=7)) == 7
    with pytest.raises(IndexError):
        pool[4096]


def test_embedded_splits_share_no_source():
    assert not set(TRAIN_SOURCES) & set(TEST_SOURCES)
    assert set(TEST_SOURCES) & set(COLOUR_SOURCES) and set(TEST_SOURCES) & set(GREY_SOURCES)
    train = EmbeddedPool("train", n_items=64)
    test = EmbeddedPool("test", n_items=16)
    train_sources = {source_of(train[i].name) for i in range(len(train))}
    test_sources = {source_of(test[i].name) for i in range(len(test))}
    assert train_sources == set(TRAIN_SOURCES) and test_sources == set(TEST_SOURCES)
    rng = np.random.default_rng(0)
    test_targets = [test[i].target for i in range(len(test))]
    expert = test.expert(rng)
    assert expert.shape == (96, 96, 3) and not any(np.array_equal(expert, target) for target in test_targets)
    np.testing.assert_array_equal(expert, test.expert(np.random.default_rng(0)))


def test_embedded_raw_is_a_recoverable_exposure_error():
    pool = EmbeddedPool("test", n_items=24)
    errors, unexplained = [], []
    for i in range(len(pool)):
        sample = pool[i]
        errors.append(np.abs(sample.raw - sample.target).mean())
        # the raw differs from the target mostly by a per-pixel gain in linear light
        raw_lin, target_lin = srgb_to_linear(sample.raw), srgb_to_linear(sample.target)
        gain = (raw_lin.mean(axis=-1, keepdims=True) + 1e-4) / (target_lin.mean(axis=-1, keepdims=True) + 1e-4)
        unexplained.append(np.abs(raw_lin - target_lin * gain).mean() / (np.abs(raw_lin - target_lin).mean() + 1e-8))
    assert np.mean(errors) > 0.05 and min(errors) > 0.005
    assert np.median(unexplained) < 0.1


def test_embedded_pool_needs_no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("EmbeddedPool tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    load_source.cache_clear()
    pool = EmbeddedPool("all", n_items=32)
    assert {source_of(pool[i].name) for i in range(len(pool))} == set(TRAIN_SOURCES + TEST_SOURCES)
    for name in GREY_SOURCES:
        photo = load_source(name)
        assert photo.ndim == 3 and np.array_equal(photo[..., 0], photo[..., 2])
    assert all(load_source(name).std(axis=-1).mean() > 0.01 for name in COLOUR_SOURCES)


def test_embedded_pool_is_fast_enough():
    pool = EmbeddedPool("train", n_items=64)
    pool[0]  # sources decoded once per process
    start = time.perf_counter()
    for i in range(len(pool)):
        pool[i]
    assert (time.perf_counter() - start) / len(pool) < 0.02  # measured ~1.3 ms on 2 CPU cores


def test_embedded_pool_bad_arguments():
    with pytest.raises(ValueError, match=r"unknown split 'valid'.*'train', 'test', 'all'"):
        EmbeddedPool("valid")
    with pytest.raises(ValueError, match="crop_size"):
        EmbeddedPool(crop_size=4)


# ---------------------------------------------------------------- read_image
def test_read_image_8_and_16_bit(tmp_path):
    rgb = gradient_image()
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    image = read_image(tmp_path / "rgb.png")
    assert image.dtype == np.float32 and image.shape == (24, 32, 3)
    np.testing.assert_allclose(image, rgb / 255.0, atol=1e-7)

    rgb16 = (np.random.default_rng(0).random((8, 10, 3)) * 65535).astype(np.uint16)
    grey16 = rgb16[..., 1]
    cv2.imwrite(str(tmp_path / "rgb16.png"), rgb16[..., ::-1])
    cv2.imwrite(str(tmp_path / "rgb16.tif"), rgb16[..., ::-1])
    cv2.imwrite(str(tmp_path / "grey16.png"), grey16)
    for name in ("rgb16.png", "rgb16.tif"):  # Pillow alone would keep only the high 8 bits
        np.testing.assert_allclose(read_image(tmp_path / name), rgb16 / 65535.0, atol=1e-7)
    np.testing.assert_allclose(read_image(tmp_path / "grey16.png"), np.dstack([grey16] * 3) / 65535.0, atol=1e-7)


def test_read_image_modes(tmp_path):
    rgb = gradient_image()
    Image.fromarray(rgb[..., 0]).save(tmp_path / "grey.png")
    np.testing.assert_allclose(read_image(tmp_path / "grey.png"), np.dstack([rgb[..., 0]] * 3) / 255.0, atol=1e-7)

    Image.fromarray(np.dstack([rgb, np.full(rgb.shape[:2], 7, np.uint8)])).save(tmp_path / "rgba.png")
    np.testing.assert_allclose(read_image(tmp_path / "rgba.png"), rgb / 255.0, atol=1e-7)  # alpha dropped

    Image.fromarray(rgb).convert("P").save(tmp_path / "palette.png")
    palette_rgb = np.asarray(Image.open(tmp_path / "palette.png").convert("RGB"))
    np.testing.assert_allclose(read_image(tmp_path / "palette.png"), palette_rgb / 255.0, atol=1e-7)

    floats = np.random.default_rng(2).random((6, 7, 3)).astype(np.float32)
    cv2.imwrite(str(tmp_path / "float.tif"), floats[..., ::-1])  # Pillow cannot open float RGB TIFF
    np.testing.assert_allclose(read_image(tmp_path / "float.tif"), floats, atol=1e-7)


def test_read_image_applies_exif_orientation(tmp_path):
    image = Image.fromarray(gradient_image())
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    image.save(tmp_path / "rotated.jpg", exif=exif, quality=100)
    upright = read_image(tmp_path / "rotated.jpg")
    assert upright.shape == (32, 24, 3)
    # after a clockwise turn, the photo's left column (red = 0) becomes its top row
    assert upright[0, :, 0].mean() < 0.1 and upright[-1, :, 0].mean() > 0.9


@pytest.mark.parametrize("orientation", range(1, 9))
def test_read_image_orientation_matches_pillow(tmp_path, orientation):
    image = Image.fromarray(gradient_image(5, 7))
    exif = image.getexif()
    exif[0x0112] = orientation
    image.save(tmp_path / "oriented.png", exif=exif)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(tmp_path / "oriented.png"))) / 255.0
    np.testing.assert_allclose(read_image(tmp_path / "oriented.png"), expected, atol=1e-7)


def bad_file(tmp_path: Path, kind: str) -> Path:
    """Write one kind of unreadable file and return its path."""
    path = tmp_path / {"tiny": "dot.png", "complex": "complex.tif", "lab": "lab.tif", "hdr": "hdr.tif"}.get(kind, f"{kind}.png")
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "noise":
        path.write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8)))
    elif kind == "truncated":
        Image.fromarray(noise_image(64, 64)).save(path)
        path.write_bytes(path.read_bytes()[:2000])
    elif kind == "tiny":
        Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(path)
    elif kind == "complex":
        tifffile.imwrite(path, np.ones((4, 4), np.complex64))
    elif kind == "lab":
        tifffile.imwrite(path, np.zeros((4, 4, 3), np.uint8), photometric="cielab")
    elif kind == "hdr":
        cv2.imwrite(str(path), np.full((4, 4, 3), 3.0, np.float32))
    return path


@pytest.mark.parametrize(
    "kind, reason",
    [("empty", "empty file"), ("noise", "not a readable image"), ("truncated", "corrupt or truncated"),
     ("tiny", "1x1 pixels"), ("missing", "no such file"), ("complex", "unsupported TIFF sample type complex64"),
     ("lab", "unsupported TIFF colour space CIELAB"),
     ("hdr", r"values must lie in \[0, 1\]")],
)
def test_read_image_bad_files(tmp_path, kind, reason):
    path = bad_file(tmp_path, kind)
    with pytest.raises(ImageReadError, match=reason) as error:
        read_image(path)
    message = str(error.value)
    assert message.startswith(str(path)) and "\n" not in message


def test_read_image_pixel_limit(tmp_path):
    Image.fromarray(gradient_image()).save(tmp_path / "big.png")
    with pytest.raises(ImageReadError, match=r"big.png: 32x24 is over the limit of 500 pixels"):
        read_image(tmp_path / "big.png", max_pixels=500)
    assert read_image(tmp_path / "big.png", max_pixels=768).shape == (24, 32, 3)


# ---------------------------------------------------------------- folder and FiveK pools
def write_photos(folder: Path, names: list[str], shift: int = 0, size: tuple[int, int] = (24, 32)) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        Image.fromarray((gradient_image(*size) // 2 + 10 * i + shift).astype(np.uint8)).save(folder / name)


def test_folder_pool_paired_by_stem(tmp_path):
    write_photos(tmp_path / "raw", ["a.png", "b.png"])
    write_photos(tmp_path / "expert", ["b.tif", "a.tif"], shift=60)  # other suffix, other order
    pool = FolderPool(tmp_path / "raw", tmp_path / "expert")
    assert pool.paired and pool.has_experts and len(pool) == 2 and not pool.bad_files
    for i, stem in enumerate("ab"):
        sample = pool[i]
        assert sample.name == f"{stem}.png"
        np.testing.assert_array_equal(sample.raw, read_image(tmp_path / "raw" / f"{stem}.png"))
        np.testing.assert_array_equal(sample.target, read_image(tmp_path / "expert" / f"{stem}.tif"))
    with pytest.raises(IndexError):
        pool[2]


def test_folder_pool_unpaired(tmp_path):
    write_photos(tmp_path / "raw", ["a.png", "b.png"])
    write_photos(tmp_path / "experts", ["x.png"], shift=90)
    pool = FolderPool(tmp_path / "raw", tmp_path / "experts")
    assert not pool.paired and pool.has_experts and pool[1].target is None
    np.testing.assert_array_equal(pool.expert(np.random.default_rng(0)), read_image(tmp_path / "experts" / "x.png"))
    forced = FolderPool(tmp_path / "raw", tmp_path / "raw", paired=False)
    assert not forced.paired and forced[0].target is None
    alone = FolderPool(tmp_path / "raw")
    assert not alone.paired and not alone.has_experts
    with pytest.raises(NotImplementedError):
        alone.expert(np.random.default_rng(0))


def test_folder_pool_paired_true_skips_photos_without_partner(tmp_path):
    write_photos(tmp_path / "raw", ["a.png", "b.png", "c.png"])
    write_photos(tmp_path / "expert", ["a.png", "c.png"], shift=40)
    write_photos(tmp_path / "odd", ["a.png"], size=(20, 20))
    assert not FolderPool(tmp_path / "raw", tmp_path / "expert").paired  # auto: not every photo has one
    pool = FolderPool(tmp_path / "raw", tmp_path / "expert", paired=True)
    assert pool.paired and [pool[i].name for i in range(len(pool))] == ["a.png", "c.png"]
    assert list(pool.bad_files) == [str(tmp_path / "raw" / "b.png")]
    odd = FolderPool(tmp_path / "raw", tmp_path / "odd", paired=True)
    with pytest.raises(ValueError, match="no readable image left"):
        odd[0]  # the only partner has another size
    assert "32x24 but its expert a.png is 20x20" in odd.bad_files[str(tmp_path / "raw" / "a.png")]


def test_folder_pool_reports_and_skips_bad_files(tmp_path, caplog):
    write_photos(tmp_path / "raw", ["a.png", "c.png"])
    (tmp_path / "raw" / "b.png").write_bytes(b"not an image")
    Image.fromarray(noise_image(64, 64)).save(tmp_path / "raw" / "d.jpg")
    data = (tmp_path / "raw" / "d.jpg").read_bytes()
    (tmp_path / "raw" / "d.jpg").write_bytes(data[: len(data) // 2])  # header fine, data cut
    (tmp_path / "raw" / "notes.txt").write_text("not listed")
    with caplog.at_level(logging.WARNING, logger="exposure_env.data.folder"):
        pool = FolderPool(tmp_path / "raw")
        assert str(tmp_path / "raw" / "b.png") in pool.bad_files and "b.png" in caplog.text  # found up front
        assert len(pool) == 3  # d.jpg passes the header check (JPEG data is only checked by decoding)
        names = [pool[i].name for i in range(len(pool))]
    assert names == ["a.png", "c.png", "a.png"]  # d.jpg (index 2) is skipped, wrapping to the next
    assert "corrupt or truncated" in pool.bad_files[str(tmp_path / "raw" / "d.jpg")] and "d.jpg" in caplog.text
    assert set(pool.bad_files) == {str(tmp_path / "raw" / "b.png"), str(tmp_path / "raw" / "d.jpg")}


def test_folder_pool_skips_bad_experts(tmp_path):
    write_photos(tmp_path / "raw", ["a.png"])
    write_photos(tmp_path / "experts", ["x.png"])
    (tmp_path / "experts" / "y.png").write_bytes(b"")
    pool = FolderPool(tmp_path / "raw", tmp_path / "experts")
    assert pool.expert_files == [tmp_path / "experts" / "x.png"]
    assert pool.bad_files[str(tmp_path / "experts" / "y.png")] == "empty file"
    rng = np.random.default_rng(0)
    assert all(pool.expert(rng).shape == (24, 32, 3) for _ in range(5))


def test_folder_pool_bad_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty: no image files"):
        FolderPool(tmp_path / "empty")
    with pytest.raises(ValueError, match="nowhere: not a directory"):
        FolderPool(tmp_path / "nowhere")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "a.jpg").write_bytes(b"junk")
    with pytest.raises(ValueError, match="broken: no readable image"):
        FolderPool(tmp_path / "broken")
    (tmp_path / "dng").mkdir()
    (tmp_path / "dng" / "a0001.dng").write_bytes(b"raw")
    with pytest.raises(ValueError, match=r"1 \.dng camera-raw files must be exported"):
        FolderPool(tmp_path / "dng")
    write_photos(tmp_path / "raw", ["a.png"])
    write_photos(tmp_path / "expert", ["z.png"])
    with pytest.raises(ValueError, match="no raw photo has an expert photo of the same stem"):
        FolderPool(tmp_path / "raw", tmp_path / "expert", paired=True)
    with pytest.raises(ValueError, match="paired=True needs an expert_dir"):
        FolderPool(tmp_path / "raw", paired=True)


def test_folder_pool_linear_and_recursive(tmp_path):
    write_photos(tmp_path / "raw", ["a.png"])
    write_photos(tmp_path / "raw" / "day2", ["b.png"])
    srgb, linear = FolderPool(tmp_path / "raw"), FolderPool(tmp_path / "raw", linear=True)
    assert len(srgb) == 1
    np.testing.assert_allclose(linear[0].raw, linear_to_srgb(read_image(tmp_path / "raw" / "a.png")), atol=1e-7)
    assert linear[0].raw.mean() > srgb[0].raw.mean() + 0.1  # sRGB encoding brightens linear values
    nested = FolderPool(tmp_path / "raw", recursive=True)
    assert [nested[i].name for i in range(len(nested))] == ["a.png", "day2/b.png"]


def test_fivek_layouts(tmp_path):
    write_photos(tmp_path / "fivek" / "Input", ["a0001.tif", "a0002.tif"])
    write_photos(tmp_path / "fivek" / "ExpertC", ["a0002.jpg", "a0001.jpg"], shift=50)
    write_photos(tmp_path / "fivek" / "expertA", ["a0001.png"])
    pool = FiveKPool(tmp_path / "fivek", expert="c")
    assert pool.paired and len(pool) == 2 and pool[1].name == "a0002.tif" and pool.expert_name == "C"
    assert pool[1].target.mean() > pool[1].raw.mean() + 0.1  # the expert photo, not the input
    np.testing.assert_array_equal(pool[0].target, read_image(tmp_path / "fivek" / "ExpertC" / "a0001.jpg"))

    write_photos(tmp_path / "lut" / "raw" / "JPG" / "480p", ["a0003.png"])
    write_photos(tmp_path / "lut" / "C" / "JPG" / "480p", ["a0003.png"], shift=50)
    nested = FiveKPool(tmp_path / "lut", subdir="JPG/480p")
    assert len(nested) == 1 and nested[0].target.mean() > nested[0].raw.mean()


def test_fivek_wrong_root(tmp_path):
    write_photos(tmp_path / "fivek" / "input", ["a0001.png"])
    write_photos(tmp_path / "fivek" / "expertA", ["a0001.png"])
    with pytest.raises(ValueError, match=r"no FiveK layout in .*fivek; looked for an input folder named one of "
                                         r"input, inputs, raw.*expert folder named one of expertd, expert_d"):
        FiveKPool(tmp_path / "fivek", expert="D")
    with pytest.raises(ValueError, match="is not a directory"):
        FiveKPool(tmp_path / "missing")
    with pytest.raises(ValueError, match="expert must be one of A, B, C, D, E"):
        FiveKPool(tmp_path / "fivek", expert="F")


# ---------------------------------------------------------------- make_pool
def test_make_pool(tmp_path):
    default = make_pool(None)
    assert isinstance(default, EmbeddedPool) and default.split == "train"
    assert make_pool("embedded").split == "train" and make_pool("embedded:test").split == "test"
    custom = EmbeddedPool("all", n_items=3)
    assert make_pool(custom) is custom and isinstance(custom, ImagePool)
    write_photos(tmp_path / "photos", ["a.png"])
    for folder in (str(tmp_path / "photos"), tmp_path / "photos"):
        pool = make_pool(folder)
        assert isinstance(pool, FolderPool) and pool[0].name == "a.png"
    with pytest.raises(ValueError, match="neither 'embedded\\[:split\\]' nor an existing folder"):
        make_pool(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="unknown split 'nope'"):
        make_pool("embedded:nope")
    with pytest.raises(TypeError, match="pool must be None, 'embedded\\[:split\\]', a folder path or an ImagePool"):
        make_pool(3.5)
