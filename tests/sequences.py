"""Tiny synthetic bracketed sequences in the ``raw/`` + ``expert/`` layout (no real data needed)."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from exposure_env.ops.exposure import expose
from exposure_env.ops.fusion import mertens_fusion


def write_sequences(root, sequences: int = 2, evs: tuple[float, ...] = (-2.0, 0.0, 1.5), size: int = 48) -> None:
    """Tiny bracketed "sequences" in the documented ``raw/`` + ``expert/`` layout: each frame's expert is
    the Mertens fusion of its whole sequence (as in a real multi-exposure set)."""
    rng = np.random.default_rng(3)
    (root / "raw").mkdir(parents=True)
    (root / "expert").mkdir()
    for sequence in range(sequences):
        coarse = rng.uniform(0.05, 0.9, (6, 6, 3)).astype(np.float32)
        scene = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC).clip(0, 1)
        frames = [expose(scene, ev) for ev in evs]
        target = np.rint(mertens_fusion(np.stack(frames)) * 255).astype(np.uint8)
        for rank, frame in enumerate(frames):
            Image.fromarray(np.rint(frame * 255).astype(np.uint8)).save(root / "raw" / f"s{sequence:03d}_{rank}.png")
            Image.fromarray(target).save(root / "expert" / f"s{sequence:03d}_{rank}.png")
