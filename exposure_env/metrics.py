"""Quality metrics of a retouch (DESIGN §7), all from scikit-image.

Images are ``(H, W, 3)`` float sRGB in ``[0, 1]``.
"""

from __future__ import annotations

import numpy as np
from skimage.color import deltaE_ciede2000, rgb2lab
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from exposure_env.ops.color import luminance


def psnr(result: np.ndarray, target: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB (data range 1)."""
    return float(peak_signal_noise_ratio(target.astype(np.float64), result.astype(np.float64), data_range=1.0))


def ssim(result: np.ndarray, target: np.ndarray) -> float:
    """SSIM with Gaussian weights σ=1.5 and no sample covariance (Wang et al. 2004 settings)."""
    return float(
        structural_similarity(
            target.astype(np.float64), result.astype(np.float64), data_range=1.0, channel_axis=-1,
            gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
        )
    )


def delta_e(result: np.ndarray, target: np.ndarray) -> float:
    """Mean CIEDE2000 colour difference."""
    return float(deltaE_ciede2000(rgb2lab(target), rgb2lab(np.clip(result, 0.0, 1.0))).mean())


def clipped_share(image: np.ndarray, low: float = 0.02, high: float = 0.98) -> float:
    """Share of pixels whose luminance is crushed below ``low`` or blown above ``high``."""
    lum = luminance(image)
    return float(((lum < low) | (lum > high)).mean())


def paired_metrics(result: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """PSNR, SSIM, ΔE2000 and clipped share of ``result`` against ``target``."""
    return {
        "psnr": psnr(result, target),
        "ssim": ssim(result, target),
        "delta_e": delta_e(result, target),
        "clipped": clipped_share(result),
    }
