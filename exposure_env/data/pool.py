"""The image-pool contract every data source of the environment follows.

A pool is an indexable, deterministic collection of :class:`Sample` s. The environment draws
an index with its own seeded generator, so a pool holds no random state of its own.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Sample:
    """One photo of a pool.

    Attributes:
        raw: ``(H, W, 3)`` float32 sRGB in ``[0, 1]``: the photo the agent retouches (M3).
        target: ``(H, W, 3)`` float32 sRGB in ``[0, 1]`` of the same size, or ``None`` when the
            pool is unpaired: the expert retouch of ``raw``.
        name: a stable, human-readable identifier (file name or ``source/crop-index``).
    """

    raw: np.ndarray
    target: np.ndarray | None
    name: str


class ImagePool(abc.ABC):
    """Abstract pool of raw photos (M3) and, optionally, expert photos (M2).

    Subclasses implement ``__len__``, ``__getitem__`` and, when they have experts,
    ``expert``. ``paired`` is True when every sample carries its own ``target``.
    """

    #: every :class:`Sample` has a ``target`` of the same size as ``raw``
    paired: bool = False
    #: :meth:`expert` returns photos (experts may be unpaired)
    has_experts: bool = False

    @abc.abstractmethod
    def __len__(self) -> int:
        """Number of raw photos."""

    @abc.abstractmethod
    def __getitem__(self, index: int) -> Sample:
        """The ``index``-th raw photo; the same index always gives the same sample."""

    def sample(self, rng: np.random.Generator) -> Sample:
        """A raw photo drawn uniformly with ``rng``."""
        return self[int(rng.integers(len(self)))]

    def expert(self, rng: np.random.Generator) -> np.ndarray:
        """An expert photo (M2) drawn with ``rng``: ``(H, W, 3)`` float32 sRGB in ``[0, 1]``."""
        raise NotImplementedError(f"{type(self).__name__} has no expert photos")
