"""What happens to bad or unusual input, one test (or one parametrised test) per kind (issue 14).

Every file is synthetic, written to ``tmp_path`` with numpy, Pillow or tifffile. The CLI runs
with a stub policy (no weights needed): these tests are about files, names and arguments.
"""

from __future__ import annotations

import io
import struct
import zlib

import cv2
import gymnasium as gym
import numpy as np
import pytest
import tifffile
from PIL import Image, ImageCms, ImageOps

import agents.packaged
from agents import DeepExposure
from exposure_env.data import FolderPool
from exposure_env.data.io import JPEG_MAX_EXIF_BYTES, PhotoWarning, read_image, read_photo, write_photo
from exposure_env.ops.layout import as_float, as_float_rgb
from exposure_env.retouch import retouch, retouch_file
from exposure_env.vector import ExposureRetouchVectorEnv, SB3VecEnv
from train import retouch as retouch_cli

ORIENTATION = 0x0112
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class ZeroEV:
    """A stub of the packaged policy: 0 EV for every segment, small settings."""

    env_kwargs = {"size": 16, "num_segments": 2, "max_ev": 3.0}

    def predict(self, observation, deterministic=True):
        return np.zeros(1, np.float32), None


def zero_ev(observation, info, env):
    return np.zeros(1, np.float32)


@pytest.fixture
def cli(monkeypatch):
    """``exposure-retouch`` with the stub policy: ``cli(*args) -> exit code``."""
    monkeypatch.setattr(agents.packaged, "load_packaged_policy", lambda look: ZeroEV())  # exposure-retouch imports it when it runs
    return lambda *args: retouch_cli.main([str(arg) for arg in args])


def noise(shape, dtype=np.uint8, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True)


def snapshot(folder) -> dict:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


# ----------------------------------------------------------------------------- ICC profiles made here
def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


D50 = _s15(0.9642) + _s15(1.0) + _s15(0.8249)


def icc_profile(space: bytes, pcs: bytes, tags: dict[bytes, bytes]) -> bytes:
    """A minimal ICC v2 profile (header, tag table, desc + wtpt + ``tags``) that LittleCMS accepts."""
    description = b"test profile\0"
    tags = {b"desc": b"desc\0\0\0\0" + struct.pack(">I", len(description)) + description + b"\0" * 79,
            b"wtpt": b"XYZ \0\0\0\0" + D50, **tags}
    table, data, start = b"", b"", 128 + 4 + 12 * len(tags)
    for signature, body in tags.items():
        body += b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", start + len(data), len(body))
        data += body
    header = (struct.pack(">I", start + len(data)) + b"lcms" + struct.pack(">I", 0x02100000) + b"scnr" + space + pcs
              + b"\0" * 12 + b"acsp" + b"\0" * 28 + D50 + b"\0" * 48)
    return header + struct.pack(">I", len(tags)) + table + data


GRAY_ICC = icc_profile(b"GRAY", b"XYZ ", {b"kTRC": b"curv\0\0\0\0" + struct.pack(">IH", 1, round(1.8 * 256))})


def _cmyk_lut() -> bytes:
    """lut8 CMYK -> Lab on a 2-point grid: each ink darkens, cyan/magenta/yellow tint a and b."""
    grid = b""
    for c, m, y, k in np.ndindex(2, 2, 2, 2):
        lightness = 100 * (1 - 0.3 * c) * (1 - 0.3 * m) * (1 - 0.2 * y) * (1 - 0.8 * k)
        grid += bytes([round(lightness * 2.55), 128 - 40 * c + 50 * m, 128 - 20 * c + 60 * y])
    identity = bytes(range(256))
    matrix = b"".join(_s15(v) for v in (1, 0, 0, 0, 1, 0, 0, 0, 1))
    return b"mft1\0\0\0\0" + bytes([4, 3, 2, 0]) + matrix + identity * 4 + grid + identity * 3


CMYK_ICC = icc_profile(b"CMYK", b"Lab ", {b"A2B0": _cmyk_lut()})


def through_profile(image: Image.Image, profile: bytes) -> np.ndarray:
    """The reference: Pillow's ImageCms conversion of ``image`` to sRGB."""
    source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    return np.asarray(ImageCms.profileToProfile(image, source, SRGB, outputMode="RGB"))


# ----------------------------------------------------------------------------- 1. TIFF sample types
TIFF_SAMPLES = {  # name: (stored samples, what read_photo must give)
    "int16 grey": (np.array([[-300, 0], [16384, 32767]], np.int16), np.array([[0, 0], [16384 / 32767, 1]])),
    "uint32 rgb": (np.array([[[0, 2**31, 2**32 - 1]] * 2] * 2, np.uint32), np.array([[[0, 2**31 / (2**32 - 1), 1]] * 2] * 2)),
    "int8 grey": (np.array([[-5, 0], [64, 127]], np.int8), np.array([[0, 0], [64 / 127, 1]])),
    "float16 rgb": (np.full((2, 2, 3), 0.25, np.float16), np.full((2, 2, 3), 0.25)),
    "float64 grey": (np.array([[0.0, 0.5], [0.75, 1.0]]), np.array([[0.0, 0.5], [0.75, 1.0]])),
    "big-endian uint16": (np.array([[1, 2], [3, 65535]], ">u2"), np.array([[1, 2], [3, 65535]], np.uint16)),
    "bool": (np.array([[True, False], [False, True]]), np.array([[255, 0], [0, 255]], np.uint8)),
}


@pytest.mark.parametrize("name", TIFF_SAMPLES)
def test_tiff_sample_types_are_scaled_as_documented(tmp_path, name):
    stored, expected = TIFF_SAMPLES[name]
    stored = np.kron(stored, np.ones((3, 3, 1) if stored.ndim == 3 else (3, 3), stored.dtype))  # 6x6
    expected = np.kron(expected, np.ones((3, 3, 1) if expected.ndim == 3 else (3, 3), expected.dtype))
    path = tmp_path / "photo.tif"
    tifffile.imwrite(path, stored, photometric="rgb" if stored.ndim == 3 else "minisblack", compression="lzw"
                     if stored.dtype.kind in "ui" and stored.dtype.itemsize <= 2 else None)
    pixels = read_photo(path).pixels
    assert pixels.dtype == (expected.dtype if expected.dtype.kind == "u" else np.float32)
    np.testing.assert_allclose(pixels, expected, rtol=1e-6)
    np.testing.assert_allclose(read_image(path), as_float_rgb(pixels), rtol=1e-6)


def test_tiffs_of_any_sample_type_convert_or_are_skipped_by_name(tmp_path, cli, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    tifffile.imwrite(folder / "a.tif", noise((24, 32), np.uint16).view(np.int16) // 2)  # int16 grey, >= 0
    tifffile.imwrite(folder / "b.tif", noise((24, 32, 3), np.uint32), photometric="rgb")
    tifffile.imwrite(folder / "c.tif", noise((24, 32, 3)).astype(np.float16) / 255, photometric="rgb")
    tifffile.imwrite(folder / "d.tif", np.ones((24, 32), np.complex64))  # no brightness: skipped by name
    Image.fromarray(noise((24, 32, 3))).save(folder / "ok.jpg")
    assert cli(folder / "a.tif", folder / "b.tif", folder / "c.tif", folder / "d.tif", folder / "ok.jpg",
               "--out", tmp_path / "out") == 1
    assert "d.tif: unsupported TIFF sample type complex64" in capsys.readouterr().err
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["a.tif", "b.tif", "c.tif", "ok.jpg"]
    written = read_photo(tmp_path / "out" / "b.tif").pixels
    assert written.dtype == np.float32 and written.shape == (24, 32, 3)  # 32-bit integers come back as float
    assert read_photo(tmp_path / "out" / "a.tif").pixels.shape == (24, 32)

    pool = FolderPool(folder)  # the header check knows what the reader refuses; the others read
    assert list(pool.bad_files) == [str(folder / "d.tif")]
    assert [pool[i].raw.shape for i in range(len(pool))] == [(24, 32, 3)] * 4
    env = gym.make("ExposureRetouch-v0", pool=pool, size=16, num_segments=2, reward="reference")
    for index in range(len(pool)):
        env.reset(options={"index": index})


# ----------------------------------------------------------------------------- 2. orientation
def oriented_file(path, stored: np.ndarray, orientation: int) -> None:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    if path.suffix == ".tif":
        tifffile.imwrite(path, stored, photometric="rgb" if stored.ndim == 3 else "minisblack",
                         extratags=[(ORIENTATION, "H", 1, orientation, True)])
    elif stored.dtype == np.uint16:
        write_photo(path, stored, exif=exif.tobytes())  # 16-bit PNG: OpenCV's encoding + eXIf
    else:
        Image.fromarray(stored).save(path, exif=exif, quality=100, subsampling=0)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("kind", ["jpg 8 colour", "jpg 8 grey", "png 8 colour", "png 8 grey", "png 16 colour",
                                  "png 16 grey", "tif 8 colour", "tif 8 grey", "tif 16 colour", "tif 16 grey"])
def test_orientation_is_applied_exactly_once(tmp_path, kind, orientation):
    suffix, bits, layout = kind.split()
    height, width = 16, 24
    # the reference turns a map of pixel positions with Pillow's exif_transpose
    positions = Image.fromarray(np.arange(height * width, dtype=np.int32).reshape(height, width))
    positions.getexif()[ORIENTATION] = orientation
    order = np.asarray(ImageOps.exif_transpose(positions)).reshape(-1)
    dtype = np.uint8 if bits == "8" else np.uint16
    stored = noise((height, width, 3) if layout == "colour" else (height, width), dtype, orientation)
    if suffix == "jpg":  # lossy: 8x8 flat blocks survive JPEG closely
        stored = np.kron(noise((2, 3, 3) if layout == "colour" else (2, 3), seed=orientation),
                         np.ones((8, 8, 1) if layout == "colour" else (8, 8), np.uint8))
    path = tmp_path / f"photo.{suffix}"
    oriented_file(path, stored, orientation)
    expected = stored.reshape(height * width, -1)[order].reshape(order.shape[0], -1)
    upright_shape = (width, height) if orientation >= 5 else (height, width)
    expected = expected.reshape(*upright_shape, -1).squeeze(-1) if layout == "grey" else expected.reshape(
        *upright_shape, 3)
    pixels = read_photo(path).pixels
    assert pixels.shape == expected.shape and pixels.dtype == dtype
    tolerance = 6 if suffix == "jpg" else 0
    assert np.abs(pixels.astype(int) - expected).max() <= tolerance


# ----------------------------------------------------------------------------- 3. colour profiles
def test_cmyk_photo_is_converted_through_its_profile_to_untagged_srgb(tmp_path):
    cmyk = Image.frombytes("CMYK", (32, 24), noise((24, 32, 4)).tobytes())
    expected = through_profile(cmyk, CMYK_ICC)
    for name, save in [("cmyk.jpg", lambda path: cmyk.save(path, icc_profile=CMYK_ICC, quality=100)),
                       ("cmyk.tif", lambda path: tifffile.imwrite(path, np.asarray(cmyk), photometric="separated",
                                                                  iccprofile=CMYK_ICC))]:
        src = tmp_path / name
        save(src)
        photo = read_photo(src)
        assert photo.icc_profile is None and photo.pixels.shape == (24, 32, 3)
        tolerance = 40 if name.endswith(".jpg") else 0  # JPEG's loss on noise, through the profile
        assert np.abs(photo.pixels.astype(int) - expected).mean() <= tolerance / 4
        dst = tmp_path / "out" / f"{name}.png"
        retouch_file(src, dst, zero_ev, size=16, num_segments=2)
        with Image.open(dst) as written:
            assert written.mode == "RGB" and "icc_profile" not in written.info


def test_grey_profile_stays_with_grey_pixels_and_never_with_colour_ones(tmp_path):
    grey = noise((24, 32))
    Image.fromarray(grey).save(tmp_path / "grey.png", icc_profile=GRAY_ICC)  # grey in, grey out: kept
    retouch_file(tmp_path / "grey.png", tmp_path / "out" / "grey.png", zero_ev, size=16, num_segments=2)
    assert read_photo(tmp_path / "out" / "grey.png").icc_profile == GRAY_ICC

    la = Image.fromarray(grey)
    la.putalpha(Image.fromarray(noise((24, 32), seed=1)))
    la.save(tmp_path / "la.png", icc_profile=GRAY_ICC)  # grey + alpha becomes RGBA: converted, untagged
    photo = read_photo(tmp_path / "la.png")
    assert photo.icc_profile is None and photo.pixels.shape == (24, 32, 4)
    np.testing.assert_array_equal(photo.pixels[..., :3], through_profile(la.convert("L"), GRAY_ICC))
    np.testing.assert_array_equal(photo.pixels[..., 3], np.asarray(la)[..., 1])
    retouch_file(tmp_path / "la.png", tmp_path / "out" / "la.png", zero_ev, size=16, num_segments=2)
    with Image.open(tmp_path / "out" / "la.png") as written:
        assert written.mode == "RGBA" and "icc_profile" not in written.info

    Image.fromarray(noise((24, 32, 3))).save(tmp_path / "rgb.png", icc_profile=GRAY_ICC)  # a broken file
    with pytest.warns(PhotoWarning, match=r"rgb\.png: ICC profile dropped: it is for GRAY but the pixels are RGB"):
        assert read_photo(tmp_path / "rgb.png").icc_profile is None
    with pytest.warns(PhotoWarning, match="GRAY but the pixels are RGB"):  # and the writer checks again
        write_photo(tmp_path / "out" / "direct.png", noise((4, 4, 3)), GRAY_ICC)
    with Image.open(tmp_path / "out" / "direct.png") as written:
        assert "icc_profile" not in written.info


# ----------------------------------------------------------------------------- 4. output names and inputs
def test_recursive_keeps_sub_folders_so_same_names_do_not_clash(tmp_path, cli):
    for folder in (tmp_path / "in", tmp_path / "in" / "sub"):
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(noise((24, 32, 3), seed=len(folder.parts))).save(folder / "x.jpg")
    assert cli(tmp_path / "in", "--recursive", "--out", tmp_path / "o") == 0
    assert sorted(snapshot(tmp_path / "o")) == ["sub/x.jpg", "x.jpg"]


@pytest.mark.parametrize("case", ["suffix", "two folders"])
def test_clashing_outputs_are_refused_before_anything_is_written(tmp_path, cli, capsys, case):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    Image.fromarray(noise((24, 32, 3))).save(tmp_path / "a" / "y.png")
    Image.fromarray(noise((24, 32, 3))).save(tmp_path / ("a" if case == "suffix" else "b") / "y.jpg")
    Image.fromarray(noise((24, 32, 3))).save(tmp_path / "a" / "z.png")
    before = snapshot(tmp_path)
    args = [tmp_path / "a", "--suffix", ".png"] if case == "suffix" else [tmp_path / "a", tmp_path / "b", "--suffix", "jpg"]
    assert cli(*args, "--out", tmp_path / "o") == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "would be written twice, nothing was written" in error
    assert str(tmp_path / "a" / "y.png") in error and "y.jpg" in error
    assert not (tmp_path / "o").exists() and snapshot(tmp_path) == before


def test_an_output_that_is_another_input_is_refused_before_writing(tmp_path, cli, capsys):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        Image.fromarray(noise((24, 32, 3), seed=len(folder))).save(tmp_path / folder / "p.png")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "p.png").hardlink_to(tmp_path / "a" / "p.png")  # an output name that is an input's file
    before = snapshot(tmp_path)
    for args, message in [
        ([tmp_path / "a" / "p.png", tmp_path / "b" / "p.png", "--out", tmp_path / "b"],
         f"refusing to overwrite the input {tmp_path / 'b' / 'p.png'} with the result of {tmp_path / 'a' / 'p.png'}"),
        ([tmp_path / "a" / "p.png", "--out", tmp_path / "c"], f"refusing to overwrite the input {tmp_path / 'a' / 'p.png'}"),
        ([tmp_path / "a" / "p.png", tmp_path / "b" / "p.png", "--out", tmp_path / "d"], "would be written twice"),
    ]:
        assert cli(*args) == 2
        assert message in capsys.readouterr().err
    assert snapshot(tmp_path) == before


def test_any_name_the_file_system_takes_works_for_the_output_and_its_temporary_file(tmp_path, cli):
    names = ["x" * 251 + ".png", " spaced -dash ünï.png", ".hidden.png", "two.dots.png"]
    (tmp_path / "in").mkdir()
    for name in names:
        Image.fromarray(noise((8, 8, 3))).save(tmp_path / "in" / name)
    assert cli(tmp_path / "in", "--out", tmp_path / "out") == 0
    assert sorted(snapshot(tmp_path / "out")) == sorted(names)


# ----------------------------------------------------------------------------- 5. arguments and metadata
def test_suffix_without_a_dot_is_accepted_and_an_unknown_one_is_a_usage_error(tmp_path, cli, capsys):
    Image.fromarray(noise((24, 32, 3))).save(tmp_path / "p.jpg")
    assert cli(tmp_path / "p.jpg", "--out", tmp_path / "o", "--suffix", "png") == 0
    assert (tmp_path / "o" / "p.png").is_file()
    with pytest.raises(SystemExit) as exit_:
        cli(tmp_path / "p.jpg", "--out", tmp_path / "o", "--suffix", "gif")
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert "argument --suffix: cannot write 'gif' files; use one of" in error and "Traceback" not in error


def test_exif_too_large_for_jpeg_is_left_out_with_a_warning(tmp_path, cli, capsys):
    exif = Image.Exif()
    exif[0x010E] = "x" * 70_000  # ImageDescription: fine in PNG, too large for JPEG's APP1 segment
    exif[0x010F] = "Camera maker"
    Image.fromarray(noise((24, 32, 3))).save(tmp_path / "big.png", exif=exif)
    assert len(read_photo(tmp_path / "big.png").exif) > JPEG_MAX_EXIF_BYTES
    assert cli(tmp_path / "big.png", "--out", tmp_path / "o", "--suffix", ".jpg") == 0
    error = capsys.readouterr().err
    assert "warning:" in error and "big.jpg: EXIF left out" in error
    with Image.open(tmp_path / "o" / "big.jpg") as written:
        assert written.size == (32, 24) and not written.getexif()
    retouch_file(tmp_path / "big.png", tmp_path / "o" / "big.png", zero_ev, size=16, num_segments=2)
    with Image.open(tmp_path / "o" / "big.png") as written:  # a PNG holds it: kept
        assert written.getexif()[0x010F] == "Camera maker"


def png16_with_colour_key(path, rgb: np.ndarray, key: tuple[int, int, int]) -> None:
    """A 16-bit RGB PNG with a tRNS chunk (Pillow writes none): OpenCV's encoding + the chunk."""
    data = cv2.imencode(".png", np.ascontiguousarray(rgb[..., ::-1]))[1].tobytes()
    payload = struct.pack(">HHH", *key)
    chunk = struct.pack(">I", 6) + b"tRNS" + payload + struct.pack(">I", zlib.crc32(b"tRNS" + payload))
    path.write_bytes(data[:33] + chunk + data[33:])


@pytest.mark.parametrize("layout", ["rgb 8", "grey 8", "grey 16", "rgb 16"])
def test_png_colour_key_becomes_alpha_and_is_kept(tmp_path, layout):
    colour, bits = layout.split()
    dtype = np.uint8 if bits == "8" else np.uint16
    pixels = noise((24, 32, 3) if colour == "rgb" else (24, 32), dtype)
    pixels[::5, ::7] = key = pixels[0, 0]
    path = tmp_path / "keyed.png"
    if layout == "rgb 16":
        png16_with_colour_key(path, pixels, tuple(int(v) for v in key))
    else:
        Image.fromarray(pixels).save(path, transparency=tuple(int(v) for v in key) if colour == "rgb" else int(key))
    photo = read_photo(path).pixels
    keyed = np.all(pixels.reshape(24, 32, -1) == key, axis=2)
    assert photo.shape == (24, 32, 4) and photo.dtype == dtype
    np.testing.assert_array_equal(photo[..., 3], np.where(keyed, 0, np.iinfo(dtype).max))
    np.testing.assert_array_equal(photo[..., :3], np.broadcast_to(pixels.reshape(24, 32, -1), (24, 32, 3)))
    retouch_file(path, tmp_path / "out.png", zero_ev, size=16, num_segments=2)
    np.testing.assert_array_equal(read_photo(tmp_path / "out.png").pixels[..., 3], photo[..., 3])


# ----------------------------------------------------------------------------- 6. the Gymnasium and SB3 API
def test_sb3_set_options_apply_at_the_next_reset_only_and_unknown_keys_are_refused():
    env = SB3VecEnv(ExposureRetouchVectorEnv(2, size=16, num_segments=2, reward="reference"))
    single = gym.make("ExposureRetouch-v0", size=16, num_segments=2, reward="reference")
    expected = np.stack([single.reset(options={"index": index})[0]["original"] for index in (5, 6)])
    env.seed(0)
    for options in ({"index": [5, 6]}, [{"index": 5}, {"index": 6}]):
        env.set_options(options)
        np.testing.assert_array_equal(env.reset()["original"], expected)
        assert not np.array_equal(env.reset()["original"], expected)  # used once, as SB3 says
    env.set_options({"index": 5})  # a dict with one index: every env
    np.testing.assert_array_equal(env.reset()["original"], expected[[0, 0]])
    for bad, error in [({"image": np.zeros((8, 8))}, r"unknown option\(s\) \['image'\]"),
                       ({"index": [5]}, "1 option sets given for 2 envs"),
                       ([{"index": 5}, {}], "1 of 2 envs have an 'index'"), ({"index": 10**9}, "outside the pool")]:
        with pytest.raises((ValueError, IndexError), match=error):
            env.set_options(bad)


def test_reset_refuses_a_target_that_does_not_fit_the_image():
    env = gym.make("ExposureRetouch-v0", size=16, num_segments=2, reward="reference")
    photo = noise((48, 64, 3))
    with pytest.raises(ValueError, match=r"options\['target'\] is 10x10 but options\['image'\] is 64x48"):
        env.reset(options={"image": photo, "target": np.zeros((10, 10, 3), np.float32)})
    with pytest.raises(ValueError, match=r"options\['target'\] needs options\['image'\]"):
        env.reset(options={"target": photo})
    with pytest.raises(ValueError, match="not both"):
        env.reset(options={"image": photo, "index": 0})
    with pytest.raises(IndexError, match=r"options\['index'\] is -1, outside the pool"):
        env.reset(options={"index": -1})
    env.reset(options={"image": photo, "target": photo})  # paired and the same size: fine


@pytest.mark.parametrize("dtype", [">u2", "<u2", ">f4", "float16", "int16", ">i4", "bool", "uint32"])
def test_array_arguments_of_any_dtype_and_byte_order(dtype):
    native = noise((24, 32, 3), np.uint16).astype(np.float64) / 65535
    image = (native * (np.iinfo(dtype).max if np.dtype(dtype).kind in "iu" else 1)).astype(dtype) \
        if dtype != "bool" else native > 0.5
    as_floats = as_float(image)
    assert as_floats.dtype == np.float32 and as_floats.dtype.isnative and as_floats.max() <= 1
    env = gym.make("ExposureRetouch-v0", size=16, num_segments=2, reward="reference")
    observation, _ = env.reset(options={"image": image, "target": image})
    expected, _ = env.reset(options={"image": as_floats})
    np.testing.assert_array_equal(observation["original"], expected["original"])
    result = retouch(image, zero_ev, size=16, num_segments=2).image
    kept = np.dtype(dtype).kind == "u" and np.dtype(dtype).itemsize == 2
    assert result.dtype == (np.uint16 if kept else np.float32) and result.shape == image.shape
    np.testing.assert_array_equal(result, retouch(image.astype("=u2") if kept else as_floats, zero_ev, size=16,
                                                  num_segments=2).image)
    vector = ExposureRetouchVectorEnv(2, size=16, num_segments=2, reward="reference")
    vector.reset(seed=0)
    rewards = vector.step(np.array([[0.5], [-0.5]], ">f4"))[1]
    assert np.isfinite(rewards).all()


def test_load_with_the_env_id_keeps_the_saved_settings(tmp_path):
    env = SB3VecEnv(ExposureRetouchVectorEnv(2, size=16, num_segments=2, max_ev=5.0, reward="reference"))
    DeepExposure("MultiInputPolicy", env, n_images=2, seed=0, device="cpu").save(tmp_path / "model.zip")
    loaded = DeepExposure.load(tmp_path / "model.zip", env="ExposureRetouch-v0", device="cpu")
    assert (loaded.max_ev, loaded.num_segments, loaded.n_envs) == (5.0, 2, 2)
    assert loaded.observation_space["seg"].shape[-1] == 16  # (3, 16, 16) after SB3's image transpose
    assert [mdp.max_ev for mdp in loaded.get_env().get_attr("mdp")] == [5.0, 5.0]  # the env it built, not a default one
