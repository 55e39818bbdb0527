"""Conversions between numpy HWC images and torch BCHW tensors."""

from __future__ import annotations

import numpy as np
import torch


def hwc_to_tensor(images: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """``(H, W, C)`` or ``(B, H, W, C)`` array -> ``(B, C, H, W)`` float32 tensor on ``device``.

    uint8 input is scaled to ``[0, 1]``.
    """
    array = np.asarray(images)
    if array.ndim == 3:
        array = array[None]
    tensor = torch.from_numpy(np.ascontiguousarray(array)).to(device).permute(0, 3, 1, 2)
    if tensor.dtype == torch.uint8:
        return tensor.float().div_(255.0)
    return tensor.float()


def tensor_to_hwc(images: torch.Tensor) -> np.ndarray:
    """``(B, C, H, W)`` tensor -> ``(B, H, W, C)`` float32 numpy array (detached, on CPU)."""
    return images.detach().permute(0, 2, 3, 1).cpu().numpy().astype(np.float32, copy=False)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Float image in ``[0, 1]`` -> uint8 by rounding (values outside are clipped)."""
    return np.rint(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


def as_float(image: object, name: str = "image") -> np.ndarray:
    """Pixels of any real sample type and byte order as float32 in ``[0, 1]``, layout kept.

    The scaling, the one every reader and array argument of this package uses:

    - bool: False 0, True 1;
    - unsigned integers (uint8 ... uint64): ``x / max`` of the type (uint8 ``/255``, uint16
      ``/65535``, uint32 ``/4294967295``);
    - signed integers (int8 ... int64): ``x / max`` of the type (int16 ``/32767``); negative
      values, which hold no light, are clipped to 0;
    - floats (float16, float32, float64): kept; they must be finite and lie in ``[0, 1]``
      (1e-3 of slack is clipped), so HDR values above 1 are refused rather than clipped.

    Args:
        image: a numpy array of any shape.
        name: what to call it in error messages (an argument or a file name).

    Returns:
        float32 array of ``image``'s shape, native byte order, C-contiguous.

    Raises:
        TypeError: not a numpy array, or a sample type with no brightness (complex, object, text).
        ValueError: floats that are NaN, infinite or outside ``[0, 1]``.
    """
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(image).__name__}")
    kind = image.dtype.kind
    if kind == "b":
        return image.astype(np.float32)
    if kind in "iu":
        scaled = image.astype(np.float32) / np.float32(np.iinfo(image.dtype).max)
        return np.maximum(scaled, 0.0, out=scaled) if kind == "i" else scaled
    if kind != "f":
        raise TypeError(f"{name} has dtype {image.dtype}; expected bool, integers or floats")
    if not np.isfinite(image).all():
        raise ValueError(f"{name} has NaN or infinite values")
    low, high = image.min(), image.max()
    if low < -1e-3 or high > 1.0 + 1e-3:
        raise ValueError(f"{name} float values must lie in [0, 1], got [{low:.3g}, {high:.3g}]")
    return np.clip(image, 0.0, 1.0).astype(np.float32)


def as_float_rgb(image: object, name: str = "image") -> np.ndarray:
    """Validate a photo given as an array and return it as ``(H, W, 3)`` float32 in ``[0, 1]``.

    Accepts ``(H, W)`` grey, ``(H, W, 1|3|4)`` (alpha dropped), any sample type and byte
    order that :func:`as_float` scales. Raises ``TypeError``/``ValueError`` naming ``name``
    and what is wrong.
    """
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(image).__name__}")
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise ValueError(f"{name} must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); got shape {image.shape}")
    if image.shape[0] < 2 or image.shape[1] < 2:
        raise ValueError(f"{name} is {image.shape[0]}x{image.shape[1]} pixels; at least 2x2 is needed")
    scaled = as_float(image[..., :3], name)
    if scaled.shape[2] == 1:
        return np.repeat(scaled, 3, axis=2)
    return scaled
