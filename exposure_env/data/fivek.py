"""MIT-Adobe FiveK in its usual export layouts, pointed to by path (never downloaded here)."""

from __future__ import annotations

import os
from pathlib import Path

from exposure_env.data.folder import FolderPool

#: folder names (case-insensitive) that hold the input photos
INPUT_NAMES = ("input", "inputs", "raw", "original", "source")
#: folder names for expert X ("{x}" is the letter A–E, any case)
EXPERT_PATTERNS = ("expert{x}", "expert_{x}", "expert-{x}", "{x}", "expert{x}_tif", "output{x}")


def _find(root: Path, names: list[str]) -> Path | None:
    by_lower = {child.name.lower(): child for child in root.iterdir() if child.is_dir()}
    return next((by_lower[name] for name in names if name in by_lower), None)


class FiveKPool(FolderPool):
    """FiveK photos paired with one expert's retouch, by file name.

    Accepted layouts under ``root`` (names case-insensitive): an input folder named one of
    ``input, inputs, raw, original, source`` beside an expert folder named ``expertC``,
    ``expert_C``, ``expert-C``, ``C``, ``expertC_tif`` or ``outputC`` (for ``expert="C"``).

    Args:
        root: the dataset folder.
        expert: which expert, ``"A"``–``"E"`` (C is the usual choice).
        linear: the input files hold linear-light values (e.g. linear 16-bit TIFF exports).
    """

    def __init__(self, root: str | os.PathLike, expert: str = "C", linear: bool = False):
        root = Path(root)
        if expert.upper() not in "ABCDE" or len(expert) != 1:
            raise ValueError(f"FiveKPool: expert must be one of A, B, C, D, E; got {expert!r}")
        if not root.is_dir():
            raise ValueError(f"FiveKPool: {root} is not a directory")
        expert_names = [pattern.format(x=expert.lower()) for pattern in EXPERT_PATTERNS]
        input_dir, expert_dir = _find(root, list(INPUT_NAMES)), _find(root, expert_names)
        if input_dir is None or expert_dir is None:
            raise ValueError(
                f"FiveKPool: {root} has no FiveK layout; looked for an input folder named one of "
                f"{INPUT_NAMES} and an expert folder named one of {tuple(expert_names)}"
            )
        super().__init__(input_dir, expert_dir, paired=True, linear=linear)
