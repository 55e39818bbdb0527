"""Quality metrics of a retouch (the metrics of every results table in ``docs/``), all from scikit-image.

Images are ``(H, W, 3)`` float sRGB in ``[0, 1]``.
"""

from __future__ import annotations

import numpy as np
from skimage.color import deltaE_ciede2000, rgb2lab
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from exposure_env.ops.color import luma


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


#: luma at or above which a pixel counts as a blown highlight, and at or below which as a crushed shadow
HIGHLIGHT_LEVEL, SHADOW_LEVEL = 254.0 / 255.0, 1.0 / 255.0


def clipped_shares(image: np.ndarray) -> dict[str, float]:
    """Shares of pixels clipped at each end, by Rec. 709 luma of the sRGB values.

    Returns:
        ``{"highlights": share with luma >= 254/255, "shadows": share with luma <= 1/255}``, each in ``[0, 1]``.
    """
    lum = luma(image)
    return {"highlights": float((lum >= HIGHLIGHT_LEVEL).mean()), "shadows": float((lum <= SHADOW_LEVEL).mean())}


def lightness(image: np.ndarray) -> float:
    """Mean CIE L* (0 black .. 100 white; about 50 reads as a well-exposed photo), of the sRGB values clipped to
    ``[0, 1]``."""
    return float(rgb2lab(np.clip(image, 0.0, 1.0))[..., 0].mean())


def unpaired_metrics(image: np.ndarray) -> dict[str, float]:
    """What a retouch can be judged by without a target: its clipped shares (:func:`clipped_shares`) and its mean
    ``lightness`` (L*)."""
    return {**clipped_shares(image), "lightness": lightness(image)}


def paired_metrics(result: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """PSNR, SSIM and ΔE2000 of ``result`` against ``target``, lightness agreement, and the :func:`unpaired_metrics`
    of ``result``.

    Lightness agreement: ``lightness_error`` is ``|L*(result) − L*(target)|`` of the mean CIE L*
    (:func:`lightness`), ``target_lightness`` the target's: whether the retouch kept the scene's key
    (a dark scene dark) as the expert did.
    """
    own = unpaired_metrics(result)
    target_lightness = lightness(target)
    return {
        "psnr": psnr(result, target),
        "ssim": ssim(result, target),
        "delta_e": delta_e(result, target),
        "lightness_error": abs(own["lightness"] - target_lightness),
        "target_lightness": target_lightness,
        **own,
    }


def lightness_correlation(lightnesses: list[float], target_lightnesses: list[float]) -> float:
    """Pearson correlation over photos of the results' mean L* with their targets' (NaN for fewer than 2 photos or
    a constant side): near 1 when the retouch keeps every scene's key relative to the others."""
    if len(lightnesses) < 2 or np.std(lightnesses) == 0 or np.std(target_lightnesses) == 0:
        return float("nan")
    return float(np.corrcoef(lightnesses, target_lightnesses)[0, 1])
