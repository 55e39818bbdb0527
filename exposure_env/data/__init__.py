"""Image pools: the embedded default, folders of photos, MIT-Adobe FiveK."""

from __future__ import annotations

import os
from pathlib import Path

from exposure_env.data.degrade import DegradationParams, degrade, random_degradation
from exposure_env.data.embedded import EmbeddedPool
from exposure_env.data.fivek import FiveKPool
from exposure_env.data.folder import FolderPool
from exposure_env.data.io import ImageReadError, read_image
from exposure_env.data.pool import ImagePool, Sample

__all__ = [
    "DegradationParams",
    "EmbeddedPool",
    "FiveKPool",
    "FolderPool",
    "ImagePool",
    "ImageReadError",
    "Sample",
    "degrade",
    "make_pool",
    "random_degradation",
    "read_image",
]


def make_pool(pool: ImagePool | str | os.PathLike | None = None, seed: int = 0) -> ImagePool:
    """Resolve the env's ``pool=`` argument to an :class:`ImagePool`.

    ``None`` or ``"embedded"`` -> ``EmbeddedPool(seed=seed)`` (the training split; ``seed`` picks
    its crops and degradations and is used by embedded pools only);
    ``"embedded:<split>"`` (e.g. ``"embedded:test"``) -> that split; an :class:`ImagePool` ->
    itself; a path (``str`` or ``os.PathLike``) to a folder: with a ``raw/`` sub-folder ->
    ``FolderPool(path/raw, path/expert)`` (the expert folder when it exists: paired by file name
    when every raw photo has one, else unpaired experts), otherwise ``FolderPool(path)``.

    Raises:
        ValueError: an unknown split, or a string/path that is neither ``embedded[:split]``
            nor an existing folder.
        TypeError: any other type.
    """
    if pool is None:
        return EmbeddedPool(seed=seed)
    if isinstance(pool, ImagePool):
        return pool
    if isinstance(pool, str) and (pool == "embedded" or pool.startswith("embedded:")):
        return EmbeddedPool(pool.partition(":")[2] or "train", seed=seed)
    if isinstance(pool, (str, os.PathLike)):
        if not Path(pool).is_dir():
            raise ValueError(f"pool {os.fspath(pool)!r} is neither 'embedded[:split]' nor an existing folder")
        raw, expert = Path(pool) / "raw", Path(pool) / "expert"
        if raw.is_dir():
            return FolderPool(raw, expert if expert.is_dir() else None)
        return FolderPool(pool)
    raise TypeError(
        f"pool must be None, 'embedded[:split]', a folder path or an ImagePool; got {type(pool).__name__}"
    )
