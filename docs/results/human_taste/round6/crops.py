"""Round 6's 1:1 crops: raw | the shipped policy | a model | expert C, on the fivek dev photos where the model is
furthest from the expert (lowest PSNR at 512 px), each crop the 192-px window where its error is largest. Every
decision is rendered as exposure-retouch renders the 512-px photo.

    python docs/results/human_taste/round6/crops.py runs/taste6/peopleonly-ref-place-input-32k_seed0/model.zip \
        docs/results/human_taste/round6/crops_worst.jpg
"""

import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from agents.packaged import load_packaged_policy
from exposure_env.data.io import read_photo
from exposure_env.metrics import psnr
from exposure_env.retouch import retouch
from train import evaluate
from train.arguments import DEVELOPMENT_DATA

ROWS, CROP = 4, 192

if __name__ == "__main__":
    model = evaluate.load_model(Path(sys.argv[1]), "deepexposure-discriminator")
    shipped = load_packaged_policy()
    folder = DEVELOPMENT_DATA / "photos_by_people" / "fivek_dev"
    photos = []
    for raw_file in sorted((folder / "raw").iterdir()):
        raw = read_photo(raw_file).pixels
        expert = cv2.resize(read_photo(next((folder / "expert").glob(raw_file.stem + ".*"))).pixels,
                            (raw.shape[1], raw.shape[0]), interpolation=cv2.INTER_AREA)
        ours = retouch(raw, model, **model.retouch_settings()).image
        photos.append((psnr(ours / 255.0, expert / 255.0), raw, retouch(raw, shipped, **shipped.env_kwargs).image, ours,
                       expert))
    rows = []
    for _, raw, before, ours, expert in sorted(photos, key=lambda photo: photo[0])[:ROWS]:
        error = cv2.blur(np.abs(ours.astype(np.float32) - expert.astype(np.float32)).mean(axis=2), (CROP, CROP))
        y, x = np.unravel_index(np.argmax(error), error.shape)
        top = int(np.clip(y - CROP // 2, 0, raw.shape[0] - CROP))
        left = int(np.clip(x - CROP // 2, 0, raw.shape[1] - CROP))
        crops = [image[top:top + CROP, left:left + CROP] for image in (raw, before, ours, expert)]
        rows.append(np.concatenate([np.pad(crop, ((0, 4), (0, 4), (0, 0)), constant_values=255) for crop in crops],
                                   axis=1))
    Image.fromarray(np.concatenate(rows, axis=0)).save(sys.argv[2], quality=90)
    print(f"wrote {sys.argv[2]}")
