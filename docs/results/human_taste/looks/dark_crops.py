"""1:1 crops of real_dev's darkest frames, as exposure-retouch writes them: raw | the default look | the people look.
The frames are every eighth of real_dev's darkest third (by the raw frame's mean L*, as human_taste's table), each
crop the frame's central 256-px window. real_dev has no target: the picture shows how far each look lifts a dark
frame, and what the lift does to its noise.

    python docs/results/human_taste/looks/dark_crops.py docs/results/human_taste/looks/real_dev_dark_crops.jpg
"""

import sys

import numpy as np
from PIL import Image

from agents.packaged import load_packaged_policy
from exposure_env.data import FolderPool
from exposure_env.ops.layout import to_uint8
from exposure_env.retouch import retouch
from train.arguments import DEVELOPMENT_DATA
from train.experiments.human_taste import darkest_third

CROP, EVERY = 256, 8

if __name__ == "__main__":
    looks = [load_packaged_policy(look) for look in ("fusion", "people")]
    pool = FolderPool(DEVELOPMENT_DATA / "real_dev" / "sice")
    rows = []
    for index in darkest_third(pool)[::EVERY]:
        photo = to_uint8(pool[index].raw)
        images = [photo, *(retouch(photo, policy, **policy.env_kwargs).image for policy in looks)]
        top, left = (photo.shape[0] - CROP) // 2, (photo.shape[1] - CROP) // 2
        crops = [image[top:top + CROP, left:left + CROP] for image in images]
        rows.append(np.concatenate([np.pad(crop, ((0, 4), (0, 4), (0, 0)), constant_values=255) for crop in crops],
                                   axis=1))
    Image.fromarray(np.concatenate(rows, axis=0)).save(sys.argv[1], quality=90)
    print(f"wrote {sys.argv[1]}")
