"""Resizing to the agent's thumbnail size (Alg. 3: "resize I0 into 64×64 as S0")."""

from __future__ import annotations

import cv2
import numpy as np


def thumbnail(image: np.ndarray, size: int) -> np.ndarray:
    """Resize ``(H, W, 3)`` to ``(size, size, 3)`` float32: area averaging down, bilinear up."""
    height, width = image.shape[:2]
    if (height, width) == (size, size):
        return image.astype(np.float32, copy=False)
    shrinking = height >= size and width >= size
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(image.astype(np.float32, copy=False), (size, size), interpolation=interpolation)
