"""The 6-channel input of the critic and value network (appendix Fig. 2), numpy and torch twins.

Channels: R, G, B, luma (Rec. 709, of the sRGB values), saturation (per-pixel std over RGB, ε-smoothed,
as in Mertens' weight) and local contrast (|Laplacian| of luma, 4-neighbour kernel, reflect-101 borders).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from exposure_env.ops.color import luma, luma_torch
from exposure_env.ops.fusion import laplacian_torch

NUM_FEATURES = 6
# sqrt(var + eps) rather than std: std's gradient is NaN on grey pixels (zero variance),
# which poisons the WGAN-GP gradient penalty
_VARIANCE_EPS = 1e-12


def critic_features(image: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` float sRGB in ``[0, 1]`` -> ``(H, W, 6)`` float32 features."""
    image = image.astype(np.float32, copy=False)
    lum = luma(image)
    saturation = np.sqrt(image.var(axis=-1) + _VARIANCE_EPS)
    contrast = np.abs(cv2.Laplacian(lum, cv2.CV_32F, ksize=1, borderType=cv2.BORDER_REFLECT_101))
    return np.concatenate([image, lum[..., None], saturation[..., None], contrast[..., None]], axis=-1)


def critic_features_torch(image: torch.Tensor) -> torch.Tensor:
    """Torch twin of :func:`critic_features`: ``(B, 3, H, W)`` -> ``(B, 6, H, W)``."""
    lum = luma_torch(image)
    saturation = torch.sqrt(image.var(dim=1, keepdim=True, unbiased=False) + _VARIANCE_EPS)
    contrast = laplacian_torch(lum).abs()
    return torch.cat([image, lum, saturation, contrast], dim=1)
