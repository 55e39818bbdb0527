"""Reading photos from files: any common format and sample type, upright, clear errors.

Who decodes what:

- TIFF: tifffile (with imagecodecs for its compressions), for every sample type a TIFF can
  hold; its pixels come as stored, so the Orientation tag is applied here, once.
- 16-bit colour PNG: OpenCV (Pillow would reduce it to 8 bits), told to ignore orientation.
- everything else (JPEG, PNG, WebP, BMP...): Pillow, which never turns these pixels itself.
  libjpeg only *warns* about corrupt JPEG data (garbage mid-scan) and fills in the rest, so Pillow
  (as OpenCV and imagecodecs) decodes such a file without an error; each JPEG is therefore also
  decoded once by simplejpeg in strict mode, at 1/8 scale, and refused on such a warning.

The orientation (EXIF or TIFF tag, 1-8) is then applied exactly once by :func:`apply_orientation`.
Sample types other than uint8 and uint16 become float32 in ``[0, 1]`` by the scaling of
:func:`exposure_env.ops.layout.as_float`. An ICC profile is kept only with pixels of its own
colour space (see :func:`matching_profile`). Every failure is an :class:`ImageReadError` whose
one-line message names the file and the reason.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import simplejpeg
import tifffile
from PIL import Image, ImageCms, TiffImagePlugin, UnidentifiedImageError

from exposure_env.atomic import atomic_write
from exposure_env.data.formats import IMAGE_EXTENSIONS, OUTPUT_SUFFIXES, UNREAD_FORMATS  # noqa: F401 (imported from here)
from exposure_env.ops.layout import as_float, as_float_rgb

#: refuse photos above this many pixels rather than risk an out-of-memory kill (4 × 25 MP)
MAX_PIXELS = 100_000_000
#: EXIF (and TIFF) tag holding the orientation (1-8)
ORIENTATION_TAG = 0x0112
#: TIFF tag holding the ICC profile
_ICC_TAG = 34675
#: Pillow modes whose pixels numpy reads as they are (``I`` is int32, ``F`` float32, scaled later)
_DIRECT_MODES = ("L", "RGB", "RGBA", "I", "F")
#: Pillow modes of 16-bit grey in any byte order
_UINT16_MODES = ("I;16", "I;16B", "I;16L", "I;16N")
#: ICC colour space of the pixels Pillow converts from, where a profile can take them to sRGB
_PROFILE_SPACE_OF_MODE = {"CMYK": "CMYK", "L": "GRAY", "LA": "GRAY", "La": "GRAY", "1": "GRAY"}
#: TIFF photometric interpretations read; others are refused by name
_TIFF_PHOTOMETRICS = ("MINISBLACK", "MINISWHITE", "RGB", "PALETTE", "SEPARATED", "YCBCR")
#: TIFF ExtraSamples values that mean alpha (associated, unassociated)
_TIFF_ALPHA = (1, 2)
#: formats that hold 8 bits per channel only; deeper results are rounded to 8 bits for them
EIGHT_BIT_FORMATS = ("JPEG", "WEBP", "BMP")
#: formats that hold no alpha channel; it is dropped for them
NO_ALPHA_FORMATS = ("JPEG",)
#: the most EXIF bytes a JPEG holds: one APP1 segment of 65535 bytes less its 2-byte length
JPEG_MAX_EXIF_BYTES = 65533
#: the starts of libjpeg's warnings that say the compressed pixels are damaged (the rest is filled in)
JPEG_CORRUPT_WARNINGS = ("Corrupt JPEG data", "Premature end of JPEG file")
#: quality of lossy outputs (JPEG with 4:4:4 chroma, WebP)
LOSSY_QUALITY = 95
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class ImageReadError(ValueError):
    """A file that is not a readable photo; the message names the file and the reason."""


class PhotoWarning(UserWarning):
    """Something in a photo file was left out (a profile, a metadata block); the message says what and why."""


@dataclass(frozen=True)
class Photo:
    """A photo read from a file with its bit depth and metadata.

    Attributes:
        pixels: ``(H, W)`` grey, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA, upright; uint8 or
            uint16 as stored, any other sample type as float32 in ``[0, 1]``.
        icc_profile: the embedded ICC profile, only when its colour space is the pixels'
            (see :func:`matching_profile`), else ``None``.
        exif: EXIF block (``b"Exif\\0\\0"`` + TIFF data) with the orientation reset to 1, from
            JPEG, PNG and WebP files, or ``None``.
    """

    pixels: np.ndarray
    icc_profile: bytes | None
    exif: bytes | None


def read_image(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read a photo as ``(H, W, 3)`` float32 sRGB in ``[0, 1]``, upright.

    The decoding is :func:`read_photo`'s; grey is expanded to three channels and alpha dropped
    (not composited).

    Raises:
        ImageReadError: as :func:`read_photo`.
    """
    return as_float_rgb(read_photo(path, max_pixels).pixels, str(path))


def read_photo(path: str | os.PathLike, max_pixels: int | None = None) -> Photo:
    """Read a photo at its bit depth, upright, with its ICC profile and EXIF.

    Grey stays ``(H, W)``; alpha is kept, and a PNG ``tRNS`` colour key becomes alpha (0 where
    a pixel has the key's value, full elsewhere); palettes become RGB(A); CMYK, and grey with
    alpha, become sRGB through their ICC profile when they have one (Pillow's ImageCms),
    else by Pillow's plain conversion. Sample types other than uint8 and uint16 (1- to 64-bit
    integers, signed or not, and 16-, 32- and 64-bit floats) become float32 in ``[0, 1]``: see
    :func:`exposure_env.ops.layout.as_float` (a TIFF's integers are scaled by its BitsPerSample).

    Args:
        path: the file.
        max_pixels: refuse larger photos (width × height) before decoding; default :data:`MAX_PIXELS`.

    Raises:
        ImageReadError: missing, empty, not an image, truncated or corrupt (also a JPEG that
            libjpeg decodes with a "Corrupt JPEG data" warning), smaller than 2×2,
            larger than ``max_pixels``, animated or multi-page (an MPO's first frame is read), of an unsupported sample type or colour space (complex
            numbers, 16-bit CMYK, CIELab...), or float values outside ``[0, 1]`` (HDR).
    """
    path = Path(path)
    max_pixels = MAX_PIXELS if max_pixels is None else max_pixels
    _check_file(path)
    try:
        if _is_tiff(path):
            with tifffile.TiffFile(path) as tiff:
                pixels, orientation, icc_profile = _read_tiff(path, tiff, max_pixels)
            exif = None  # a TIFF's tags describe its own layout: none is copied
        else:
            with _open(path, max_pixels) as image:
                pixels, icc_profile = _decode(path, image)
                if image.format in ("JPEG", "MPO"):
                    _check_jpeg_data(path)
                exif_tags = image.getexif()
                orientation = exif_tags.get(ORIENTATION_TAG, 1)
                exif = _upright_exif(exif_tags)
        pixels = _photo_samples(path, apply_orientation(pixels, orientation))
    except ImageReadError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, KeyError, TypeError) as error:
        raise ImageReadError(f"{path}: corrupt or truncated image ({_one_line(error)})") from None
    return Photo(np.ascontiguousarray(pixels), matching_profile(icc_profile, pixels, str(path)), exif)


def check_image(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> None:
    """Cheap validity check without decoding the pixels (header, size, sample type, Pillow's ``verify``).

    A file that passes may still fail in :func:`read_image` (e.g. corrupt compressed data
    behind a good header, such as a JPEG with garbage mid-scan); one that fails here would
    fail there too.

    Raises:
        ImageReadError: as :func:`read_photo`, for what the header reveals.
    """
    path = Path(path)
    _check_file(path)
    try:
        if _is_tiff(path):
            with tifffile.TiffFile(path) as tiff:
                _tiff_page(path, tiff, max_pixels)
        else:
            with _open(path, max_pixels) as image:
                image.verify()
    except ImageReadError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, KeyError, TypeError) as error:
        raise ImageReadError(f"{path}: corrupt or truncated image ({_one_line(error)})") from None


def apply_orientation(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Turn ``(H, W[, C])`` pixels stored with EXIF/TIFF ``orientation`` (1-8) upright.

    Same result as ``PIL.ImageOps.exif_transpose`` (tested for all 8 values); unknown values
    leave the pixels as they are. Written on arrays, not Pillow images, because 16-bit colour
    and TIFF pixels of any sample type are decoded outside Pillow and must be turned the same way.
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


def matching_profile(icc_profile: bytes | None, pixels: np.ndarray, name: str) -> bytes | None:
    """``icc_profile`` if it describes the colour space of ``pixels``, else ``None`` with a :class:`PhotoWarning`.

    Grey ``(H, W)`` pixels take a GRAY profile, ``(H, W, 3|4)`` pixels an RGB one; a profile
    that LittleCMS cannot parse is dropped too.

    Args:
        icc_profile: the profile bytes, or ``None``.
        pixels: ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)``.
        name: the file, for the warning.
    """
    if not icc_profile:
        return None
    space = _profile_space(icc_profile)
    pixel_space = "GRAY" if pixels.ndim == 2 else "RGB"
    if space == pixel_space:
        return icc_profile
    reason = "cannot be parsed" if space is None else f"is for {space} but the pixels are {pixel_space}"
    warnings.warn(f"{name}: ICC profile dropped: it {reason}", PhotoWarning, stacklevel=2)
    return None


def _profile_space(icc_profile: bytes) -> str | None:
    """The ICC colour space of a profile (``"RGB"``, ``"GRAY"``, ``"CMYK"``...), or ``None`` if unreadable."""
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)).profile.xcolor_space.strip()
    except (ImageCms.PyCMSError, OSError, TypeError, ValueError):
        return None


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise ImageReadError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise ImageReadError(f"{path}: empty file")


def _check_size(path: Path, width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ImageReadError(f"{path}: {width}x{height} is over the limit of {max_pixels} pixels")
    if width < 2 or height < 2:
        raise ImageReadError(f"{path}: {width}x{height} pixels; at least 2x2 is needed")


# ----------------------------------------------------------------------------- Pillow


def _open(path: Path, max_pixels: int) -> Image.Image:
    """Open a non-TIFF ``path`` with Pillow after checking the header's size."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # max_pixels decides
            image = Image.open(path)
    except UnidentifiedImageError:
        raise ImageReadError(f"{path}: not a readable image (unknown or corrupt format)") from None
    except Image.DecompressionBombError as error:
        raise ImageReadError(f"{path}: too large to read ({_one_line(error)})") from None
    try:
        _check_size(path, *image.size, max_pixels)
        _check_single_frame(path, image.format, getattr(image, "n_frames", 1))
    except ImageReadError:
        image.close()
        raise
    return image


def _check_jpeg_data(path: Path) -> None:
    """Refuse a JPEG whose compressed data libjpeg reports as corrupt or cut short.

    libjpeg only warns about such data (garbage mid-scan, a marker where pixels should be) and
    fills in the rest of the scan, so Pillow decodes it without an error and part of the
    picture is wrong. simplejpeg (libjpeg-turbo) raises on the warning with ``strict=True``.
    It decodes at 1/8 scale, in grey (CMYK for CMYK and YCCK files): every coefficient is still
    entropy-decoded, which is where corrupt data shows, at a fraction of a full decode's cost.
    Other warnings (an unknown JFIF revision...) and what simplejpeg cannot decode but Pillow
    did are let through.

    Raises:
        ImageReadError: naming the file and libjpeg's warning.
    """
    data = path.read_bytes()
    try:
        colour_space = simplejpeg.decode_jpeg_header(data, strict=False)[2]
        simplejpeg.decode_jpeg(data, colorspace="CMYK" if colour_space in ("CMYK", "YCCK") else "GRAY",
                               min_height=1, min_width=1, strict=True)
    except ValueError as error:
        message = _one_line(error)
        if message.startswith(JPEG_CORRUPT_WARNINGS):
            raise ImageReadError(f"{path}: corrupt JPEG, part of the picture would decode wrong "
                                 f"(libjpeg: {message})") from None


def _check_single_frame(path: Path, file_format: str | None, frames: int) -> None:
    """Refuse an animation or a multi-page file, whose other frames a photo written from it would lose.

    An MPO (a camera JPEG with a preview or a second view after the photo) is a photo: its first frame is read.
    """
    if frames > 1 and file_format != "MPO":
        raise ImageReadError(f"{path}: {file_format} with {frames} frames (animated or multi-page); only single-frame "
                             "photos are read: save the frame you want as its own file")


def _decode(path: Path, image: Image.Image) -> tuple[np.ndarray, bytes | None]:
    """Pixels of an open Pillow image as stored (orientation not applied), and the ICC profile that goes with them.

    Returns:
        ``(H, W[, C])`` pixels (uint8, uint16, int32 or float32) and the file's profile, or
        ``None`` when the pixels were converted to sRGB through it.
    """
    icc_profile = image.info.get("icc_profile") or None
    if _bits_per_sample(path, image) == 16 and image.mode not in _UINT16_MODES:  # colour, 16 bits
        # OpenCV keeps the 16 bits (Pillow would not) and turns a tRNS colour key into alpha itself
        pixels = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_UNCHANGED | cv2.IMREAD_IGNORE_ORIENTATION)
        if pixels is None:
            raise OSError("OpenCV could not decode the 16-bit data")
        return cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB if pixels.shape[2] == 3 else cv2.COLOR_BGRA2RGBA), icc_profile
    if image.mode in _UINT16_MODES:
        pixels = np.asarray(image).astype(np.uint16)
        key = image.info.get("transparency")
        return (pixels if key is None else _colour_key_alpha(pixels, key)), icc_profile
    if image.mode in _DIRECT_MODES and not image.has_transparency_data:
        return np.asarray(image), icc_profile
    return _convert_to_rgb(path, image, icc_profile)  # palettes, CMYK, alpha, 8-bit colour keys...


def _convert_to_rgb(path: Path, image: Image.Image, icc_profile: bytes | None) -> tuple[np.ndarray, bytes | None]:
    """RGB(A) uint8 pixels of a Pillow image of another mode (palette, CMYK, grey + alpha...).

    When the image's colour space is not RGB and its ICC profile describes that space, the
    conversion goes through the profile to sRGB (Pillow's ImageCms) and the profile is spent
    (``None`` is returned with the pixels); otherwise it is Pillow's plain conversion.
    """
    alpha = image.convert("RGBA").getchannel("A") if image.has_transparency_data else None
    space = _PROFILE_SPACE_OF_MODE.get(image.mode)
    if space is not None and icc_profile and _profile_space(icc_profile) == space:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            rgb = ImageCms.profileToProfile(image.convert("CMYK" if space == "CMYK" else "L"), source, _SRGB,
                                            outputMode="RGB")
        except ImageCms.PyCMSError as error:
            warnings.warn(f"{path}: ICC profile dropped: LittleCMS cannot convert through it ({_one_line(error)})",
                          PhotoWarning, stacklevel=3)
            rgb = image.convert("RGB")
        icc_profile = None
    else:
        rgb = image.convert("RGB")
    if alpha is not None:
        rgb.putalpha(alpha)
    return np.asarray(rgb), icc_profile


def _colour_key_alpha(grey: np.ndarray, key: int) -> np.ndarray:
    """16-bit grey ``(H, W)`` with a PNG ``tRNS`` colour key -> ``(H, W, 4)``: alpha 0 where a pixel is the key.

    (Pillow converts 8-bit colour keys itself, and OpenCV 16-bit colour ones, but Pillow's
    conversion of 16-bit grey would drop 8 bits.)
    """
    alpha = np.where(grey == key, 0, np.iinfo(grey.dtype).max).astype(grey.dtype)
    return np.dstack([grey, grey, grey, alpha])


def _bits_per_sample(path: Path, image: Image.Image) -> int:
    """Bits per channel of a PNG from its IHDR chunk (byte 24), else 8."""
    if image.format == "PNG":
        with open(path, "rb") as handle:
            return handle.read(25)[24]
    return 8


def _upright_exif(exif: Image.Exif) -> bytes | None:
    """The EXIF block with orientation 1 (the pixels are turned upright), or ``None`` when empty."""
    if not len(exif):
        return None
    if ORIENTATION_TAG in exif:
        exif[ORIENTATION_TAG] = 1
    return exif.tobytes()


# ----------------------------------------------------------------------------- TIFF


def _is_tiff(path: Path) -> bool:
    """Whether ``path`` starts with a TIFF or BigTIFF header (Pillow's list of them)."""
    with open(path, "rb") as handle:
        return handle.read(4) in TiffImagePlugin.PREFIXES


def _tiff_page(path: Path, tiff: tifffile.TiffFile, max_pixels: int) -> tifffile.TiffPage:
    """The first page of ``tiff`` after checking its size, sample type and colour space (no decoding)."""
    page = tiff.pages.first
    _check_size(path, page.imagewidth, page.imagelength, max_pixels)
    _check_single_frame(path, "TIFF", sum(not page.is_reduced for page in tiff.pages))  # previews are no pages
    if page.dtype is None or page.dtype.kind not in "biuf":
        raise ImageReadError(f"{path}: unsupported TIFF sample type {page.dtype or 'of mixed formats'}")
    photometric = getattr(page.photometric, "name", str(page.photometric))
    if photometric not in _TIFF_PHOTOMETRICS:
        raise ImageReadError(f"{path}: unsupported TIFF colour space {photometric}")
    if photometric == "SEPARATED" and (page.samplesperpixel - len(page.extrasamples) != 4 or page.dtype != np.uint8):
        raise ImageReadError(f"{path}: unsupported TIFF colour space: only 8-bit CMYK is read, "
                             f"not {page.samplesperpixel} {page.dtype} inks")
    if photometric == "YCBCR" and page.dtype != np.uint8:
        raise ImageReadError(f"{path}: unsupported TIFF: YCbCr with {page.dtype} samples")
    if photometric == "PALETTE" and page.colormap is None:
        raise ImageReadError(f"{path}: palette TIFF without a colour map")
    return page


def _read_tiff(path: Path, tiff: tifffile.TiffFile, max_pixels: int) -> tuple[np.ndarray, int, bytes | None]:
    """Pixels of a TIFF's first page as stored (not turned), its Orientation tag and its ICC profile.

    Returns:
        ``(H, W)`` grey, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA pixels of the file's sample
        type (integers of fewer bits than their type already scaled to float32; palettes as
        uint16 RGB; CMYK and YCbCr as uint8 RGB), the orientation (1 when absent) and the
        profile (``None`` when spent on a conversion to sRGB).
    """
    page = _tiff_page(path, tiff, max_pixels)
    photometric = page.photometric.name
    samples = page.asarray()
    if page.samplesperpixel > 1 and page.planarconfig == tifffile.PLANARCONFIG.SEPARATE:
        samples = np.moveaxis(samples, 0, -1)
    samples = samples.reshape(page.imagelength, page.imagewidth, page.samplesperpixel)
    colours = page.samplesperpixel - len(page.extrasamples)
    pixels = _full_range(samples[..., :colours], page.bitspersample)
    has_alpha = bool(page.extrasamples) and page.extrasamples[0] in _TIFF_ALPHA
    alpha = _full_range(samples[..., colours], page.bitspersample) if has_alpha else None
    icc_profile = page.tags.valueof(_ICC_TAG) or None
    if photometric == "MINISWHITE":
        pixels = _inverted(path, pixels)
    if photometric == "PALETTE":  # the colour map is (3, 2**bits) uint16
        pixels = np.moveaxis(page.colormap[:, pixels[..., 0]], 0, -1)
        alpha = None if alpha is None else alpha.astype(np.uint16) * np.uint16(257)
    elif photometric in ("SEPARATED", "YCBCR") or (alpha is not None and colours == 1 and pixels.dtype == np.uint8):
        # a change of colour space: through the ICC profile where there is one (_convert_to_rgb)
        jpeg = page.compression == tifffile.COMPRESSION.JPEG  # whose decoder returns RGB
        mode = {"SEPARATED": "CMYK", "YCBCR": "RGB" if jpeg else "YCbCr"}.get(photometric, "L")
        image = Image.frombytes(mode, (page.imagewidth, page.imagelength), np.ascontiguousarray(pixels).tobytes())
        pixels, icc_profile = _convert_to_rgb(path, image, icc_profile)
    elif colours == 1:
        pixels = pixels[..., 0] if alpha is None else np.repeat(pixels, 3, axis=2)
    if alpha is not None:
        pixels = np.dstack([pixels, alpha.astype(pixels.dtype)])
    return pixels, int(page.tags.valueof(ORIENTATION_TAG, 1)), icc_profile


def _inverted(path: Path, pixels: np.ndarray) -> np.ndarray:
    """MinIsWhite samples as MinIsBlack: ``max - x`` for unsigned integers, ``1 - x`` for floats."""
    if pixels.dtype.kind in "bu":
        return np.invert(pixels)
    if pixels.dtype.kind == "f":
        return 1.0 - pixels
    raise ImageReadError(f"{path}: unsupported TIFF: signed MinIsWhite samples")


def _full_range(pixels: np.ndarray, bits: int) -> np.ndarray:
    """Integers of ``bits`` bits held in a wider type (e.g. 12 in uint16) as float32 over ``[0, 1]``; others unchanged."""
    if pixels.dtype.kind not in "iu" or bits >= 8 * pixels.dtype.itemsize:
        return pixels
    maximum = 2 ** (bits - 1) - 1 if pixels.dtype.kind == "i" else 2**bits - 1
    return np.clip(pixels.astype(np.float32) / np.float32(maximum), 0.0, 1.0)


def _photo_samples(path: Path, pixels: np.ndarray) -> np.ndarray:
    """uint8 and uint16 pixels as they are (native byte order); bool as 0/255 uint8; any other type as float32."""
    if pixels.dtype.kind == "b":
        return pixels.astype(np.uint8) * np.uint8(255)
    if pixels.dtype.kind == "u" and pixels.dtype.itemsize <= 2:
        return pixels.astype(pixels.dtype.newbyteorder("="), copy=False)
    try:
        return as_float(pixels, str(path))
    except (TypeError, ValueError) as error:
        raise ImageReadError(_one_line(error)) from None


def _one_line(error: BaseException) -> str:
    """An exception's message on one line (Pillow's and OpenCV's may span several)."""
    return " ".join(str(error).split()) or type(error).__name__


# ----------------------------------------------------------------------------- writing


def quantise(pixels: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Float pixels -> ``dtype``: clip to ``[0, 1]``, then ``rint(x · max)`` for integers, in place.

    Args:
        pixels: float32 array of any shape, e.g. a fusion result (overwritten).
        dtype: uint8, uint16 or a float dtype.

    Returns:
        An array of ``pixels``' shape in ``dtype`` (``pixels`` itself for float32).
    """
    np.clip(pixels, 0.0, 1.0, out=pixels)
    if not np.issubdtype(dtype, np.integer):
        return pixels.astype(dtype, copy=False)
    pixels *= np.float32(np.iinfo(dtype).max)
    np.rint(pixels, out=pixels)
    return pixels.astype(dtype)


def output_format_of(path: Path) -> str:
    """The format written for ``path``'s suffix, or ValueError naming the file."""
    try:
        return OUTPUT_SUFFIXES[path.suffix.lower()]
    except KeyError:
        raise ValueError(f"{path}: cannot write {path.suffix or 'files without a suffix'!r}; "
                         f"use one of {', '.join(OUTPUT_SUFFIXES)}") from None


def write_photo(
    path: str | os.PathLike, pixels: np.ndarray, icc_profile: bytes | None = None, exif: bytes | None = None,
    output_format: str | None = None,
) -> Path:
    """Write ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)`` pixels atomically, metadata where the format allows.

    8-bit pixels are written by Pillow (ICC and EXIF in JPEG, PNG, TIFF, WebP); 16-bit and float
    ones by OpenCV as PNG (ICC and EXIF chunks added) and by tifffile as TIFF (ICC only).
    A profile is written only with pixels of its colour space
    (:func:`~exposure_env.data.io.matching_profile`), and EXIF only into a JPEG that can hold
    it (:data:`JPEG_MAX_EXIF_BYTES`); each is otherwise left out with a
    :class:`~exposure_env.data.io.PhotoWarning` naming ``path``.

    Args:
        path: the output file (its folder is created).
        pixels: uint8, uint16 or float32 in ``[0, 1]``.
        icc_profile: ICC profile to embed, or ``None``.
        exif: EXIF block (``b"Exif\\0\\0"`` + TIFF data), or ``None``.
        output_format: a value of :data:`OUTPUT_SUFFIXES`; by default from ``path``'s suffix.
    """
    path = Path(path)
    output_format = output_format or output_format_of(path)
    pixels = _storable(pixels, output_format)
    icc_profile = matching_profile(icc_profile, pixels, str(path))
    if output_format == "JPEG" and exif and len(exif) > JPEG_MAX_EXIF_BYTES:
        warnings.warn(f"{path}: EXIF left out: its {len(exif)} bytes are over the {JPEG_MAX_EXIF_BYTES} a JPEG holds",
                      PhotoWarning, stacklevel=2)
        exif = None
    if pixels.dtype == np.uint8:
        return atomic_write(path, lambda temporary: _write_pillow(temporary, pixels, icc_profile, exif, output_format))
    if output_format == "TIFF":
        return atomic_write(path, lambda temporary: tifffile.imwrite(
            temporary, pixels, photometric="minisblack" if pixels.ndim == 2 else "rgb", iccprofile=icc_profile))
    return atomic_write(path, lambda temporary: Path(temporary).write_bytes(_encode_png16(pixels, icc_profile, exif)))


def _storable(pixels: np.ndarray, output_format: str) -> np.ndarray:
    """``pixels`` at a depth and layout ``output_format`` holds: 8 bits for JPEG/WebP/BMP,
    16 bits for float PNG, float kept in TIFF; no alpha in JPEG; ``(H, W, 1)`` as ``(H, W)``."""
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    if output_format in NO_ALPHA_FORMATS and pixels.ndim == 3 and pixels.shape[2] == 4:
        pixels = pixels[..., :3]
    if output_format in EIGHT_BIT_FORMATS and pixels.dtype != np.uint8:
        return _requantise(pixels, np.uint8)
    if output_format == "PNG" and np.issubdtype(pixels.dtype, np.floating):
        return _requantise(pixels, np.uint16)
    return np.ascontiguousarray(pixels)


def _requantise(pixels: np.ndarray, dtype: type) -> np.ndarray:
    """uint16 or float ``[0, 1]`` pixels as ``dtype`` codes, rounded."""
    scale = 1.0 if np.issubdtype(pixels.dtype, np.floating) else 1.0 / np.iinfo(pixels.dtype).max
    return quantise(pixels.astype(np.float32) * np.float32(scale), np.dtype(dtype))


def _write_pillow(
    path: str, pixels: np.ndarray, icc_profile: bytes | None, exif: bytes | None, output_format: str
) -> None:
    """8-bit pixels through Pillow, with the metadata the format's writer takes."""
    options: dict[str, Any] = {}
    if icc_profile and output_format != "BMP":
        options["icc_profile"] = icc_profile
    if exif and output_format != "BMP":
        options["exif"] = exif
    if output_format == "JPEG":
        options.update(quality=LOSSY_QUALITY, subsampling=0)
    if output_format == "WEBP":
        options.update(quality=LOSSY_QUALITY)
    Image.fromarray(pixels).save(path, format=output_format, **options)


def _encode_png16(pixels: np.ndarray, icc_profile: bytes | None, exif: bytes | None) -> bytes:
    """16-bit PNG bytes (Pillow writes no 16-bit colour PNG): OpenCV's encoding + iCCP/eXIf chunks.

    The chunks go right after IHDR (the PNG signature and IHDR take the first 33 bytes), where
    the PNG specification wants iCCP (before PLTE and IDAT) and allows eXIf.
    """
    if pixels.ndim == 3:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR if pixels.shape[2] == 3 else cv2.COLOR_RGBA2BGRA)
    ok, encoded = cv2.imencode(".png", pixels)
    if not ok:
        raise OSError("OpenCV could not encode the 16-bit PNG")
    chunks = b""
    if icc_profile:
        chunks += _png_chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(icc_profile))
    if exif:
        chunks += _png_chunk(b"eXIf", exif.removeprefix(b"Exif\x00\x00"))
    data = encoded.tobytes()
    return data[:33] + chunks + data[33:]


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC-32 of type and data."""
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
