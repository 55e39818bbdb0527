"""Round 6's 1:1 crops: raw | the shipped policy | a model | expert C, on the fivek dev photos where the model is
furthest from the expert (lowest PSNR at 512 px), each crop the 192-px window where its error is largest. Every
decision is rendered as exposure-retouch renders the 512-px photo.

    python docs/results/human_taste/round6/crops.py runs/taste6/peopleonly-ref-place-input-32k_seed0/model.zip \
        docs/results/human_taste/round6/crops_worst.jpg
"""

import sys
from pathlib import Path
from typing import Any, Callable

import cv2
import numpy as np
from PIL import Image

from agents.packaged import load_packaged_policy
from exposure_env.data import FolderPool
from exposure_env.metrics import psnr
from exposure_env.ops.layout import to_uint8
from exposure_env.retouch import retouch
from train import evaluate
from train.arguments import DEVELOPMENT_DATA

ROWS, CROP, SIDE = 4, 192, 512


def renders(policy: Any, settings: dict) -> Callable[[np.ndarray], np.ndarray]:
    """``render(photo)`` as exposure-retouch writes it (float32 ``code / 255``), for :func:`evaluate.judged_pair`."""
    return lambda photo: retouch(to_uint8(photo), policy, **settings).image.astype(np.float32) / np.float32(255.0)


if __name__ == "__main__":
    model = evaluate.load_model(Path(sys.argv[1]), "deepexposure-discriminator")
    shipped = load_packaged_policy()
    folder = DEVELOPMENT_DATA / "photos_by_people" / "fivek_dev"
    pool = FolderPool(folder / "raw", folder / "expert")
    photos = []
    for index in range(len(pool)):
        ours, expert = evaluate.judged_pair(pool, index, renders(model, model.retouch_settings()), SIDE)
        before, _ = evaluate.judged_pair(pool, index, renders(shipped, shipped.env_kwargs), SIDE)
        photos.append((psnr(ours, expert), evaluate.shrink(pool[index].raw, SIDE), before, ours, expert))
    rows = []
    for _, *images in sorted(photos, key=lambda photo: photo[0])[:ROWS]:
        raw, _, ours, expert = images
        error = cv2.blur(np.abs(ours - expert).mean(axis=2), (CROP, CROP))
        y, x = np.unravel_index(np.argmax(error), error.shape)
        top = int(np.clip(y - CROP // 2, 0, raw.shape[0] - CROP))
        left = int(np.clip(x - CROP // 2, 0, raw.shape[1] - CROP))
        crops = [to_uint8(image[top:top + CROP, left:left + CROP]) for image in images]
        rows.append(np.concatenate([np.pad(crop, ((0, 4), (0, 4), (0, 0)), constant_values=255) for crop in crops],
                                   axis=1))
    Image.fromarray(np.concatenate(rows, axis=0)).save(sys.argv[2], quality=90)
    print(f"wrote {sys.argv[2]}")
