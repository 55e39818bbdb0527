"""Real photos: train DeepExposure on real bracketed sequences, judge it on sequences it never saw.

The data is ``sice_sequences`` (see its README; research, non-commercial use only, never shipped):
real tripod sequences of 3–10 exposures, each frame paired with the Mertens fusion of its whole
sequence. Training uses ``train/`` and evaluation ``dev/`` (other scenes).

Rungs (DeepExposure II, discriminator as value, actor starting at global auto-exposure):
  critic     the packaged critic, kept fixed (``exposure-train --reward critic``): no paired target
             is used in training
  gan        the paper's GAN reward, retrained between roll-outs against ``train/expert`` as a whole
             (M2: fusions of any training sequence, never drawn with the raw frame they belong to)
  reference  −RMSE to the paired target: a diagnostic of the learner, since it uses the pairs

Each run is ``exposure-train`` itself (kept in ``<out>/runs/<rung>_seed<k>``, skipped when its
``model.zip`` exists, so an interrupted experiment resumes). Then one evaluation on the dev frames
(``exposure-eval``'s) scores every model beside identity, auto-exposure, CLAHE, the ±1.5 and ±2 EV
brackets and both oracles, all at the same ``--max-ev``.

Writes into ``--out`` (default ``reports/real_sequences``):
  results.md    learned rows (mean ± std over seeds) and the fixed rows: PSNR, SSIM, ΔE2000,
                packaged-critic score, clipped highlight and shadow shares
  results.csv   one row per method and per run
  grid.png      before/after on 8 frames spread over dev: raw | each fixed method | each rung's first
                seed | target
  runs/         each exposure-train run (model, curves, its own report)

    python -m train.experiments.real_sequences --data ../shared/data/sice_sequences --seeds 3
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import gymnasium as gym
import numpy as np

import exposure_env  # noqa: F401  (registers the env)
from exposure_env.files import atomic_write
from train import evaluate, train
from train.experiments.reward_shaping import mean_std

RUNGS = ("critic", "gan", "reference")
ROW_METRICS = (("psnr", 2), ("ssim", 3), ("delta_e", 2), ("score", 1), ("highlights", 3), ("shadows", 3))


def train_run(rung: str, seed: int, args: argparse.Namespace) -> Path:
    """``exposure-train`` for one rung and seed (skipped when its model exists); returns the model path."""
    folder = args.out / "runs" / f"{rung}_seed{seed}"
    if not (folder / "model.zip").is_file():
        code = train.main(["--pool", str(args.data / "train"), "--eval-pool", str(args.data / "dev"),
                           "--reward", rung, "--max-ev", str(args.max_ev), "--steps", str(args.steps),
                           "--seed", str(seed), "--n-images", str(args.n_images), "--eval-photos", "32",
                           "--out", str(folder)])
        if code != 0:
            raise SystemExit(f"real_sequences: exposure-train failed for {rung}, seed {seed} (exit {code})")
    return folder / "model.zip"


def results_table(rows: dict[str, dict]) -> str:
    """Markdown: learned rows (mean ± std over seeds), then the fixed rows, all from one exposure-eval."""
    header = ["| method | seeds | PSNR dB ↑ | SSIM ↑ | ΔE2000 ↓ | packaged-critic score ↑ | highlights ≥254 ↓ | "
              "shadows ≤1 ↓ |", "|---|---|---|---|---|---|---|---|"]
    learned: dict[str, list[dict]] = defaultdict(list)
    fixed = []
    for name, row in rows.items():
        rung, _, seed = name.rpartition("_seed")
        if rung in RUNGS and seed.isdigit():
            learned[rung].append(row)
        else:
            fixed.append(row)
    lines = []
    for rung, group in learned.items():
        cells = [mean_std([float(row[metric]) for row in group], digits) for metric, digits in ROW_METRICS]
        lines.append(f"| DeepExposure II, {rung} reward | {len(group)} | " + " | ".join(cells) + " |")
    for row in fixed:
        cells = [f"{float(row[metric]):.{digits}f}" for metric, digits in ROW_METRICS]
        lines.append(f"| {row['method']} | – | " + " | ".join(cells) + " |")
    return "\n".join(header + lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.experiments.real_sequences", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/sice_sequences"),
                        help="folder with train/ and dev/, each raw/ + expert/ (default: ../shared/data/sice_sequences)")
    parser.add_argument("--rungs", nargs="+", default=list(RUNGS), choices=RUNGS, help="rewards to train with")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per rung: 0..N-1 (default: 3)")
    parser.add_argument("--steps", type=int, default=8192, help="environment steps per run (default: 8192)")
    parser.add_argument("--n-images", type=int, default=64, help="photos per roll-out (default: 64)")
    parser.add_argument("--max-ev", type=float, default=5.0, help="EV range of policies and oracles (default: 5)")
    parser.add_argument("--photos", type=int, default=None, help="dev frames to evaluate (default: all)")
    parser.add_argument("--out", type=Path, default=Path("reports/real_sequences"), help="report folder")
    args = parser.parse_args(argv)
    for split in ("train", "dev"):
        if not (args.data / split / "raw").is_dir():
            parser.error(f"--data {args.data}: no {split}/raw folder (expected the sice_sequences layout)")
    if args.seeds < 1 or args.steps < 1:
        parser.error("--seeds and --steps must be >= 1")
    return args


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    models = {f"{rung}_seed{seed}": train_run(rung, seed, args) for seed in range(args.seeds) for rung in args.rungs}
    env = gym.make("ExposureRetouch-v0", pool=str(args.data / "dev"), max_ev=args.max_ev)
    photos = min(args.photos or len(env.unwrapped.pool), len(env.unwrapped.pool))
    methods = {**evaluate.reference_methods(paired=True),
               **{name: evaluate.policy_method(evaluate.model_policy(evaluate.load_model(path, "deepexposure")))
                  for name, path in models.items()}}
    rows, images = evaluate.evaluate(env, methods, photos)
    evaluate.write_tables(rows, args.out)
    # the grid: fixed methods and each rung's first seed, on frames spread over the whole dev set (its
    # files are sorted by sequence, so the first rows would all show one scene)
    rows_shown = np.unique(np.linspace(0, photos - 1, min(8, photos)).round().astype(int))
    later_seeds = tuple(f"_seed{seed}" for seed in range(1, args.seeds))
    shown = {name: dict(enumerate(pictures[index] for index in rows_shown))
             for name, pictures in images.items() if not name.endswith(later_seeds)}
    evaluate.write_grid(shown, len(rows_shown), args.out)
    header = (f"`sice_sequences/dev`: {photos} real frames of 40 sequences never trained on, 64×64, T = 4, "
              f"EVs within ±{args.max_ev:g}; {args.steps} env steps per run on `train/` ({args.n_images} photos per "
              f"roll-out). Target: the Mertens fusion of the frame's whole sequence. Per-run rows: results.csv.\n\n")
    table = header + results_table({row["method"]: row for row in rows})
    atomic_write(args.out / "results.md", lambda path: Path(path).write_text(table))
    print(table)
    return table


if __name__ == "__main__":
    main()
