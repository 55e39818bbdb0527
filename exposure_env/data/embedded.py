"""The default, download-free pool: crops of the photos that ship inside scikit-image's wheel.

Each item is generated on demand and deterministically from ``(seed, split, index)``: a random
crop (position, scale, flip) of a source photo, resized with ``cv2.INTER_AREA``, is the expert
target, and its degradation in linear light (:mod:`exposure_env.data.degrade`) is the raw photo.
Source photos are decoded once per process. Files are read straight from ``skimage/data``,
never through scikit-image's ``pooch`` fetcher, so nothing is ever downloaded.
"""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np
import skimage
from PIL import Image

from exposure_env.data.degrade import degrade, random_degradation
from exposure_env.data.pool import ImagePool, Sample

#: the folder of photos bundled in the scikit-image wheel
SKIMAGE_DATA_DIR = Path(skimage.__file__).parent / "data"
#: colour photos of natural scenes bundled with scikit-image (name -> file in ``SKIMAGE_DATA_DIR``)
COLOUR_SOURCES = {
    "astronaut": "astronaut.png",
    "chelsea": "chelsea.png",
    "coffee": "coffee.png",
    "motorcycle_left": "motorcycle_left.png",
    "rocket": "rocket.jpg",
}
#: grey photos of natural scenes bundled with scikit-image, expanded to three channels
GREY_SOURCES = {
    "brick": "brick.png",
    "camera": "camera.png",
    "coins": "coins.png",
    "grass": "grass.png",
    "gravel": "gravel.png",
    "moon": "moon.png",
}
#: sources whose tones are stretched once at load: the moon photo spans only sRGB 0.23-0.55
AUTO_LEVELLED_SOURCES = ("moon",)
#: held out by source photo: no training crop comes from these (one colour, one grey)
TEST_SOURCES = ("chelsea", "camera")
TRAIN_SOURCES = tuple(name for name in (*COLOUR_SOURCES, *GREY_SOURCES) if name not in TEST_SOURCES)
SPLITS = {"train": TRAIN_SOURCES, "test": TEST_SOURCES, "all": TRAIN_SOURCES + TEST_SOURCES}
#: colour photos are drawn this many times as often as grey ones, so colour dominates each split
COLOUR_WEIGHT = 2
DEFAULT_ITEMS = {"train": 4096, "test": 128, "all": 4096}
#: crops cover this share of the source photo's shorter side (uniform)
CROP_SCALE_RANGE = (0.3, 1.0)
_SPLIT_CODES = {"train": 1, "test": 2, "all": 3}


def auto_level(image: np.ndarray, low_percentile: float = 0.5, high_percentile: float = 99.5) -> np.ndarray:
    """Stretch tones linearly so the given percentiles land on sRGB 0.05 and 0.95 (then clip)."""
    low, high = np.percentile(image, [low_percentile, high_percentile])
    stretched = 0.05 + (image - low) * (0.9 / max(float(high - low), 1e-6))
    return np.clip(stretched, 0.0, 1.0).astype(np.float32)


@functools.lru_cache(maxsize=None)
def load_source(name: str) -> np.ndarray:
    """A bundled source photo as read-only ``(H, W, 3)`` float32 sRGB in ``[0, 1]`` (decoded once).

    Args:
        name: a key of :data:`COLOUR_SOURCES` or :data:`GREY_SOURCES`.
    """
    file_name = COLOUR_SOURCES.get(name) or GREY_SOURCES[name]
    with Image.open(SKIMAGE_DATA_DIR / file_name) as image:
        photo = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    if name in AUTO_LEVELLED_SOURCES:
        photo = auto_level(photo)
    photo.setflags(write=False)
    return photo


@functools.lru_cache(maxsize=None)
def _source_pyramid_level(name: str, level: int) -> np.ndarray:
    """:func:`load_source` halved ``level`` times with ``cv2.INTER_AREA`` (read-only, cached)."""
    if level == 0:
        return load_source(name)
    finer = _source_pyramid_level(name, level - 1)
    photo = cv2.resize(finer, (finer.shape[1] // 2, finer.shape[0] // 2), interpolation=cv2.INTER_AREA)
    photo.setflags(write=False)
    return photo


def _weighted_slots(sources: tuple[str, ...]) -> tuple[str, ...]:
    """Sources repeated by weight; item ``i`` comes from slot ``i % len(slots)``."""
    return tuple(name for name in sources for _ in range(COLOUR_WEIGHT if name in COLOUR_SOURCES else 1))


class EmbeddedPool(ImagePool):
    """Paired pool of degraded/clean crops of scikit-image's bundled photos.

    Items cycle through the split's sources (colour photos :data:`COLOUR_WEIGHT` times as
    often as grey ones), so any ``n_items`` of at least one cycle covers every source.
    Item ``i`` is named ``"<source>/<i>"``.

    Args:
        split: ``"train"`` (:data:`TRAIN_SOURCES`), ``"test"`` (:data:`TEST_SOURCES`, held out
            by source photo) or ``"all"``.
        n_items: number of items; default 4096 for train and all, 128 for test.
        crop_size: side of the square crops in pixels, at least 8.
        seed: varies every crop and degradation.
    """

    paired = True
    has_experts = True

    def __init__(self, split: str = "train", n_items: int | None = None, crop_size: int = 96, seed: int = 0):
        if split not in SPLITS:
            raise ValueError(f"EmbeddedPool: unknown split {split!r}; expected one of {tuple(SPLITS)}")
        if crop_size < 8:
            raise ValueError(f"EmbeddedPool: crop_size must be >= 8, got {crop_size}")
        n_items = DEFAULT_ITEMS[split] if n_items is None else int(n_items)
        if n_items < 1:
            raise ValueError(f"EmbeddedPool: n_items must be >= 1, got {n_items}")
        self.split, self.n_items, self.crop_size, self.seed = split, n_items, int(crop_size), int(seed)
        self.sources = SPLITS[split]
        self._slots = _weighted_slots(self.sources)

    def __len__(self) -> int:
        return self.n_items

    def __getitem__(self, index: int) -> Sample:
        """Item ``index``: ``raw`` = degraded crop, ``target`` = the clean crop, both ``(crop, crop, 3)``."""
        index = int(index)
        if not 0 <= index < self.n_items:
            raise IndexError(f"EmbeddedPool index {index} out of range [0, {self.n_items})")
        rng = np.random.default_rng([self.seed, _SPLIT_CODES[self.split], index])
        source = self._slots[index % len(self._slots)]
        clean = self._clean_crop(source, rng)
        raw = degrade(clean, random_degradation(rng))
        return Sample(raw=raw, target=clean, name=f"{source}/{index}")

    def expert(self, rng: np.random.Generator) -> np.ndarray:
        """A fresh clean crop of this split's sources, drawn with ``rng``.

        Expert crops are drawn from ``rng`` alone, independently of the items' seeded streams,
        so they are unpaired with the raw photos (almost never the target of one).
        """
        source = self._slots[int(rng.integers(len(self._slots)))]
        return self._clean_crop(source, rng)

    def _clean_crop(self, source: str, rng: np.random.Generator) -> np.ndarray:
        """A random square crop (scale, position, flip) of ``source`` resized to ``crop_size``.

        The crop is cut from the coarsest pyramid level that still holds at least
        ``crop_size`` pixels across it, so resizing costs the same for any crop scale.
        """
        height, width = load_source(source).shape[:2]
        side = int(rng.uniform(*CROP_SCALE_RANGE) * min(height, width))
        top, left = int(rng.integers(0, height - side + 1)), int(rng.integers(0, width - side + 1))
        level = max(0, int(np.log2(side / self.crop_size)))
        scale = 2**level
        top, left, side = top // scale, left // scale, side // scale
        crop = _source_pyramid_level(source, level)[top : top + side, left : left + side]
        clean = cv2.resize(crop, (self.crop_size, self.crop_size), interpolation=cv2.INTER_AREA)
        return clean[:, ::-1].copy() if rng.random() < 0.5 else clean
