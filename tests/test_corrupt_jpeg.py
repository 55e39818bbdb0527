"""A JPEG that libjpeg reports as corrupt (garbage mid-scan) is refused by name wherever photos are read.

libjpeg only warns about such data and fills in the rest of the picture, so Pillow decodes it
without an error; ``read_photo`` checks every JPEG with simplejpeg's strict decode (issue 29, kind 6).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageCms

import agents.packaged
from exposure_env.data import FolderPool
from exposure_env.data.io import ImageReadError, read_image, read_photo
from train import retouch as retouch_cli

GARBAGE = b"garbage\xff\xd0"  # ending in a restart marker the file never declared: libjpeg stops the scan there


class ZeroEV:
    """A stub of the packaged policy: 0 EV for every segment, small settings."""

    env_kwargs = {"size": 16, "num_segments": 2, "max_ev": 3.0}

    def predict(self, observation, deterministic=True):
        return np.zeros(1, np.float32), None


@pytest.fixture
def cli(monkeypatch):
    """``exposure-retouch`` with the stub policy: ``cli(*args) -> exit code``."""
    monkeypatch.setattr(agents.packaged, "load_packaged_policy", lambda look: ZeroEV())
    return lambda *args: retouch_cli.main([str(arg) for arg in args])


def photo(seed=0, shape=(48, 64, 3)) -> np.ndarray:
    """Gradients with noise, so every scan holds a good amount of entropy-coded data."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 200, shape[1])[None, :, None] + np.linspace(0, 50, shape[0])[:, None, None]
    return np.clip(ramp + rng.normal(0, 20, shape), 0, 255).astype(np.uint8)


def jpeg(pixels: np.ndarray, mode: str | None = None, **options) -> bytes:
    buffer = io.BytesIO()
    image = Image.fromarray(pixels) if mode is None else Image.frombytes(mode, pixels.shape[1::-1], pixels.tobytes())
    image.save(buffer, format=options.pop("format", "JPEG"), **options)
    return buffer.getvalue()


def scans(data: bytes) -> list[tuple[int, int]]:
    """``(start, end)`` of each scan's entropy-coded data (SOS header to next marker) in the first picture (to EOI)."""
    spans, index = [], 0
    while (index := data.find(b"\xff\xda", index)) != -1:
        start = end = index + 2 + int.from_bytes(data[index + 2:index + 4], "big")
        while not (data[end] == 0xFF and data[end + 1] not in (0x00, *range(0xD0, 0xD8))):
            end += 1
        spans.append((start, end))
        if data[end + 1] == 0xD9:  # an MPO's later pictures are never read
            return spans
        index = end
    return spans


def corrupt(data: bytes) -> bytes:
    """``data`` with garbage written over the middle of its longest scan (the length kept, so MPO offsets hold)."""
    start, end = max(scans(data), key=lambda span: span[1] - span[0])
    middle = (start + end) // 2
    return data[:middle] + GARBAGE + data[middle + len(GARBAGE):]


def assert_pillow_decodes(data: bytes) -> None:
    """The premise: Pillow reads the corrupt data without an error (so only the new check refuses it)."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()


def corrupt_jpeg_folder(folder):
    """good.jpg, corrupt.jpg (garbage mid-scan), short.jpg (truncated), other.png; returns their bytes."""
    folder.mkdir()
    good = jpeg(photo(0), quality=90)
    (folder / "good.jpg").write_bytes(good)
    (folder / "corrupt.jpg").write_bytes(corrupt(jpeg(photo(1), quality=90)))
    (folder / "short.jpg").write_bytes(good[: len(good) * 2 // 3])
    Image.fromarray(photo(2)).save(folder / "other.png")
    assert_pillow_decodes((folder / "corrupt.jpg").read_bytes())
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def test_exposure_retouch_skips_a_corrupt_jpeg_by_name_and_retouches_the_rest(tmp_path, cli, capsys):
    before = corrupt_jpeg_folder(tmp_path / "in")
    assert cli(tmp_path / "in", "--out", tmp_path / "out") == 1
    errors = capsys.readouterr().err.splitlines()
    bad = tmp_path / "in" / "corrupt.jpg"
    lines = [line for line in errors if str(bad) in line]
    assert len(lines) == 1 and lines[0].startswith(f"exposure-retouch: skipped {bad}: corrupt JPEG, part of the "
                                                   "picture would decode wrong (libjpeg: Corrupt JPEG data")
    short = tmp_path / "in" / "short.jpg"  # truncated: Pillow's error, as before
    assert f"exposure-retouch: skipped {short}: corrupt or truncated image (image file is truncated" in "\n".join(errors)
    assert errors[-1] == "exposure-retouch: 2 of 4 inputs failed"
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["good.jpg", "other.png"]
    assert {path.name: path.read_bytes() for path in (tmp_path / "in").iterdir()} == before


def test_folder_pool_reports_and_skips_a_corrupt_jpeg(tmp_path):
    corrupt_jpeg_folder(tmp_path / "in")
    pool = FolderPool(tmp_path / "in")
    names = [pool[index].name for index in range(len(pool))]
    assert "corrupt.jpg" not in names and {"good.jpg", "other.png"} <= set(names)
    bad = str(tmp_path / "in" / "corrupt.jpg")
    assert pool.bad_files[bad].startswith("corrupt JPEG, part of the picture would decode wrong (libjpeg: Corrupt")
    with pytest.raises(ImageReadError, match=r"corrupt\.jpg: corrupt JPEG"):
        read_image(bad)


def exif_with_orientation() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6
    return exif.tobytes()


SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
KINDS = {
    "baseline 4:2:0": lambda: jpeg(photo(), quality=90),
    "4:4:4, optimised": lambda: jpeg(photo(), quality=95, subsampling=0, optimize=True),
    "progressive": lambda: jpeg(photo(), quality=90, progressive=True),
    "grey": lambda: jpeg(photo()[..., 0], quality=90),
    "CMYK": lambda: jpeg(photo(shape=(48, 64, 4)), mode="CMYK", quality=90),
    "EXIF and ICC": lambda: jpeg(photo(), quality=90, exif=exif_with_orientation(), icc_profile=SRGB),
    "MPO": lambda: jpeg(photo(), format="MPO", save_all=True, append_images=[Image.fromarray(photo(1))]),
}


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_jpeg_reads_and_its_corrupt_copy_is_refused(tmp_path, kind):
    data = KINDS[kind]()
    good, bad = tmp_path / "good.jpg", tmp_path / "bad.jpg"
    good.write_bytes(data)
    bad.write_bytes(corrupt(data))
    assert_pillow_decodes(bad.read_bytes())
    pixels = read_photo(good).pixels  # no false positive
    assert pixels.shape[:2] == ((64, 48) if kind == "EXIF and ICC" else (48, 64))
    with pytest.raises(ImageReadError) as refused:
        read_photo(bad)
    message = str(refused.value)
    assert message.startswith(f"{bad}: corrupt JPEG, part of the picture would decode wrong (libjpeg: ")
    assert "\n" not in message
