"""Reading photos from files: any common format, 8/16-bit, EXIF orientation, clear errors."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from exposure_env.ops.layout import as_float_rgb

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp")
#: refuse photos above this many pixels rather than risk an out-of-memory kill (4 × 24 MP)
MAX_PIXELS = 100_000_000


class ImageReadError(ValueError):
    """A file that is not a readable photo; the message names the file and the reason."""


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read a photo as ``(H, W, 3)`` float32 sRGB in ``[0, 1]``.

    8- and 16-bit files keep their precision (16-bit PNG/TIFF through OpenCV, which Pillow
    reduces to 8 bits), EXIF orientation is applied, grey is expanded, alpha is dropped.

    Raises:
        ImageReadError: missing, empty, not an image, truncated, too small or too large.
    """
    path = Path(path)
    if not path.is_file():
        raise ImageReadError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise ImageReadError(f"{path}: empty file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise ImageReadError(
                        f"{path}: {image.width}x{image.height} is over the {MAX_PIXELS // 1_000_000} MP limit"
                    )
                array = _decode(path, image)
    except ImageReadError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageReadError(f"{path}: not a readable image ({error.__class__.__name__})") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageReadError(f"{path}: corrupt or truncated image ({error})") from None
    try:
        return as_float_rgb(array, str(path))
    except (TypeError, ValueError) as error:
        raise ImageReadError(str(error)) from None


def _decode(path: Path, image: Image.Image) -> np.ndarray:
    """Pixels of an open Pillow image, upright; 16-bit PNG/TIFF re-read by OpenCV to keep 16 bits."""
    image.load()  # decodes fully: truncated files fail here, with Pillow's message
    if _bits_per_sample(path, image) == 16:
        # Pillow reduces 16-bit RGB to 8 bits; OpenCV keeps them and applies EXIF orientation itself
        decoded = cv2.imread(str(path), cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
        if decoded is None:
            raise OSError("OpenCV could not decode the 16-bit data")
        return decoded if decoded.ndim == 2 else cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)
    upright = ImageOps.exif_transpose(image)
    if upright.mode not in ("L", "RGB", "RGBA"):
        upright = upright.convert("RGBA" if "A" in upright.mode or "transparency" in upright.info else "RGB")
    return np.asarray(upright)


def _bits_per_sample(path: Path, image: Image.Image) -> int:
    """Bits per channel from the file header (PNG IHDR byte 24, TIFF tag 258), else 8."""
    if image.format == "PNG":
        with open(path, "rb") as handle:
            return handle.read(25)[24]
    if image.format == "TIFF":
        return int(image.tag_v2.get(258, (8,))[0])
    return 8
