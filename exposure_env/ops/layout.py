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


def as_float_rgb(image: object, name: str = "image") -> np.ndarray:
    """Validate a photo given as an array and return it as ``(H, W, 3)`` float32 in ``[0, 1]``.

    Accepts ``(H, W)`` grey, ``(H, W, 1|3|4)`` (alpha dropped), uint8, uint16 or float in
    ``[0, 1]``. Raises ``TypeError``/``ValueError`` naming ``name`` and what is wrong.
    """
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(image).__name__}")
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise ValueError(f"{name} must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); got shape {image.shape}")
    if image.shape[0] < 2 or image.shape[1] < 2:
        raise ValueError(f"{name} is {image.shape[0]}x{image.shape[1]} pixels; at least 2x2 is needed")
    if image.dtype == np.uint8:
        scaled = image.astype(np.float32) / 255.0
    elif image.dtype == np.uint16:
        scaled = image.astype(np.float32) / 65535.0
    elif np.issubdtype(image.dtype, np.floating):
        if not np.isfinite(image).all():
            raise ValueError(f"{name} has NaN or infinite values")
        if image.min() < -1e-3 or image.max() > 1.0 + 1e-3:
            raise ValueError(f"{name} float values must lie in [0, 1], got [{image.min():.3g}, {image.max():.3g}]")
        scaled = np.clip(image, 0.0, 1.0).astype(np.float32)
    else:
        raise TypeError(f"{name} has dtype {image.dtype}; expected uint8, uint16 or float")
    if scaled.shape[2] == 1:
        return np.repeat(scaled, 3, axis=2)
    return np.ascontiguousarray(scaled[..., :3])
