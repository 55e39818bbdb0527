"""Round 9's 1:1 crops on sice dev: raw | the fusion recipe clipped | the fusion look (shoulder 0.1) | target,
both as exposure-retouch writes the 512-px frame. Two sheets of four frames each: where the shoulder loses most
PSNR against the clipped recipe (the crop where the two differ most), and where the clipped render blows most
pixels to white (the crop holding most of them).

    python docs/results/human_taste/round9/crops.py runs/taste9/clip_seed0/model.zip docs/results/human_taste/round9
"""

import sys
from pathlib import Path

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

ROWS, CROP, STRIDE = 4, 160, 3


def window(score: np.ndarray) -> tuple[int, int]:
    """Top-left corner of the CROP-px window where ``score`` (H, W) sums highest."""
    summed = cv2.blur(score.astype(np.float32), (CROP, CROP))
    y, x = np.unravel_index(np.argmax(summed), summed.shape)
    height, width = score.shape
    return int(np.clip(y - CROP // 2, 0, height - CROP)), int(np.clip(x - CROP // 2, 0, width - CROP))


def sheet(frames: list[tuple], path: Path) -> None:
    rows = []
    for (top, left), images in frames:
        crops = [to_uint8(image[top:top + CROP, left:left + CROP]) for image in images]
        rows.append(np.concatenate([np.pad(crop, ((0, 4), (0, 4), (0, 0)), constant_values=255) for crop in crops],
                                   axis=1))
    Image.fromarray(np.concatenate(rows, axis=0)).save(path, quality=92)
    print(f"wrote {path}")


if __name__ == "__main__":
    clipped = evaluate.load_model(Path(sys.argv[1]), "deepexposure-discriminator")
    look = load_packaged_policy()
    out = Path(sys.argv[2])
    folder = DEVELOPMENT_DATA / "sice_sequences" / "dev"
    pool = FolderPool(folder / "raw", folder / "expert")
    frames = []
    for index in range(0, len(pool), STRIDE):
        raw_u8 = to_uint8(pool[index].raw)
        before = retouch(raw_u8, clipped, **clipped.retouch_settings()).image.astype(np.float32) / 255
        after = retouch(raw_u8, look, **look.env_kwargs).image.astype(np.float32) / 255
        raw, target = pool[index].raw, pool[index].target
        blown = before.min(axis=2) >= 254 / 255
        frames.append({"loss": psnr(before, target) - psnr(after, target), "blown": int(blown.sum()),
                       "worst_at": window(np.abs(after - before).mean(axis=2)), "blown_at": window(blown),
                       "images": (raw, before, after, target)})
    worst = sorted(frames, key=lambda frame: -frame["loss"])[:ROWS]
    sheet([(frame["worst_at"], frame["images"]) for frame in worst], out / "crops_worst.jpg")
    blown = sorted(frames, key=lambda frame: -frame["blown"])[:ROWS]
    sheet([(frame["blown_at"], frame["images"]) for frame in blown], out / "crops_highlights.jpg")
    print("PSNR lost to the shoulder on the worst frames (dB):", ", ".join(f"{frame['loss']:.2f}" for frame in worst))
