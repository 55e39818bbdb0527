"""MIT-Adobe FiveK in its usual export layouts, pointed to by path (never downloaded here).

FiveK ships camera-raw DNGs and five experts' retouches; training code uses exports of them
(TIFF, PNG or JPEG) laid out as one input folder beside one folder per expert.
"""

from __future__ import annotations

import os
from pathlib import Path

from exposure_env.data.folder import FolderPool
from exposure_env.data.io import IMAGE_EXTENSIONS

#: names (case-insensitive) of the input-photo folder, tried in this order
INPUT_FOLDER_NAMES = ("input", "inputs", "raw", "original", "source")
#: names of expert X's folder, tried in this order; ``{x}`` is the letter, matched in any case
EXPERT_FOLDER_PATTERNS = ("expert{x}", "expert_{x}", "expert-{x}", "{x}", "expert{x}_gt", "tiff16_{x}", "output{x}")
EXPERTS = "ABCDE"


def _find_folder(root: Path, names: tuple[str, ...]) -> Path | None:
    """The sub-folder of ``root`` whose lower-cased name comes first in ``names``, if any."""
    by_lower_name = {child.name.lower(): child for child in root.iterdir() if child.is_dir()}
    return next((by_lower_name[name] for name in names if name in by_lower_name), None)


class FiveKPool(FolderPool):
    """FiveK input photos paired with one expert's retouch by file stem.

    Accepted layouts under ``root`` (folder names case-insensitive): an input folder named
    one of :data:`INPUT_FOLDER_NAMES` (``input``, ``inputs``, ``raw``, ``original``,
    ``source``) beside an expert folder named after :data:`EXPERT_FOLDER_PATTERNS`; for
    ``expert="C"``: ``expertC``, ``expert_C``, ``expert-C``, ``C``, ``expertC_gt``,
    ``tiff16_c`` or ``outputC``. Exports nested one level more in both folders
    (e.g. ``input/JPG/480p`` and ``expertC/JPG/480p``) are reached with ``subdir``.

    Args:
        root: the dataset folder.
        expert: which expert, ``"A"``-``"E"`` (C is the usual choice).
        subdir: a relative path appended to both the input and the expert folder.
        linear: the input files hold linear-light values (e.g. linear 16-bit TIFF exports).
        extensions: file suffixes to consider.

    Raises:
        ValueError: unknown expert, ``root`` missing, or no accepted layout under ``root`` (the
            message lists the folder names looked for); and as :class:`FolderPool`.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        expert: str = "C",
        subdir: str | os.PathLike | None = None,
        linear: bool = False,
        extensions: tuple[str, ...] = IMAGE_EXTENSIONS,
    ):
        if len(expert) != 1 or expert.upper() not in EXPERTS:
            raise ValueError(f"FiveKPool: expert must be one of {', '.join(EXPERTS)}; got {expert!r}")
        root = Path(root)
        if not root.is_dir():
            raise ValueError(f"FiveKPool: {root} is not a directory")
        expert_names = tuple(pattern.format(x=expert.lower()) for pattern in EXPERT_FOLDER_PATTERNS)
        input_dir, expert_dir = _find_folder(root, INPUT_FOLDER_NAMES), _find_folder(root, expert_names)
        if input_dir is None or expert_dir is None:
            raise ValueError(
                f"FiveKPool: no FiveK layout in {root}; looked for an input folder named one of "
                f"{', '.join(INPUT_FOLDER_NAMES)} and an expert folder named one of {', '.join(expert_names)} "
                f"(any case)"
            )
        if subdir is not None:
            input_dir, expert_dir = input_dir / subdir, expert_dir / subdir
        self.root, self.expert_name = root, expert.upper()
        super().__init__(input_dir, expert_dir, paired=True, linear=linear, extensions=extensions)
