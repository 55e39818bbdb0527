"""Resizing to the agent's thumbnail size (Alg. 3: "resize I0 into 64×64 as S0")."""

from __future__ import annotations

import cv2
import numpy as np

from exposure_env.ops.layout import to_uint8


def thumbnail(image: np.ndarray, size: int) -> np.ndarray:
    """Resize ``(H, W, 3)`` to ``(size, size, 3)`` float32: area averaging down, bilinear up."""
    height, width = image.shape[:2]
    if (height, width) == (size, size):
        return image.astype(np.float32, copy=False)
    shrinking = height >= size and width >= size
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(image.astype(np.float32, copy=False), (size, size), interpolation=interpolation)


def shrink_photo(raw: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """S0 of a photo: its ``size``×``size`` thumbnail as uint8 and as the float32 ``uint8 / 255`` that is exposed."""
    original_u8 = to_uint8(thumbnail(raw, size))
    return original_u8, original_u8.astype(np.float32) / np.float32(255.0)
