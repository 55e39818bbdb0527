"""Reading photos from files: any common format, 8/16-bit, EXIF orientation, clear errors.

Pillow reads every format; OpenCV decodes only what Pillow cannot: 16-bit colour PNG/TIFF
(Pillow reduces them to 8 bits) and float colour TIFF (Pillow does not open it). Every failure
is an :class:`ImageReadError` whose one-line message names the file and the reason.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from exposure_env.ops.layout import as_float_rgb

#: file suffixes (lower case) that folders are searched for
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp")
#: refuse photos above this many pixels rather than risk an out-of-memory kill (4 × 25 MP)
MAX_PIXELS = 100_000_000
#: EXIF tag holding the orientation (1-8)
_ORIENTATION_TAG = 0x0112
#: Pillow modes whose pixels numpy reads as they are; others are converted to RGB(A)
_DIRECT_MODES = ("L", "RGB", "RGBA", "F")
#: Pillow modes of 16-bit grey in any byte order, read as native uint16
_UINT16_MODES = ("I;16", "I;16B", "I;16L", "I;16N")
#: Pillow modes with no faithful conversion to RGB (32-bit integers of unknown range)
_UNSUPPORTED_MODES = ("I", "I;32", "I;32B", "I;32L", "I;32N")


class ImageReadError(ValueError):
    """A file that is not a readable photo; the message names the file and the reason."""


def read_image(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read a photo as ``(H, W, 3)`` float32 sRGB in ``[0, 1]``, upright.

    8- and 16-bit files keep their precision (``/255`` or ``/65535``), float TIFFs must hold
    values in ``[0, 1]``. EXIF orientation is applied, grey is expanded to three channels,
    alpha is dropped (not composited), palette and other modes are converted to RGB.

    Args:
        path: the file.
        max_pixels: refuse larger photos (width × height) with an error, before decoding.

    Raises:
        ImageReadError: missing, empty, not an image, truncated or corrupt, smaller than 2×2,
            larger than ``max_pixels``, or in an unsupported mode.
    """
    path = Path(path)
    try:
        with _open(path, max_pixels) as image:
            pixels = _decode(path, image)
            pixels = apply_orientation(pixels, image.getexif().get(_ORIENTATION_TAG, 1))
    except UnidentifiedImageError:
        pixels = _decode_with_opencv(path)  # Pillow cannot identify it; OpenCV may (float TIFF)
        if pixels is None:
            raise ImageReadError(f"{path}: not a readable image (unknown or corrupt format)") from None
    except ImageReadError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageReadError(f"{path}: corrupt or truncated image ({_one_line(error)})") from None
    try:
        return as_float_rgb(pixels, str(path))
    except (TypeError, ValueError) as error:
        raise ImageReadError(_one_line(error)) from None


def check_image(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> None:
    """Cheap validity check without decoding the pixels (header, size, Pillow's ``verify``).

    A file that passes may still fail in :func:`read_image` (e.g. corrupt compressed data
    behind a good header); one that fails here would fail there too.

    Raises:
        ImageReadError: as :func:`read_image`, for what the header reveals.
    """
    path = Path(path)
    try:
        with _open(path, max_pixels) as image:
            image.verify()
    except UnidentifiedImageError:
        if not cv2.haveImageReader(str(path)):
            raise ImageReadError(f"{path}: not a readable image (unknown or corrupt format)") from None
    except ImageReadError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageReadError(f"{path}: corrupt or truncated image ({_one_line(error)})") from None


def apply_orientation(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Turn ``(H, W[, C])`` pixels stored with EXIF ``orientation`` (1-8) upright.

    Same result as ``PIL.ImageOps.exif_transpose`` (tested for all 8 values); unknown values
    leave the pixels as they are. Written on arrays, not Pillow images, because the 16-bit colour
    path decodes with OpenCV (Pillow would cut it to 8 bits) and must be turned upright the same way.
    """
    if orientation == 2:
        return pixels[:, ::-1]
    if orientation == 3:
        return pixels[::-1, ::-1]
    if orientation == 4:
        return pixels[::-1]
    if orientation == 5:
        return pixels.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(pixels, -1)
    if orientation == 7:
        return pixels[::-1, ::-1].swapaxes(0, 1)
    if orientation == 8:
        return np.rot90(pixels, 1)
    return pixels


def _open(path: Path, max_pixels: int) -> Image.Image:
    """Open ``path`` with Pillow after checking existence, emptiness and the header's size."""
    if not path.is_file():
        raise ImageReadError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise ImageReadError(f"{path}: empty file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # max_pixels decides
            image = Image.open(path)
    except Image.DecompressionBombError as error:
        raise ImageReadError(f"{path}: too large to read ({_one_line(error)})") from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise ImageReadError(f"{path}: {width}x{height} is over the limit of {max_pixels} pixels")
    if width < 2 or height < 2:
        image.close()
        raise ImageReadError(f"{path}: {width}x{height} pixels; at least 2x2 is needed")
    return image


def _decode(path: Path, image: Image.Image) -> np.ndarray:
    """Pixels of an open Pillow image as stored (orientation not applied): uint8, uint16 or float32."""
    if image.mode in _UINT16_MODES:
        return np.asarray(image).astype(np.uint16)
    if _bits_per_sample(path, image) == 16:  # colour, which Pillow would reduce to 8 bits
        pixels = _decode_with_opencv(path)
        if pixels is None:
            raise OSError("OpenCV could not decode the 16-bit data")
        return pixels
    if image.mode in _DIRECT_MODES:
        return np.asarray(image)
    if image.mode in _UNSUPPORTED_MODES:
        raise ImageReadError(f"{path}: unsupported mode {image.mode!r}")
    has_alpha = "A" in image.mode or "transparency" in image.info
    try:
        return np.asarray(image.convert("RGBA" if has_alpha else "RGB"))
    except ValueError:  # Pillow has no conversion from this mode
        raise ImageReadError(f"{path}: unsupported mode {image.mode!r}") from None


def _decode_with_opencv(path: Path) -> np.ndarray | None:
    """RGB or grey pixels (alpha dropped) as stored, at full bit depth, or ``None`` if OpenCV cannot decode them."""
    flags = cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR | cv2.IMREAD_IGNORE_ORIENTATION
    try:
        pixels = cv2.imdecode(np.fromfile(path, dtype=np.uint8), flags)
    except cv2.error:
        return None
    if pixels is None or pixels.ndim == 2:
        return pixels
    return cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)


def _bits_per_sample(path: Path, image: Image.Image) -> int:
    """Bits per channel from the file header (PNG IHDR byte 24, TIFF tag 258), else 8."""
    if image.format == "PNG":
        with open(path, "rb") as handle:
            return handle.read(25)[24]
    if image.format == "TIFF":
        return int(image.tag_v2.get(258, (8,))[0])
    return 8


def _one_line(error: BaseException) -> str:
    """An exception's message on one line (Pillow's and OpenCV's may span several)."""
    return " ".join(str(error).split()) or type(error).__name__
