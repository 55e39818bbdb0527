"""Full-resolution retouching (appendix Alg. 3): layouts and bit depths, agreement with an env
episode, the torch fusion twin, and file handling (metadata, atomic writes, bad files)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile
import torch
from PIL import Image, ImageCms
from stable_baselines3 import PPO

import exposure_env
from exposure_env.data import io
from exposure_env.data.embedded import load_source
from exposure_env.data.io import ImageReadError
from exposure_env.env import ExposureRetouchEnv
from exposure_env.ops.fusion import merge_mertens
from exposure_env.ops.resize import thumbnail
from exposure_env.data.io import read_photo, write_photo
from exposure_env.retouch import _exposures, _fuse_torch, retouch, retouch_file
from train.policies import identity, segment_auto_exposure

ORIENTATION, EXIF_IFD, DATE_TIME_ORIGINAL = 0x0112, 0x8769, 0x9003
SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def no_reward(image: np.ndarray, info: dict) -> float:
    return 0.0


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """A 150×200 uint8 crop of the astronaut, darkened so the policy's EVs differ per segment."""
    source = np.asarray(load_source("astronaut"))[40:340, 60:460] * 0.6
    return np.rint(cv2.resize(source, (200, 150), interpolation=cv2.INTER_AREA) * 255).astype(np.uint8)


def env_episode(image: np.ndarray, policy) -> tuple[list[float], np.ndarray]:
    """The EVs and P_T of a plain env episode on ``image`` with ``policy(observation, info, env)``."""
    env = ExposureRetouchEnv(reward=no_reward)
    observation, info = env.reset(options={"image": image})
    for _ in range(env.mdp.num_segments):
        observation, _, _, _, info = env.step(policy(observation, info, env))
    return info["evs"], info["fused"]


# ----------------------------------------------------------------------------- arrays


def test_uint8_and_uint16_keep_dtype_and_agree(photo):
    result8 = retouch(photo, segment_auto_exposure)
    result16 = retouch(photo.astype(np.uint16) * 257, segment_auto_exposure)
    result_float = retouch(photo / 255.0, segment_auto_exposure)
    assert result8.image.dtype == np.uint8 and result8.image.shape == photo.shape
    assert result16.image.dtype == np.uint16 and result16.image.shape == photo.shape
    assert result_float.image.dtype == np.float32 and result_float.image.shape == photo.shape
    assert result8.evs == result16.evs == result_float.evs and len(result8.evs) == 4
    assert len(set(np.round(result8.evs, 3))) > 1, "the test photo should get different EVs per segment"
    assert not np.array_equal(result8.image, photo)
    # the same fusion at three depths; they differ by the 8-bit rounding of the exposures, which
    # Mertens' contrast weights amplify at a few pixels where rounding flattens a gradient
    for deeper in (result16.image / 65535.0, result_float.image):
        difference = np.abs(deeper - result8.image / 255.0)
        assert difference.mean() < 0.5 / 255 and (difference > 2.5 / 255).mean() < 0.002


def test_evs_equal_an_env_episode_on_the_same_photo(photo):
    evs, _ = env_episode(photo, segment_auto_exposure)
    assert retouch(photo, segment_auto_exposure).evs == tuple(evs)


def test_sb3_model_predict_is_used_deterministically(photo):
    model = PPO("MultiInputPolicy", ExposureRetouchEnv(reward=no_reward), n_steps=8, batch_size=8, seed=0,
                device="cpu")

    def predict(observation: dict, info: dict, env: ExposureRetouchEnv) -> np.ndarray:
        return model.predict(observation, deterministic=True)[0]

    evs, _ = env_episode(photo, predict)
    assert retouch(photo, model).evs == tuple(evs) == retouch(photo, model).evs


def test_full_resolution_result_shrinks_to_the_env_fused_thumbnail(photo):
    # each S0 pixel becomes a 4×4 block, so the area thumbnail of the full photo is S0 exactly
    small = np.ascontiguousarray(thumbnail(photo / 255.0, 64))
    s0 = np.rint(small * 255).astype(np.uint8)
    full = cv2.resize(s0, (256, 256), interpolation=cv2.INTER_NEAREST)
    _, fused_thumbnail = env_episode(full, segment_auto_exposure)
    # Alg. 3 as the env fuses P_T: the noise-aware gain (issue 30) smooths this photo's 4×4 blocks in the lifted
    # exposures, which moves the fusion's contrast weights (0.042 mean on this photo), so it is left out here
    result = retouch(full, segment_auto_exposure, denoise=False)
    np.testing.assert_array_equal(result.fused_thumbnail, fused_thumbnail)
    shrunk = thumbnail(result.image / 255.0, 64)
    # the pyramid of a 256² photo is deeper than that of S0, so the two fusions differ a little
    assert np.abs(shrunk - fused_thumbnail).mean() < 0.03 < np.abs(fused_thumbnail - s0 / 255.0).mean()


def test_identity_policy_returns_the_photo(photo):
    result = retouch(photo, identity)
    assert result.evs == (0.0, 0.0, 0.0, 0.0)
    assert np.abs(result.image.astype(int) - photo).max() <= 1


@pytest.mark.parametrize("layout", ["grey", "grey1", "grey_rgb", "rgba"])
def test_grey_and_alpha_layouts(photo, layout):
    grey = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
    alpha = np.tile(np.arange(200, dtype=np.uint8), (150, 1))
    image = {"grey": grey, "grey1": grey[..., None], "grey_rgb": np.dstack([grey] * 3),
             "rgba": np.dstack([photo, alpha])}[layout]
    result = retouch(image, segment_auto_exposure).image
    assert result.shape == image.shape and result.dtype == np.uint8
    if layout == "rgba":
        np.testing.assert_array_equal(result[..., 3], alpha)
        np.testing.assert_array_equal(result[..., :3], retouch(photo, segment_auto_exposure).image)
    else:
        reference = retouch(grey, segment_auto_exposure).image
        for channel in np.atleast_3d(result).transpose(2, 0, 1):
            np.testing.assert_array_equal(channel, reference)


@pytest.mark.parametrize("depth", [8, 16])
def test_torch_twin_fuses_colour_like_opencv(photo, depth):
    planes = photo if depth == 8 else photo.astype(np.uint16) * 257
    exposures = _exposures(planes, (-1.0, 0.0, 1.0, 2.0))
    opencv = np.clip(merge_mertens(exposures, (1.0, 1.0, 1.0), grey=False), 0.0, 1.0)
    twin = _fuse_torch(exposures, False, (1.0, 1.0, 1.0), torch.device("cpu"))
    assert twin.shape == opencv.shape == photo.shape
    assert np.abs(twin - opencv).max() < 1e-5


def test_torch_twin_fuses_grey_close_to_opencv(photo):
    exposures = _exposures(photo[..., 1].copy(), (-1.0, 0.0, 1.0, 2.0))
    opencv = np.clip(merge_mertens(exposures, (1.0, 1.0, 1.0), grey=True), 0.0, 1.0)
    twin = _fuse_torch(exposures, True, (1.0, 1.0, 1.0), torch.device("cpu"))
    assert twin.shape == opencv.shape == photo.shape[:2]
    # OpenCV's one-channel path takes the contrast of the channel itself, the twin that of its
    # RGB2GRAY, whose rounding noise weighs in on flat 8-bit regions: a few pixels differ by ~1e-2
    difference = np.abs(twin - opencv)
    assert difference.mean() < 2e-4 and (difference > 1e-3).mean() < 0.01 and difference.max() < 0.03


def test_bad_inputs_are_refused_clearly(photo):
    with pytest.raises(ValueError, match="1x1 pixels"):
        retouch(np.zeros((1, 1, 3), np.uint8), identity)
    assert retouch(np.full((2, 2, 3), 80, np.uint8), segment_auto_exposure).image.shape == (2, 2, 3)
    with pytest.raises(TypeError, match="policy must"):
        retouch(photo, "a policy")
    with pytest.raises(TypeError, match="complex64"):
        retouch(photo.astype(np.complex64), identity)


def test_exported_from_the_package():
    assert exposure_env.retouch is retouch and "retouch" in exposure_env.__all__


# ----------------------------------------------------------------------------- files


def jpeg_with_metadata(path: Path, upright: np.ndarray) -> None:
    """Store ``upright`` turned so that EXIF orientation 6 (rotate 90° clockwise) restores it."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif.get_ifd(EXIF_IFD)[DATE_TIME_ORIGINAL] = "2024:05:06 07:08:09"
    Image.fromarray(np.rot90(upright, 1)).save(path, quality=98, exif=exif, icc_profile=SRGB_ICC)


def test_jpeg_orientation_applied_and_metadata_kept(tmp_path, photo):
    src, dst = tmp_path / "in.jpg", tmp_path / "out" / "out.jpg"
    jpeg_with_metadata(src, photo)
    result = retouch_file(src, dst, segment_auto_exposure)
    assert result.image.shape == photo.shape  # upright: 150×200
    with Image.open(dst) as written:
        assert written.size == (200, 150)
        assert written.info["icc_profile"] == SRGB_ICC
        exif = written.getexif()
        assert exif[ORIENTATION] == 1
        assert exif.get_ifd(EXIF_IFD)[DATE_TIME_ORIGINAL] == "2024:05:06 07:08:09"
        pixels = np.asarray(written)
    assert np.abs(pixels.astype(float) - retouch(photo, segment_auto_exposure).image).mean() < 3.0
    assert [p.name for p in dst.parent.iterdir()] == ["out.jpg"]  # no temporary file left


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16_bit_stays_16_bit_with_icc(tmp_path, photo, suffix):
    deep = photo.astype(np.uint16) * 257 + 100
    src, dst = tmp_path / f"in{suffix}", tmp_path / f"out{suffix}"
    write_photo(src, deep, SRGB_ICC, None)
    assert read_photo(src).pixels.dtype == np.uint16
    retouch_file(src, dst, segment_auto_exposure)
    written = read_photo(dst)
    assert written.pixels.dtype == np.uint16 and written.pixels.shape == photo.shape
    assert written.icc_profile == SRGB_ICC
    np.testing.assert_array_equal(written.pixels, retouch(deep, segment_auto_exposure).image)


def test_png_keeps_icc_exif_and_alpha(tmp_path, photo):
    rgba = np.dstack([photo, np.full(photo.shape[:2], 200, np.uint8)])
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    src, dst = tmp_path / "in.png", tmp_path / "out.png"
    Image.fromarray(rgba).save(src, icc_profile=SRGB_ICC, exif=exif)
    retouch_file(src, dst, segment_auto_exposure)
    written = read_photo(dst)
    np.testing.assert_array_equal(written.pixels, retouch(rgba, segment_auto_exposure).image)
    assert written.icc_profile == SRGB_ICC
    with Image.open(dst) as image:
        assert image.getexif()[0x010F] == "Camera maker"


def test_output_equal_to_input_is_refused_and_input_untouched(tmp_path, photo):
    src = tmp_path / "photo.jpg"
    Image.fromarray(photo).save(src)
    before = src.read_bytes()
    for dst in (src, tmp_path / "sub" / ".." / "photo.jpg"):
        with pytest.raises(ValueError, match="refusing to overwrite the input") as error:
            retouch_file(src, dst, identity)
        assert str(src) in str(error.value) and str(dst) in str(error.value)
    assert src.read_bytes() == before


@pytest.mark.parametrize("kind, reason", [
    ("empty", "empty file"), ("text", "not a readable image"), ("truncated", "corrupt or truncated"),
    ("missing", "no such file"), ("tiny", "at least 2x2"),
])
def test_bad_files_name_the_file_and_write_nothing(tmp_path, photo, kind, reason):
    src, dst = tmp_path / f"{kind}.png", tmp_path / "out.png"
    if kind == "empty":
        src.write_bytes(b"")
    elif kind == "text":
        src.write_text("not a photo\n")
    elif kind == "truncated":
        Image.fromarray(np.random.default_rng(0).integers(0, 256, (150, 200, 3), dtype=np.uint8)).save(src)
        src.write_bytes(src.read_bytes()[:5000])
    elif kind == "tiny":
        Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(src)
    with pytest.raises(ImageReadError, match=reason) as error:
        retouch_file(src, dst, identity)
    assert str(src) in str(error.value) and "\n" not in str(error.value)
    assert not dst.exists()


def test_over_the_pixel_limit_is_refused(tmp_path, monkeypatch, photo):
    src = tmp_path / "big.png"
    Image.fromarray(photo).save(src)
    monkeypatch.setattr(io, "MAX_PIXELS", 10_000)
    with pytest.raises(ImageReadError, match=r"200x150 is over the limit of 10000 pixels") as error:
        retouch_file(src, tmp_path / "out.png", identity)
    assert str(src) in str(error.value)
    retouch_file(src, tmp_path / "out.png", identity, max_pixels=30_000)  # an explicit limit wins


def test_unsupported_output_suffix_is_refused(tmp_path, photo):
    src = tmp_path / "photo.png"
    Image.fromarray(photo).save(src)
    with pytest.raises(ValueError, match=r"out\.gif.*'\.gif'"):
        retouch_file(src, tmp_path / "out.gif", identity)


def test_float_tiff_stays_float(tmp_path, photo):
    src, dst = tmp_path / "in.tif", tmp_path / "out.tif"
    tifffile.imwrite(src, (photo / 255.0).astype(np.float32), photometric="rgb")
    retouch_file(src, dst, segment_auto_exposure)
    written = read_photo(dst).pixels
    assert written.dtype == np.float32 and written.shape == photo.shape
    np.testing.assert_allclose(written, retouch(photo / 255.0, segment_auto_exposure).image, atol=1e-6)
