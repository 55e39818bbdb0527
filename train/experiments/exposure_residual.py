"""How far is the best single exposure from global auto-exposure, photo by photo?

For each photo of an embedded split, prepared as the env does (S0 at ``--size``): the EV that
global auto-exposure picks (mean linear luminance to mid-grey, ``train.policies``) and the best
single EV for the PSNR to the target (``agents.oracle.best_global_ev``). The residual between the
two is what a policy must predict from the photo to beat auto-exposure with one exposure.

    python -m train.experiments.exposure_residual --photos 256
"""

from __future__ import annotations

import argparse

import numpy as np
from tqdm import tqdm

from agents.oracle import best_global_ev
from exposure_env.data import EmbeddedPool
from exposure_env.env import prepare_photo
from exposure_env.metrics import psnr
from exposure_env.ops.exposure import expose
from train.policies import ev_to_mid_grey


def residuals(split: str, photos: int, size: int, max_ev: float) -> dict[str, float]:
    """Auto-exposure EV vs best single EV on ``photos`` photos of ``split``: their spread, correlation, PSNRs."""
    pool = EmbeddedPool(split, n_items=photos)
    auto, best, auto_psnr, best_psnr = [], [], [], []
    for index in tqdm(range(photos), desc=split, unit="photo"):
        sample = pool[index]
        photo = prepare_photo(sample.raw, sample.target, size, 1, "otsu", 0.0)
        auto.append(float(np.clip(ev_to_mid_grey(photo.original_u8.reshape(-1, 3)), -max_ev, max_ev)))
        best.append(best_global_ev(photo.original, photo.target, max_ev))
        auto_psnr.append(psnr(expose(photo.original, auto[-1]), photo.target))
        best_psnr.append(psnr(expose(photo.original, best[-1]), photo.target))
    auto_evs, best_evs = np.array(auto), np.array(best)
    return {"photos": photos, "best EV std": best_evs.std(), "residual std": (best_evs - auto_evs).std(),
            "residual mean": (best_evs - auto_evs).mean(), "correlation": np.corrcoef(auto_evs, best_evs)[0, 1],
            "auto-exposure PSNR": np.mean(auto_psnr), "best single EV PSNR": np.mean(best_psnr)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m train.experiments.exposure_residual", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=256, help="training photos (held-out: 16, as evaluated)")
    parser.add_argument("--size", type=int, default=64, help="S0 side (default: 64)")
    parser.add_argument("--max-ev", type=float, default=3.0, help="EV range ±max_ev (default: 3)")
    args = parser.parse_args(argv)
    if args.photos < 2:
        parser.error(f"--photos must be >= 2, got {args.photos}")
    rows = {"train": residuals("train", args.photos, args.size, args.max_ev),
            "test (held out)": residuals("test", 16, args.size, args.max_ev)}
    keys = list(next(iter(rows.values())))
    print("| split | " + " | ".join(keys) + " |")
    print("|---|" + "---|" * len(keys))
    for split, row in rows.items():
        print(f"| {split} | " + " | ".join(f"{row[key]:.2f}" if key != "photos" else str(row[key]) for key in keys) + " |")


if __name__ == "__main__":
    main()
