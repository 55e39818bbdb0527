"""An unpaired pool of expert photos (M2) gathered from several folders.

The critic of the paper learns from photos whose look people chose, of any scene, with no pairing
to the raw photos the agent retouches (M3). Such photos usually come from several collections
(``photos_by_people/natural/*``, ``fivek_unpaired/expert``...): :class:`ExpertPool` reads them
once, keeps their thumbnails in memory and draws among all of them uniformly.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from exposure_env.data.folder import list_images
from exposure_env.data.io import ImageReadError, read_image
from exposure_env.data.pool import ImagePool, Sample
from exposure_env.ops.resize import thumbnail


class ExpertPool(ImagePool):
    """Expert photos from ``folders`` (searched recursively), kept as ``size``-pixel thumbnails.

    Unpaired: ``pool[i]`` is expert photo ``i`` with no target, and :meth:`expert` draws one
    uniformly over every folder's photos (a folder weighs by its number of photos).

    Args:
        folders: folders of expert photos; sub-folders are read too.
        size: side of the square thumbnails kept (:func:`~exposure_env.ops.resize.thumbnail`),
            the critic's input size.

    Attributes:
        files: the photos read, sorted within each folder, in ``folders`` order.
        bad_files: ``str(path) -> reason`` for every file that could not be read (skipped).

    Raises:
        ValueError: a folder is missing or has no image file, or no photo could be read.
    """

    paired = False
    has_experts = True

    def __init__(self, folders: list[str | os.PathLike], size: int = 64):
        if not folders:
            raise ValueError("ExpertPool: no folder given")
        self.files: list[Path] = []
        self.bad_files: dict[str, str] = {}
        thumbnails = []
        for folder in folders:
            for path in list_images(Path(folder), recursive=True):
                try:
                    thumbnails.append(thumbnail(read_image(path), size))
                except ImageReadError as error:
                    self.bad_files[str(path)] = str(error)
                    continue
                self.files.append(path)
        if not thumbnails:
            raise ValueError(f"ExpertPool: no readable photo in {', '.join(map(str, folders))}")
        self.thumbnails = np.stack(thumbnails)  # (N, size, size, 3) float32

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> Sample:
        return Sample(self.thumbnails[int(index)], None, self.files[int(index)].as_posix())

    def expert(self, rng: np.random.Generator) -> np.ndarray:
        """A ``(size, size, 3)`` float32 expert thumbnail drawn uniformly with ``rng``."""
        return self.thumbnails[int(rng.integers(len(self.files)))]
