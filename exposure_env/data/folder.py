"""Pools of photos in folders: raw photos (M3) and, optionally, expert photos (M2)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
from PIL import Image

from exposure_env.data.io import IMAGE_EXTENSIONS, ImageReadError, read_image
from exposure_env.data.pool import ImagePool, Sample
from exposure_env.ops.color import linear_to_srgb

logger = logging.getLogger(__name__)


def list_images(folder: Path, extensions: tuple[str, ...] = IMAGE_EXTENSIONS) -> list[Path]:
    """Image files directly in ``folder`` (by extension, case-insensitive), sorted by name."""
    if not folder.is_dir():
        raise ValueError(f"{folder}: not a directory")
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in extensions)


def _header_problem(path: Path) -> str | None:
    """A cheap check (Pillow header + verify): the reason ``path`` is unusable, or ``None``."""
    if path.stat().st_size == 0:
        return "empty file"
    try:
        with Image.open(path) as image:
            image.verify()
    except Exception as error:  # Pillow raises many types for bad files; each becomes a reason
        return f"not a readable image ({error.__class__.__name__}: {error})"
    return None


class FolderPool(ImagePool):
    """Photos from ``raw_dir`` and, optionally, expert photos from ``expert_dir``.

    Unreadable files are logged (``logging.warning`` on ``exposure_env.data.folder``) with
    their name and reason, recorded in ``bad_files`` and skipped: a bad file found only when
    it is read (e.g. truncated data behind a good header) makes the pool serve the next
    readable photo instead of crashing a run.

    Args:
        raw_dir: folder of photos to retouch.
        expert_dir: folder of expert photos (M2), or ``None``.
        paired: pair raw and expert photos by file stem. ``None`` pairs when every raw photo
            has an expert of the same stem; ``True`` requires it.
        linear: files hold linear-light values (e.g. 16-bit linear TIFF): encode to sRGB on load.
        extensions: file suffixes to consider.
    """

    def __init__(
        self,
        raw_dir: str | os.PathLike,
        expert_dir: str | os.PathLike | None = None,
        paired: bool | None = None,
        linear: bool = False,
        extensions: tuple[str, ...] = IMAGE_EXTENSIONS,
    ):
        self.raw_dir = Path(raw_dir)
        self.expert_dir = None if expert_dir is None else Path(expert_dir)
        self.linear = linear
        self.bad_files: dict[str, str] = {}
        self.raw_files = self._readable(list_images(self.raw_dir, extensions))
        if not self.raw_files:
            raise ValueError(f"{self.raw_dir}: no readable image ({len(self.bad_files)} unreadable)")
        self.expert_files: list[Path] = []
        if self.expert_dir is not None:
            self.expert_files = self._readable(list_images(self.expert_dir, extensions))
            if not self.expert_files:
                raise ValueError(f"{self.expert_dir}: no readable expert image")
        experts_by_stem = {p.stem: p for p in self.expert_files}
        all_paired = bool(experts_by_stem) and all(p.stem in experts_by_stem for p in self.raw_files)
        if paired and not all_paired:
            missing = [p.name for p in self.raw_files if p.stem not in experts_by_stem][:5]
            raise ValueError(f"{self.raw_dir}: paired=True but no expert photo of the same name for {missing}")
        self.paired = all_paired if paired is None else bool(paired)
        self.has_experts = bool(self.expert_files)
        self._experts_by_stem = experts_by_stem

    def __len__(self) -> int:
        return len(self.raw_files)

    def __getitem__(self, index: int) -> Sample:
        for offset in range(len(self.raw_files)):
            path = self.raw_files[(index + offset) % len(self.raw_files)]
            if str(path) in self.bad_files:
                continue
            try:
                raw = self._load(path)
                target = self._load(self._experts_by_stem[path.stem]) if self.paired else None
            except ImageReadError as error:
                self._report(path, str(error))
                continue
            if target is not None and target.shape != raw.shape:
                self._report(path, f"expert photo is {target.shape[:2]}, raw is {raw.shape[:2]}")
                continue
            return Sample(raw=raw, target=target, name=path.name)
        raise ValueError(f"{self.raw_dir}: no readable image left ({len(self.bad_files)} unreadable)")

    def expert(self, rng: np.random.Generator) -> np.ndarray:
        if not self.expert_files:
            raise NotImplementedError(f"{self.raw_dir}: this FolderPool has no expert_dir")
        for _ in range(len(self.expert_files)):
            path = self.expert_files[int(rng.integers(len(self.expert_files)))]
            try:
                return self._load(path)
            except ImageReadError as error:
                self._report(path, str(error))
        raise ValueError(f"{self.expert_dir}: no readable expert image left")

    def _load(self, path: Path) -> np.ndarray:
        image = read_image(path)
        return linear_to_srgb(image) if self.linear else image

    def _readable(self, paths: list[Path]) -> list[Path]:
        good = []
        for path in paths:
            problem = _header_problem(path)
            if problem is None:
                good.append(path)
            else:
                self._report(path, problem)
        return good

    def _report(self, path: Path, reason: str) -> None:
        self.bad_files[str(path)] = reason
        logger.warning("skipping %s: %s", path, reason)
