"""Full-resolution retouching: the test stage of DeepExposure (appendix Alg. 3).

Alg. 3 runs the policy on a 64×64 thumbnail S0 and applies each exposure it chooses to the
full-resolution photo I0: ``I^g_t = global_filter(e_t, I0)``; the T full-resolution exposures
are then blended by Mertens fusion (Eq. 30–31). Here the thumbnail episode is a real
:class:`~exposure_env.env.ExposureRetouchEnv` episode, so the policy sees exactly the
observations it was trained on and the EVs are those an env episode on the same photo chooses.

Costs: the fusion dominates. A uint8 or uint16 photo is exposed by a 256- or
65536-entry lookup table per EV (no per-pixel ``pow``), and its uint8 exposures go to OpenCV's
``MergeMertens`` as they are (it converts to float itself); float photos are exposed with
:func:`~exposure_env.ops.exposure.expose`. Photos that are grey (one channel, or R = G = B
everywhere) are exposed and fused on one channel, as :func:`~exposure_env.ops.fusion.mertens_fusion`
fuses grey stacks.

:func:`retouch_file` adds the file handling: bit depth kept, EXIF orientation applied, ICC
profile and EXIF kept where the output format allows, atomic writes, never the input overwritten.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from exposure_env.data.io import output_format_of, quantise, read_photo, write_photo
from exposure_env.env import ExposureRetouchEnv
from exposure_env.ops.clean import clean_exposures
from exposure_env.ops.exposure import check_knee, expose, expose_lut
from exposure_env.ops.fusion import fusion_evs, is_grey, merge_mertens, mertens_fusion_torch
from exposure_env.ops.layout import as_float, as_float_rgb, to_uint8
from exposure_env.ops.resize import thumbnail
from exposure_env.ops.segmentation import Segmentation

#: ``policy(observation, info, env) -> action``, as the fixed policies of ``train/policies.py``
ActionFn = Callable[[dict, dict, ExposureRetouchEnv], np.ndarray]


@dataclass(frozen=True, repr=False)
class RetouchResult:
    """What :func:`retouch` returns: ``result.image``, ``result.evs`` and ``result.fused_thumbnail``.

    Its ``repr`` is one short line (shapes and dtypes, not pixels), e.g.
    ``RetouchResult(image=uint8 (3000, 4000, 3), evs=(+0.52, +1.10, +1.31, +2.05), fused_thumbnail=float32 (64, 64, 3))``.

    Attributes:
        image: the retouched photo, same shape as the input; uint8 for uint8, uint16 for uint16,
            float32 in ``[0, 1]`` for any other sample type. Alpha, if any, is passed through
            unchanged (scaled as the colour for other sample types).
        evs: the T exposures ``e_t`` the policy chose, in stops, in step order.
        fused_thumbnail: ``(size, size, 3)`` float32: the env's fused thumbnail P_T.
    """

    image: np.ndarray
    evs: tuple[float, ...]
    fused_thumbnail: np.ndarray

    def __repr__(self) -> str:
        evs = ", ".join(f"{ev:+.2f}" for ev in self.evs)
        return (f"RetouchResult(image={self.image.dtype} {self.image.shape}, evs=({evs}), "
                f"fused_thumbnail={self.fused_thumbnail.dtype} {self.fused_thumbnail.shape})")


# ----------------------------------------------------------------------------- arrays


def retouch(
    image: np.ndarray,
    policy: Any,
    *,
    size: int = 64,
    num_segments: int = 4,
    max_ev: float = 3.0,
    segmentation: Segmentation = "otsu",
    feather: float = 0.0,
    fusion_weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
    fuse_input: bool = False,
    shoulder: float | None = None,
    device: str | torch.device | None = None,
    denoise: bool = True,
) -> RetouchResult:
    """Retouch a photo at full resolution with a policy trained on ``ExposureRetouch-v0`` (Alg. 3).

    Args:
        image: ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` or ``(H, W, 4)`` (alpha kept as it is),
            sRGB, at least 2×2, any byte order. uint8 and uint16 are kept; any other sample
            type (floats in ``[0, 1]``, other integers, bool) is scaled to float32 by
            :func:`exposure_env.ops.layout.as_float`.
        policy: anything with ``predict(observation, deterministic=True) -> (action, state)``
            (an SB3 model, :class:`agents.DeepExposure`), or a callable
            ``policy(observation, info, env) -> action`` as in ``train/policies.py``.
        size, num_segments, max_ev, segmentation, feather, fusion_weights, fuse_input, shoulder: as
            the env's arguments; use those the policy was trained with (``fuse_input`` also fuses the
            photo's own 0-EV frame, :func:`~exposure_env.ops.fusion.fusion_evs`; ``shoulder``, a
            knee in ``(0, 1)``, rolls off the highlights an exposure pushes past white instead of
            clipping them, :func:`~exposure_env.ops.exposure.highlight_shoulder`, in the thumbnail
            episode and in the full-resolution exposures alike).
        device: ``None`` or a CPU device fuses with OpenCV's ``MergeMertens`` (the fastest on a
            CPU); a GPU device (``"cuda"``) fuses with the torch twin there. The policy runs
            wherever it lives.
        denoise: smooth each exposure in proportion to the gain its pixels receive
            (:mod:`exposure_env.ops.clean`, on the CPU) before the fusion; ``False`` renders
            Alg. 3 as the env fuses P_T.

    Repeatability: the EVs and the fused thumbnail are always the same for the same photo and
    policy (the thumbnail episode runs OpenCV on one thread). The full-resolution fusion runs on
    the caller's OpenCV threads, for speed: with one (``cv2.setNumThreads(1)``) two calls give
    the same bytes; with several, OpenCV's parallel fusion may round a few pixels the other way,
    so two calls agree to within one code value (8 or 16 bits), as tested.

    Returns:
        A :class:`RetouchResult`: ``.image`` the retouched photo, ``.evs`` the T chosen EVs, and
        ``.fused_thumbnail`` the env's fused thumbnail.

    Raises:
        TypeError, ValueError: a bad image (wrong shape, dtype or range, smaller than 2×2), a
            policy that is neither kind, a bad env argument or a ``shoulder`` outside ``(0, 1)``.
    """
    shoulder = None if shoulder is None else check_knee(shoulder)
    photo = as_float_rgb(image, "image")  # (H, W, 3) float32: validates, and is what the env would shrink
    image = _native(image)
    evs, fused_thumbnail = _choose_exposures(
        thumbnail(photo, size), _action_fn(policy),
        size=size, num_segments=num_segments, max_ev=max_ev, segmentation=segmentation, feather=feather,
        fusion_weights=fusion_weights, fuse_input=fuse_input, shoulder=shoulder,
    )
    planes = _planes(image, photo)
    del photo  # an integer photo's float copy is not needed any more: free it before the exposures
    rendered = _render(image, planes, fusion_evs(evs, fuse_input), fusion_weights, device, denoise, shoulder)
    return RetouchResult(rendered, evs, fused_thumbnail)


def apply_exposures(
    image: np.ndarray,
    evs: tuple[float, ...] | list[float],
    fusion_weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
    fuse_input: bool = False,
    device: str | torch.device | None = None,
    denoise: bool = True,
    shoulder: float | None = None,
) -> np.ndarray:
    """Alg. 3's rendering alone: the photo exposed at each EV and fused, exactly as :func:`retouch` renders it.

    :func:`retouch` is the policy's decision on the thumbnail followed by this function. Use it
    to render a decision made elsewhere (a fixed bracket, an oracle's EVs) as ``exposure-retouch``
    would write it.

    Args:
        image: as :func:`retouch`'s ``image``.
        evs: the exposures ``e_t`` in stops.
        fusion_weights, fuse_input, device, denoise, shoulder: as :func:`retouch`.

    Returns:
        The retouched photo, as :attr:`RetouchResult.image`.

    Raises:
        TypeError, ValueError: a bad image (see :func:`retouch`), no EV or a ``shoulder`` outside ``(0, 1)``.
    """
    if len(evs) == 0:
        raise ValueError("apply_exposures: evs is empty; give at least one exposure value")
    shoulder = None if shoulder is None else check_knee(shoulder)
    photo = as_float_rgb(image, "image")  # validates
    image = _native(image)
    planes = _planes(image, photo)
    del photo
    return _render(image, planes, fusion_evs(evs, fuse_input), fusion_weights, device, denoise, shoulder)


def _render(image: np.ndarray, planes: np.ndarray, evs: tuple[float, ...], fusion_weights: tuple[float, float, float],
            device: str | torch.device | None, denoise: bool = True,
            shoulder: float | None = None) -> np.ndarray:
    """Expose ``planes`` (:func:`_planes` of ``image``) at ``evs`` (with the ``shoulder`` knee or the clip),
    clean them where ``denoise`` (:func:`~exposure_env.ops.clean.clean_exposures`), fuse them (Eq. 30–31), give
    the result ``image``'s dtype and layout."""
    # Alg. 3: I^g_t = global_filter(e_t, I0) for each e_t, then fusion by Eq. 30–31
    exposures = _exposures(planes, evs, shoulder)
    if denoise:
        exposures = clean_exposures(_codes(planes), exposures, evs, shoulder)
    grey = planes.ndim == 2
    if device is None or torch.device(device).type == "cpu":
        fused = merge_mertens(exposures, fusion_weights, grey)
    else:
        fused = _fuse_torch(exposures, grey, fusion_weights, torch.device(device))
    del exposures
    output_dtype = image.dtype if image.dtype in (np.uint8, np.uint16) else np.dtype(np.float32)
    return _restore_layout(quantise(fused, output_dtype), image)


def _codes(planes: np.ndarray) -> np.ndarray:
    """``planes`` as 8-bit codes (uint16 by its high byte, float32 by :func:`~exposure_env.ops.layout.to_uint8`)."""
    if planes.dtype == np.uint8:
        return planes
    if planes.dtype == np.uint16:
        return (planes >> 8).astype(np.uint8)
    return to_uint8(planes)


def _native(image: np.ndarray) -> np.ndarray:
    """uint8 and uint16 in native byte order (the lookup tables index with them); anything else as float32."""
    if image.dtype.kind == "u" and image.dtype.itemsize <= 2:
        return image.astype(image.dtype.newbyteorder("="), copy=False)
    return as_float(image, "image")


def _choose_exposures(
    thumbnail_image: np.ndarray, action_fn: ActionFn, **env_kwargs: Any
) -> tuple[tuple[float, ...], np.ndarray]:
    """Alg. 3's loop on S0: one env episode on ``thumbnail_image``, the EVs it chose and its P_T.

    Args:
        thumbnail_image: ``(size, size, 3)`` float32 in ``[0, 1]``; the env quantises it to S0 as
            it does any photo (a thumbnail of the env's size passes its resize unchanged).
        action_fn: ``action_fn(observation, info, env) -> action``.
        env_kwargs: the env's arguments; its reward is never used and is a constant.

    Returns:
        The T EVs in stops and the ``(size, size, 3)`` float32 fused thumbnail P_T.
    """
    threads = cv2.getNumThreads()
    try:
        env = ExposureRetouchEnv(reward=_no_reward, **env_kwargs)  # sets one OpenCV thread (repeatable results)
        observation, info = env.reset(options={"image": thumbnail_image})
        for _ in range(env.mdp.num_segments):
            observation, _, _, _, info = env.step(action_fn(observation, info, env))
    finally:
        cv2.setNumThreads(threads)  # the full-resolution fusion runs on the caller's threads
    return tuple(float(ev) for ev in info["evs"]), info["fused"]


def _no_reward(image: np.ndarray, info: dict) -> float:
    """The env's score function while retouching: nothing is learned, so nothing is scored."""
    return 0.0


def _action_fn(policy: Any) -> ActionFn:
    """``policy`` as ``action_fn(observation, info, env) -> action``."""
    if hasattr(policy, "predict"):
        return lambda observation, info, env: policy.predict(observation, deterministic=True)[0]
    if callable(policy):
        return policy
    raise TypeError(
        f"policy must have predict(observation, deterministic=True) or be a callable policy(observation, info, env); "
        f"got {type(policy).__name__}"
    )


def _planes(image: np.ndarray, photo: np.ndarray) -> np.ndarray:
    """The pixels to expose, C-contiguous: ``(H, W)`` for a grey photo, else ``(H, W, 3)``.

    Integer photos keep their dtype (for the lookup tables); float photos are ``photo``, the
    validated float32 copy. Alpha is left out.
    """
    pixels = image if np.issubdtype(image.dtype, np.integer) else photo
    if pixels.ndim == 3 and pixels.shape[2] >= 3 and not is_grey(pixels[..., :3]):
        return np.ascontiguousarray(pixels[..., :3])
    return np.ascontiguousarray(pixels if pixels.ndim == 2 else pixels[..., 0])


def _exposures(planes: np.ndarray, evs: tuple[float, ...], shoulder: float | None = None) -> list[np.ndarray]:
    """``I^g_t = expose(I0, e_t, shoulder)`` for each EV, in the form ``MergeMertens`` reads (0..255).

    Args:
        planes: ``(H, W)`` or ``(H, W, 3)``, uint8, uint16 or float32 in ``[0, 1]``.
        shoulder: as :func:`~exposure_env.ops.exposure.expose`'s.

    Returns:
        T arrays of ``planes``' shape: uint8 codes for uint8, else float32 scaled to 0..255.
        Integer photos are exposed by a lookup table, so each exposure is rounded to the
        photo's bit depth, as an exposed file would be.
    """
    if planes.dtype == np.uint8:
        return [cv2.LUT(planes, expose_lut(ev, 8, shoulder)) for ev in evs]
    if planes.dtype == np.uint16:
        return [(expose_lut(ev, 16, shoulder).astype(np.float32) * np.float32(255 / 65535))[planes] for ev in evs]
    return [expose(planes, ev, shoulder) * np.float32(255.0) for ev in evs]


def _fuse_torch(
    exposures: list[np.ndarray], grey: bool, weights: tuple[float, float, float], device: torch.device
) -> np.ndarray:
    """Eq. 30–31 with :func:`~exposure_env.ops.fusion.mertens_fusion_torch` on ``device``.

    Args:
        exposures: T ``(H, W)`` or ``(H, W, 3)`` arrays on the 0..255 scale (uint8 or float32).
        grey: the exposures are one grey channel (expanded to three on the device).

    Returns:
        ``(H, W[, 3])`` float32 on the CPU.
    """
    with torch.no_grad():
        stack = torch.stack([torch.from_numpy(exposure).to(device) for exposure in exposures])
        # x / 255 rounds as the float images mertens_fusion gets; on grey pixels of colour photos
        # that rounding decides the saturation noise (see exposure_env.ops.fusion)
        images = stack.float().div_(255.0)  # (T, H, W[, 3])
        images = images.unsqueeze(-1).expand(*images.shape, 3) if grey else images
        fused = mertens_fusion_torch(images.permute(0, 3, 1, 2).unsqueeze(0), *weights)[0]  # (3, H, W)
        fused = fused[0] if grey else fused.permute(1, 2, 0)
        return fused.cpu().numpy()


def _restore_layout(result: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Give ``result`` (``(H, W)`` grey or ``(H, W, 3)``) the layout of ``image``, its alpha included."""
    if image.ndim == 2:
        return result
    if result.ndim == 2:
        result = np.repeat(result[..., None], min(image.shape[2], 3), axis=2)
    if image.shape[2] == 4:
        alpha = image[..., 3:]
        alpha = np.clip(alpha, 0.0, 1.0) if np.issubdtype(image.dtype, np.floating) else alpha
        result = np.concatenate([result, alpha.astype(result.dtype)], axis=2)
    return result


# ----------------------------------------------------------------------------- files


def retouch_file(
    src: str | os.PathLike, dst: str | os.PathLike, policy: Any, *, max_pixels: int | None = None, **kwargs: Any
) -> RetouchResult:
    """Retouch the photo in ``src`` and write it to ``dst`` (Alg. 3 on a file).

    The photo is read by :func:`exposure_env.data.io.read_photo` (bit depth kept, turned upright
    once, sample types other than uint8/uint16 as float32), retouched by :func:`retouch` and
    written by :func:`~exposure_env.data.io.write_photo` in the format of ``dst``'s suffix (see
    :data:`~exposure_env.data.io.OUTPUT_SUFFIXES`).
    16-bit results stay 16-bit in PNG and TIFF (float results stay float in TIFF and become
    16-bit PNG), and are rounded to 8 bits for JPEG, WebP and BMP. The ICC profile, when it
    matches the pixels' colour space, is kept in JPEG, PNG, TIFF and WebP outputs; EXIF from
    JPEG, PNG and WebP sources is kept, orientation reset to 1, in JPEG, PNG, WebP and 8-bit
    TIFF outputs (16-bit TIFF gets none). JPEG drops alpha. What is left out is said by a
    :class:`~exposure_env.data.io.PhotoWarning`.

    Args:
        src: the photo.
        dst: the output file; never ``src`` itself.
        policy: see :func:`retouch`.
        max_pixels: refuse larger photos; default :data:`exposure_env.data.io.MAX_PIXELS`.
        kwargs: passed to :func:`retouch`.

    Raises:
        ValueError: ``dst`` is ``src`` or has an unsupported suffix.
        exposure_env.data.io.ImageReadError: ``src`` is missing, empty, not an image, truncated or corrupt, smaller
            than 2×2 or over the pixel limit (a ValueError naming the file).
    """
    src, dst = Path(src), Path(dst)
    if src.resolve() == dst.resolve() or (dst.exists() and src.exists() and os.path.samefile(src, dst)):
        raise ValueError(f"refusing to overwrite the input: output {dst} is the input {src}")
    output_format = output_format_of(dst)
    photo = read_photo(src, max_pixels)
    result = retouch(photo.pixels, policy, **kwargs)
    write_photo(dst, result.image, photo.icc_profile, photo.exif, output_format)
    return result


