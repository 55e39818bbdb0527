"""Round 6's training pools: photos people made, each paired with a synthetic raw photo made from it, alone or
beside the paired frames of sice_sequences/train.

Every photo of the given folders (``photos_by_people/natural``, ``fivek_unpaired/expert``: photos whose look
people chose) becomes a pair: the photo, shrunk to ``--side`` pixels (area), is the target, and its
degradation by the embedded pool's own model of exposure errors (:func:`exposure_env.data.degrade.degrade`:
spatially varying gains in linear light, a tonal-band shift, mild gamma and contrast jitter, seeded by the
photo's index) is the raw photo. With ``--sice``, the sice frames and their fusions are linked beside them (not
copied). The pool trains
with ``exposure-train --reward reference``: its reward is the negative RMSE of P_T to the pair's target, so
the people's photos teach the look people chose, where no critic built here could (round 2).

Development data only (never shipped, never committed): the pool goes under ``runs/``.

    python docs/results/human_taste/round6/people_pairs.py --out runs/taste6/pool \\
        --sice ../shared/data/sice_sequences/train ../shared/data/photos_by_people/natural \\
        ../shared/data/photos_by_people/fivek_unpaired/expert
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import cv2
import numpy as np

from exposure_env.data.degrade import degrade, random_degradation
from exposure_env.data.folder import list_images
from exposure_env.data.io import read_image
from exposure_env.ops.layout import to_uint8
from train.console import progress
from train.evaluate import shrink


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("people", nargs="+", type=Path, help="folders of photos people made (searched recursively)")
    parser.add_argument("--sice", type=Path, default=None, help="paired raw/ + expert/ frames to link beside them")
    parser.add_argument("--out", type=Path, required=True, help="the pool folder to make (raw/ + expert/)")
    parser.add_argument("--side", type=int, default=256, help="longest side of the people's pairs (default: 256)")
    parser.add_argument("--copies", type=int, default=1,
                        help="degradations drawn of each photo, each its own pair (default: 1)")
    parser.add_argument("--global-ev", type=float, nargs=2, default=None, metavar=("LOW", "HIGH"),
                        help="draw the whole photo's exposure error uniform in [LOW, HIGH] stops instead of the "
                             "embedded pool's [-2.5, 1.5] (the rest of the degradation as drawn)")
    args = parser.parse_args()
    (args.out / "raw").mkdir(parents=True)
    (args.out / "expert").mkdir()
    for raw in sorted((args.sice / "raw").iterdir()) if args.sice else []:
        (args.out / "raw" / raw.name).symlink_to(raw.resolve())
        (args.out / "expert" / raw.name).symlink_to((args.sice / "expert" / raw.name).resolve())
    photos = [path for folder in args.people for path in list_images(folder, recursive=True)]
    for number, path in enumerate(progress(photos, desc="people's pairs", unit="photo")):
        photo = shrink(read_image(path), args.side)
        target = cv2.cvtColor(to_uint8(photo), cv2.COLOR_RGB2BGR)
        for copy in range(args.copies):
            index = number * args.copies + copy
            rng = np.random.default_rng(index)
            params = random_degradation(rng)
            if args.global_ev is not None:
                params = dataclasses.replace(params, global_ev=float(rng.uniform(*args.global_ev)))
            name = f"people_{index:04d}.png"
            cv2.imwrite(str(args.out / "expert" / name), target)
            cv2.imwrite(str(args.out / "raw" / name), cv2.cvtColor(to_uint8(degrade(photo, params)), cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    main()
