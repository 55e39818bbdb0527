"""Pools of photos in folders: raw photos (M3) and, optionally, expert photos (M2).

Unreadable files never crash a run: they are reported with ``logging.warning`` (logger
``exposure_env.data.folder``) naming the file and the reason, recorded in
``FolderPool.bad_files`` and skipped.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from exposure_env.atomic import is_temporary
from exposure_env.data.io import IMAGE_EXTENSIONS, UNREAD_FORMATS, ImageReadError, check_image, read_image
from exposure_env.data.pool import ImagePool, Sample
from exposure_env.ops.color import linear_to_srgb

logger = logging.getLogger(__name__)


def scan_images(folder: Path, extensions: tuple[str, ...] = IMAGE_EXTENSIONS, recursive: bool = False
                ) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Image files in ``folder`` (suffix in ``extensions``, any case), sorted by path, and the files left out that
    a user would take for photos, each with its reason.

    Left out by name: photos of a format that is not read (:data:`~exposure_env.data.io.UNREAD_FORMATS`:
    HEIC, camera raw...), links to nothing, temporary files an interrupted write left
    (:func:`~exposure_env.atomic.is_temporary`) and, with ``recursive``, a linked folder met twice (a
    loop). Linked sub-folders are followed. Other files (sidecars, ``.DS_Store``) are left out quietly.

    Raises:
        ValueError: ``folder`` is not a directory, or holds no image file (the message says
            when it holds camera-raw ``.dng`` files instead, which must be exported first).
    """
    if not folder.is_dir():
        raise ValueError(f"{folder}: not a directory")
    images: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for path in _entries(folder, recursive, skipped):
        suffix = path.suffix.lower()
        if is_temporary(path):
            skipped.append((path, "a temporary file left by an interrupted write; delete it"))
        elif path.is_symlink() and not path.exists():
            skipped.append((path, "a link to nothing (its target is missing)"))
        elif not path.is_file():
            continue
        elif suffix in extensions:
            images.append(path)
        elif suffix in UNREAD_FORMATS:
            skipped.append((path, UNREAD_FORMATS[suffix]))
    if not images:
        raw_count = sum(path.suffix.lower() == ".dng" for path, _ in skipped)
        hint = f"; its {raw_count} .dng camera-raw files must be exported to TIFF/PNG/JPEG first" if raw_count else ""
        raise ValueError(f"{folder}: no image files with suffix {'/'.join(extensions)}{hint}")
    return sorted(images), sorted(skipped)


def _entries(folder: Path, recursive: bool, skipped: list[tuple[Path, str]]) -> list[Path]:
    """Every entry of ``folder`` but sub-folders (with ``recursive``: of its sub-folders too, links followed once;
    a folder already seen under another name goes to ``skipped``)."""
    if not recursive:
        return [path for path in folder.iterdir() if not path.is_dir()]
    entries, seen = [], {folder.resolve()}
    for root, folders, files in os.walk(folder, followlinks=True):
        folders.sort(key=lambda name: (os.path.islink(os.path.join(root, name)), name))  # folders before links
        for name in list(folders):
            real = (Path(root) / name).resolve()
            if real in seen:
                folders.remove(name)
                skipped.append((Path(root) / name, f"a folder scanned already under another name ({real})"))
            seen.add(real)
        entries += [Path(root) / name for name in files]
    return entries


def list_images(folder: Path, extensions: tuple[str, ...] = IMAGE_EXTENSIONS, recursive: bool = False) -> list[Path]:
    """:func:`scan_images`'s images; each file it leaves out by name is logged (``logging.warning``).

    Raises:
        ValueError: as :func:`scan_images`.
    """
    images, skipped = scan_images(folder, extensions, recursive)
    for path, reason in skipped:
        logger.warning("skipping %s: %s", path, reason)
    return images


def _stem_key(path: Path, folder: Path) -> str:
    """The pairing key of ``path``: its path below ``folder`` without the suffix (``"sub/a0001"``)."""
    return path.relative_to(folder).with_suffix("").as_posix()


class FolderPool(ImagePool):
    """Photos from ``raw_dir`` and, optionally, expert photos from ``expert_dir``.

    At construction every file gets a cheap header check (:func:`~exposure_env.data.io.check_image`)
    so bad files are reported up front; pixels are only decoded when an item is read. A file
    that fails only then (corrupt data behind a good header) is reported and the pool serves
    the next readable photo instead (index ``i`` then gives the sample of ``i + 1``, wrapping).
    Paired raw and expert photos of different sizes are reported and skipped the same way.

    Attributes:
        bad_files: ``str(path) -> reason`` for every file skipped so far.
        raw_files: readable raw photos, sorted; ``pool[i]`` reads ``raw_files[i]``.
        expert_files: readable expert photos, sorted.

    Args:
        raw_dir: folder of photos to retouch.
        expert_dir: folder of expert photos (M2), or ``None``.
        paired: pair raw and expert photos by file stem (name without suffix, so ``a.dng.tif``
            never pairs with ``a.jpg`` but ``a.tif`` does). ``None``: paired when every raw file
            has an expert file of the same stem. ``True``: raw photos without a readable
            partner are reported and skipped. ``False``: experts are an unpaired pool.
        linear: raw files hold linear-light values (e.g. 16-bit linear TIFF): they are encoded
            to sRGB on load. Expert files are always read as sRGB.
        extensions: file suffixes to consider (lower case, with the dot).
        recursive: also list files in sub-folders (pairing keys then include the sub-folder).

    Raises:
        ValueError: a folder is missing or holds no readable image; ``paired=True`` without
            ``expert_dir`` or with no raw photo that has a partner.
    """

    def __init__(
        self,
        raw_dir: str | os.PathLike,
        expert_dir: str | os.PathLike | None = None,
        paired: bool | None = None,
        linear: bool = False,
        extensions: tuple[str, ...] = IMAGE_EXTENSIONS,
        recursive: bool = False,
    ):
        self.raw_dir = Path(raw_dir)
        self.expert_dir = None if expert_dir is None else Path(expert_dir)
        self.linear = linear
        self.bad_files: dict[str, str] = {}
        if paired and self.expert_dir is None:
            raise ValueError(f"{self.raw_dir}: paired=True needs an expert_dir")
        raw_files = self._scan(self.raw_dir, extensions, recursive)
        expert_files = [] if self.expert_dir is None else self._scan(self.expert_dir, extensions, recursive)
        experts_by_key = {_stem_key(path, self.expert_dir): path for path in expert_files}
        if paired is None:
            paired = bool(experts_by_key) and all(_stem_key(p, self.raw_dir) in experts_by_key for p in raw_files)
        self.paired = paired
        self.expert_files = self._readable(expert_files)
        if self.expert_dir is not None and not self.expert_files:
            raise ValueError(f"{self.expert_dir}: no readable image ({len(expert_files)} files, all unreadable)")
        self.has_experts = bool(self.expert_files)
        readable_experts = set(self.expert_files)
        self._experts_by_key = {key: path for key, path in experts_by_key.items() if path in readable_experts}
        if self.paired:
            raw_files = self._with_partner(raw_files)
        self.raw_files = self._readable(raw_files)
        if not self.raw_files:
            raise ValueError(f"{self.raw_dir}: no readable image ({len(self.bad_files)} files skipped)")

    def __len__(self) -> int:
        return len(self.raw_files)

    def __getitem__(self, index: int) -> Sample:
        """Raw photo ``index`` (and its expert when paired); skips to the next if it is unreadable.

        Raises:
            IndexError: ``index`` outside ``[0, len(self))``.
            ValueError: every file turned out unreadable.
        """
        index = int(index)
        if not 0 <= index < len(self.raw_files):
            raise IndexError(f"FolderPool index {index} out of range [0, {len(self.raw_files)})")
        for offset in range(len(self.raw_files)):
            path = self.raw_files[(index + offset) % len(self.raw_files)]
            if str(path) not in self.bad_files:
                sample = self._read_sample(path)
                if sample is not None:
                    return sample
        raise ValueError(f"{self.raw_dir}: no readable image left ({len(self.bad_files)} files skipped)")

    def expert(self, rng: np.random.Generator) -> np.ndarray:
        """An expert photo drawn uniformly with ``rng`` among those still readable."""
        if not self.expert_files:
            raise NotImplementedError(f"{self.raw_dir}: this FolderPool has no expert_dir")
        while candidates := [path for path in self.expert_files if str(path) not in self.bad_files]:
            path = candidates[int(rng.integers(len(candidates)))]
            try:
                return read_image(path)
            except ImageReadError as error:
                self._report(path, str(error))
        raise ValueError(f"{self.expert_dir}: no readable expert image left")

    def _read_sample(self, path: Path) -> Sample | None:
        """The sample of raw file ``path``, or ``None`` after reporting why it is unusable."""
        expert_path = self._experts_by_key[_stem_key(path, self.raw_dir)] if self.paired else None
        try:
            raw = read_image(path)
            target = None if expert_path is None else read_image(expert_path)
        except ImageReadError as error:
            self._report(path, str(error))
            return None
        if target is not None and target.shape != raw.shape:
            self._report(path, f"raw is {raw.shape[1]}x{raw.shape[0]} but its expert {expert_path.name} is "
                               f"{target.shape[1]}x{target.shape[0]}")
            return None
        return Sample(raw=linear_to_srgb(raw) if self.linear else raw, target=target,
                      name=path.relative_to(self.raw_dir).as_posix())

    def _with_partner(self, raw_files: list[Path]) -> list[Path]:
        """Raw files that have a readable expert of the same stem; the others are reported."""
        kept = []
        for path in raw_files:
            if _stem_key(path, self.raw_dir) in self._experts_by_key:
                kept.append(path)
            else:
                self._report(path, f"no readable expert photo of the same stem in {self.expert_dir}")
        if not kept:
            raise ValueError(f"{self.raw_dir}: paired, but no raw photo has an expert photo of the same stem "
                             f"in {self.expert_dir}")
        return kept

    def _scan(self, folder: Path, extensions: tuple[str, ...], recursive: bool) -> list[Path]:
        """:func:`scan_images` of ``folder``; the files it leaves out by name are reported."""
        images, skipped = scan_images(folder, extensions, recursive)
        for path, reason in skipped:
            self._report(path, reason)
        return images

    def _readable(self, paths: list[Path]) -> list[Path]:
        """``paths`` that pass the header check; the others are reported."""
        readable = []
        for path in paths:
            try:
                check_image(path)
                readable.append(path)
            except ImageReadError as error:
                self._report(path, str(error))
        return readable

    def _report(self, path: Path, reason: str) -> None:
        reason = reason.removeprefix(f"{path}: ")  # ImageReadError messages start with the path
        self.bad_files[str(path)] = reason
        logger.warning("skipping %s: %s", path, reason)
