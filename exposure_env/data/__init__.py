"""Image pools: the embedded default, folders of photos, MIT-Adobe FiveK.

The classes below are imported on first use (as in :mod:`exposure_env`), so that importing a light
module of this package (:mod:`exposure_env.data.formats`, for a tool's ``--help``) does not load
torch or OpenCV.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import lazy_loader

if TYPE_CHECKING:
    from exposure_env.data.pool import ImagePool

__getattr__, __dir__, _LAZY = lazy_loader.attach(__name__, submod_attrs={
    "degrade": ["DegradationParams", "degrade", "random_degradation"],
    "embedded": ["EmbeddedPool"],
    "fivek": ["FiveKPool"],
    "folder": ["FolderPool"],
    "io": ["ImageReadError", "read_image"],
    "pool": ["ImagePool", "Sample"],
})
__all__ = sorted([*_LAZY, "make_pool"])


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
    from exposure_env.data.embedded import EmbeddedPool
    from exposure_env.data.folder import FolderPool
    from exposure_env.data.pool import ImagePool

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
