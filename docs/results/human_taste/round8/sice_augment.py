"""Round 8's augmented fusion pool: each raw frame of sice_sequences/train and its target (the fusion of its
sequence), as they are and as ``--copies - 1`` more pairs, each a mirror image and/or a random square-ish crop
(the same window of raw and target, 60-100 % of each side), so that the learner sees more scenes than the 124
sequences give. The frames themselves are linked, not copied; the new pairs keep the frame's size (crops are
resized back to it) and are written as JPEG, quality 95.

Development data only (never shipped, never committed): the pool goes under ``runs/``.

    python docs/results/human_taste/round8/sice_augment.py ../shared/data/sice_sequences/train \\
        --out runs/taste8/sice_aug --copies 4
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from train.console import progress


def augment(raw: np.ndarray, target: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One random mirror-and-crop of a ``(H, W, 3)`` pair, the same for both, at the pair's own size."""
    height, width = raw.shape[:2]
    crop_h, crop_w = (int(round(side * rng.uniform(0.6, 1.0))) for side in (height, width))
    top, left = int(rng.integers(0, height - crop_h + 1)), int(rng.integers(0, width - crop_w + 1))
    flip = bool(rng.integers(0, 2))
    out = []
    for image in (raw, target):
        image = image[top:top + crop_h, left:left + crop_w]
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if crop_h >= height else cv2.INTER_CUBIC)
        out.append(image[:, ::-1] if flip else image)
    return out[0], out[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sice", type=Path, help="paired raw/ + expert/ frames")
    parser.add_argument("--out", type=Path, required=True, help="the pool folder to make (raw/ + expert/)")
    parser.add_argument("--copies", type=int, default=4, help="pairs per frame, the frame itself first (default: 4)")
    args = parser.parse_args()
    (args.out / "raw").mkdir(parents=True)
    (args.out / "expert").mkdir()
    frames = sorted((args.sice / "raw").iterdir())
    for number, path in enumerate(progress(frames, desc="augmented pairs", unit="frame")):
        (args.out / "raw" / f"{path.stem}_0.jpg").symlink_to(path.resolve())  # the frame itself, linked
        (args.out / "expert" / f"{path.stem}_0.jpg").symlink_to((args.sice / "expert" / path.name).resolve())
        raw, target = cv2.imread(str(path)), cv2.imread(str(args.sice / "expert" / path.name))
        rng = np.random.default_rng(number)
        for copy in range(1, args.copies):
            pair = augment(raw, target, rng)
            name = f"{path.stem}_{copy}.jpg"
            cv2.imwrite(str(args.out / "raw" / name), np.ascontiguousarray(pair[0]), [cv2.IMWRITE_JPEG_QUALITY, 95])
            cv2.imwrite(str(args.out / "expert" / name), np.ascontiguousarray(pair[1]), [cv2.IMWRITE_JPEG_QUALITY, 95])


if __name__ == "__main__":
    main()
