"""The default, download-free pool: crops of the photos that ship inside scikit-image.

Each item is generated on demand and deterministically from ``(seed, split, index)``: a random
crop (position, scale, flip) of a source photo is the expert target, and its degradation in
linear light (:mod:`exposure_env.data.degrade`) is the raw photo.
"""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np
import skimage
from skimage import io as skimage_io

from exposure_env.data.degrade import degrade, random_degradation
from exposure_env.data.pool import ImagePool, Sample

#: files bundled in the scikit-image wheel (``skimage/data``), read without any download
TRAIN_SOURCES = ("astronaut.png", "coffee.png", "rocket.jpg", "motorcycle_left.png", "coins.png", "brick.png",
                 "grass.png", "gravel.png")
#: held out by source photo: one colour and one grey photo no training crop comes from
TEST_SOURCES = ("chelsea.png", "camera.png")
SPLITS = {"train": TRAIN_SOURCES, "test": TEST_SOURCES, "all": TRAIN_SOURCES + TEST_SOURCES}
DEFAULT_ITEMS = {"train": 4096, "test": 128, "all": 4096}
_SPLIT_CODES = {"train": 1, "test": 2, "all": 3}


@functools.lru_cache(maxsize=None)
def load_source(file_name: str) -> np.ndarray:
    """A bundled scikit-image photo as ``(H, W, 3)`` float32 sRGB in ``[0, 1]`` (decoded once)."""
    image = skimage_io.imread(Path(skimage.__file__).parent / "data" / file_name)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    image = image[..., :3].astype(np.float32) / 255.0
    image.setflags(write=False)
    return image


class EmbeddedPool(ImagePool):
    """Paired pool of degraded/clean crops of scikit-image's bundled photos.

    Args:
        split: ``"train"``, ``"test"`` (held-out source photos) or ``"all"``.
        n_items: number of items (default 4096 for train and all, 128 for test).
        crop_size: side of the square crops in pixels.
        seed: varies every crop and degradation.
    """

    paired = True
    has_experts = True

    def __init__(self, split: str = "train", n_items: int | None = None, crop_size: int = 96, seed: int = 0):
        if split not in SPLITS:
            raise ValueError(f"EmbeddedPool: unknown split {split!r}; expected one of {tuple(SPLITS)}")
        if crop_size < 8:
            raise ValueError(f"EmbeddedPool: crop_size must be >= 8, got {crop_size}")
        n_items = DEFAULT_ITEMS[split] if n_items is None else n_items
        if n_items < 1:
            raise ValueError(f"EmbeddedPool: n_items must be >= 1, got {n_items}")
        self.split, self.n_items, self.crop_size, self.seed = split, int(n_items), int(crop_size), int(seed)
        self.sources = SPLITS[split]

    def __len__(self) -> int:
        return self.n_items

    def __getitem__(self, index: int) -> Sample:
        if not 0 <= index < self.n_items:
            raise IndexError(f"EmbeddedPool index {index} out of range [0, {self.n_items})")
        rng = np.random.default_rng([self.seed, _SPLIT_CODES[self.split], int(index)])
        source, clean = self._clean_crop(int(index), rng)
        raw = degrade(clean, random_degradation(rng))
        return Sample(raw=raw, target=clean, name=f"{Path(source).stem}/{index}")

    def expert(self, rng: np.random.Generator) -> np.ndarray:
        """A clean crop of this split (unpaired with any raw photo drawn alongside)."""
        index = int(rng.integers(self.n_items))
        return self._clean_crop(index, np.random.default_rng([self.seed, _SPLIT_CODES[self.split], index]))[1]

    def _clean_crop(self, index: int, rng: np.random.Generator) -> tuple[str, np.ndarray]:
        source = self.sources[index % len(self.sources)]
        photo = load_source(source)
        height, width = photo.shape[:2]
        side = int(rng.uniform(0.3, 1.0) * min(height, width))
        top, left = int(rng.integers(0, height - side + 1)), int(rng.integers(0, width - side + 1))
        crop = photo[top : top + side, left : left + side]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        clean = cv2.resize(np.ascontiguousarray(crop), (self.crop_size, self.crop_size), interpolation=cv2.INTER_AREA)
        return source, clean
