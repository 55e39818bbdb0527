"""Round 5's picture: raw | the segment's place | the same trained with the input fused | expert C, on five fivek dev
photos, each decision rendered as exposure-retouch renders it (the 512-px photo; shown 340 px high).

    python docs/results/human_taste/round5/compare.py runs/taste3/ensemble-auto-place-32k_seed0/model.zip \
        runs/taste5/place-input-32k_seed0/model.zip
"""

import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from exposure_env.data.io import read_photo
from exposure_env.retouch import retouch
from train import evaluate
from train.arguments import DEVELOPMENT_DATA

PHOTOS = (0, 3, 5, 8, 12)  # sorted file indices of fivek_dev/raw
SIDE, SHOWN = 512, 340


def shrink(image: np.ndarray, height: int | None = None) -> np.ndarray:
    scale = (SIDE / max(image.shape[:2])) if height is None else height / image.shape[0]
    return cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                      interpolation=cv2.INTER_AREA)


if __name__ == "__main__":
    models = [evaluate.load_model(Path(path), "deepexposure-discriminator") for path in sys.argv[1:]]
    folder = DEVELOPMENT_DATA / "photos_by_people" / "fivek_dev"
    files = sorted((folder / "raw").iterdir())
    rows = []
    for index in PHOTOS:
        raw = shrink(read_photo(files[index]).pixels)
        expert = cv2.resize(read_photo(next((folder / "expert").glob(files[index].stem + ".*"))).pixels,
                            (raw.shape[1], raw.shape[0]), interpolation=cv2.INTER_AREA)
        outputs = [raw, *(retouch(raw, model, **model.retouch_settings()).image for model in models), expert]
        rows.append(np.concatenate([shrink(output, SHOWN) for output in outputs], axis=1))
    width = max(row.shape[1] for row in rows)
    rows = [np.pad(row, ((0, 6), (0, width - row.shape[1]), (0, 0)), constant_values=255) for row in rows]
    out = Path(__file__).with_name("place_input_vs_place.jpg")
    Image.fromarray(np.concatenate(rows, axis=0)).save(out, quality=88)
    print(f"wrote {out}")
