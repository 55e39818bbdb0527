"""Score quickstart policies on one embedded pool's held-out split, by source kind, and draw the Kodak grid.

Run with the code of the pool to judge on ``PYTHONPATH`` (the pool before Kodak or after): every model and the
fixed methods of :func:`train.evaluate.reference_methods` play the same photos, the first ``--photos`` items of
``embedded:test``. Rows are written for the Kodak crops and the scikit-image crops apart and, where the split has
both, for all of them (their photo-weighted mean; no r(L*) there). ``--grid`` draws one row per held-out Kodak photo: raw | both auto-exposures | each
model | clean target, each decision rendered at 384 px as ``exposure-retouch`` would.

    PYTHONPATH=. python docs/results/kodak_embedded/held_out.py --pool-label kodak --photos 128 \
        --model base_s0=runs/base_s0/model.zip kodak_s0=runs/kodak_s0/model.zip --out held_out_kodak.csv --grid grid.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

FIELDS = ["pool", "subset", "photos", "method", "score", "psnr", "ssim", "delta_e", "lightness_error", "lightness_r",
          "highlights", "shadows", "lightness"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pool-label", required=True, help="what the code on PYTHONPATH is: base or kodak")
    parser.add_argument("--photos", type=int, default=128)
    parser.add_argument("--model", nargs="+", required=True, metavar="NAME=PATH")
    parser.add_argument("--out", type=Path, required=True, help="CSV of the rows")
    parser.add_argument("--grid", type=Path, default=None, help="PNG: one row per held-out Kodak photo")
    args = parser.parse_args()
    import gymnasium as gym

    import exposure_env  # noqa: F401  (registers the env)
    from train.common import write_csv
    from train.evaluate import (evaluate, grid_images, load_model, model_policy, policy_method, reference_methods,
                                source_rows, write_grid)

    env = gym.make("ExposureRetouch-v0", pool="embedded:test", size=64, num_segments=4, max_ev=3.0)
    pool = env.unwrapped.pool
    models = dict(item.split("=", 1) for item in args.model)
    agents = {name: policy_method(model_policy(load_model(Path(path)))) for name, path in models.items()}
    methods = {**reference_methods(paired=True), **agents}
    names = [pool[index].name for index in range(args.photos)]
    subsets = {"kodak": [i for i, name in enumerate(names) if name.startswith("kodim")],
               "scikit-image": [i for i, name in enumerate(names) if not name.startswith("kodim")]}
    rows = []
    for subset, indices in subsets.items():
        if indices:
            subset_rows, _ = evaluate(env, methods, indices)
            rows += [{"pool": args.pool_label, "subset": subset, "photos": len(indices), **row} for row in subset_rows]
    if all(subsets.values()):  # all photos: the photo-weighted mean of the subsets' means (r(L*) is not a mean)
        for method in methods:
            parts = [row for row in rows if row["method"] == method]
            mean = {key: sum(row[key] * row["photos"] for row in parts) / args.photos
                    for key in FIELDS[4:] if key != "lightness_r"}
            rows.append({"pool": args.pool_label, "subset": "all", "photos": args.photos, "method": method, **mean})
    write_csv(args.out, rows, FIELDS)
    if args.grid is not None:
        kodak_rows = [index for index in source_rows(pool, args.photos, 64) if names[index].startswith("kodim")]
        grid_methods = {name: methods[name] for name in ("global auto-exposure", "global auto-exposure, log-average")}
        images = grid_images(env, {**grid_methods, **agents}, kodak_rows)
        write_grid(images, len(kodak_rows), args.grid.parent, args.grid.name)


if __name__ == "__main__":
    main()
