"""Real photos: train DeepExposure on real bracketed sequences, judge it on sequences it never saw.

The data is ``sice_sequences`` (see its README; research, non-commercial use only, never shipped):
real tripod sequences of 3–10 exposures, each frame paired with the Mertens fusion of its whole
sequence. Training uses ``train/`` and evaluation ``dev/`` (other scenes).

Rungs (DeepExposure II, discriminator as value, actor starting at global auto-exposure):
  critic     a pre-trained critic, kept fixed (``exposure-train --reward critic``): no paired target
             is used in training
  gan        the paper's GAN reward: the critic retrained between roll-outs against ``train/expert``
             as a whole (M2: fusions of any training sequence, never drawn with the raw frame they
             belong to)
  reference  −RMSE to the paired target: a diagnostic of the learner, since it uses the pairs

The critic and gan rungs run once per ``--critics`` entry: a shipped critic (``embedded``, trained
on the embedded photos; ``real``, trained on ``train/`` with the sequences' fusions as M2;
``ensemble``, the two as one, ``python -m train.ensemble_critic``) or ``NAME=PATH`` for any critic
built by ``python -m train.pretrain_critic`` or ``train.ensemble_critic``.

Each run is ``exposure-train`` itself, as a Ray Tune trial (``train.trials``): its files are the
trial's checkpoint in ``<out>/tune/``, and an interrupted experiment, run again with the same
``--out`` and arguments, resumes there. Then one evaluation on the dev frames
(``exposure-eval``'s) scores every model beside identity, auto-exposure, CLAHE, the ±1.5 and ±2 EV
brackets and both oracles, all at the same ``--max-ev``.

Writes into ``--out`` (default ``reports/real_sequences``):
  results.md    learned rows (mean ± std over seeds) and the fixed rows: PSNR, SSIM, ΔE2000,
                packaged-critic score, clipped highlight and shadow shares; twice: judged on the
                64-pixel result P_T, and each decision rendered on the frame at --render-side
                pixels against the target at that size (as exposure-retouch applies it)
  results.csv   one row per method and per run (64 pixels); results_<side>px.csv the same rendered
  grid.png      before/after on 6 frames spread over dev, 160 pixels: raw | the fixed methods but
                the ±1.5 EV bracket | each rung's first seed | target
  tune/         the Ray Tune experiment: each trial's checkpoint is its exposure-train folder (model,
                curves, its own report)

    python -m train.experiments.real_sequences --data ../shared/data/sice_sequences --seeds 3 \\
        --critics embedded real ensemble
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

import gymnasium as gym
import numpy as np

import exposure_env  # noqa: F401  (registers the env)
from exposure_env.metrics import clipped_shares
from train import evaluate, train
from train.common import critic_entries, mean_std, write_csv, write_report
from train.trials import add_tune_arguments, check_tune_arguments, run_grid

RUNGS = ("critic", "gan", "reference")
#: the algorithm of every run, given to exposure-train and to the loader (run models saved before models
#: recorded their algorithm do not name it)
ALGORITHM = "deepexposure-discriminator"
#: grid.png: frames shown, and their longer side in pixels (12 columns)
GRID_ROWS, GRID_SIDE_REAL = 6, 160
#: arguments only the evaluation after the trials reads: a finished experiment is re-evaluated with other ones
EVALUATION_ARGUMENTS = ("photos", "render_side")
ROW_METRICS = (("psnr", 2), ("ssim", 3), ("delta_e", 2), ("score", 1), ("highlights", 3), ("shadows", 3))


def run_names(rungs: list[str], critics: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    """``run name -> (rung, --critic value)``: each critic rung once per critic (``<rung>-<critic>``)."""
    names: dict[str, tuple[str, str | None]] = {}
    for rung in rungs:
        if rung == "reference":
            names[rung] = (rung, None)
        else:
            names.update({f"{rung}-{critic_name}": (rung, critic) for critic_name, critic in critics.items()})
    return names


def train_run(name: str, rung: str, critic: str | None, seed: int, args: argparse.Namespace, workdir: Path,
              report: Callable[[dict], None] | None = None) -> dict[str, Any]:
    """``exposure-train --out workdir`` for one run (a Tune trial of :mod:`train.trials`).

    Args:
        name, rung, critic, seed: the trial: a key of :func:`run_names`, its rung and ``--critic``
            value, the seed.
        args: the experiment's arguments.
        workdir: the trial's folder (its checkpoint): exposure-train's model, curves and report.
        report: unused: exposure-train evaluates on the dev frames itself.

    Raises:
        SystemExit: exposure-train failed.
    """
    code = train.main(["--algo", ALGORITHM, "--pool", str(args.data / "train"), "--eval-pool", str(args.data / "dev"),
                       "--reward", rung, "--max-ev", str(args.max_ev), "--steps", str(args.steps),
                       "--seed", str(seed), "--n-images", str(args.n_images), "--eval-photos", "32",
                       "--out", str(workdir), *(["--critic", critic] if critic else [])])
    if code != 0:
        raise SystemExit(f"real_sequences: exposure-train failed for {name}, seed {seed} (exit {code})")
    return {"name": name, "seed": seed}


def results_table(rows: dict[str, dict], names: dict[str, tuple[str, str | None]]) -> str:
    """Markdown: learned rows (mean ± std over seeds), then the fixed rows, all from one exposure-eval."""
    header = ["| method | seeds | PSNR dB ↑ | SSIM ↑ | ΔE2000 ↓ | packaged-critic score ↑ | highlights ≥254 ↓ | "
              "shadows ≤1 ↓ |", "|---|---|---|---|---|---|---|---|"]
    learned: dict[str, list[dict]] = defaultdict(list)
    fixed = []
    for name, row in rows.items():
        rung, _, seed = name.rpartition("_seed")
        if rung in names and seed.isdigit():
            learned[rung].append(row)
        else:
            fixed.append(row)
    lines = []
    for name, group in learned.items():
        rung, _, critic = name.partition("-")
        cells = [mean_std([float(row[metric]) for row in group], digits) for metric, digits in ROW_METRICS]
        label = f"DeepExposure II, {rung} reward" + (f" ({critic} critic)" if critic else "")
        lines.append(f"| {label} | {len(group)} | " + " | ".join(cells) + " |")
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
    parser.add_argument("--critics", nargs="+", default=["embedded"], metavar="embedded|real|ensemble|people|NAME=PATH",
                        help="critics of the critic and gan rungs: shipped ones by name, others as NAME=PATH "
                             "(default: embedded)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per rung: 0..N-1 (default: 3)")
    parser.add_argument("--steps", type=int, default=8192, help="environment steps per run (default: 8192)")
    parser.add_argument("--n-images", type=int, default=64, help="photos per roll-out (default: 64)")
    parser.add_argument("--max-ev", type=float, default=5.0, help="EV range of policies and oracles (default: 5)")
    parser.add_argument("--photos", type=int, default=None, help="dev frames to evaluate (default: all)")
    parser.add_argument("--render-side", type=int, default=256,
                        help="second table: each decision rendered on the frame at this many pixels (default: 256, "
                             "the size issue 13 measured at)")
    parser.add_argument("--out", type=Path, default=Path("reports/real_sequences"), help="report folder")
    add_tune_arguments(parser)
    args = check_tune_arguments(parser, parser.parse_args(argv))
    for split in ("train", "dev"):
        if not (args.data / split / "raw").is_dir():
            parser.error(f"--data {args.data}: no {split}/raw folder (expected the sice_sequences layout)")
    if args.seeds < 1 or args.steps < 1:
        parser.error("--seeds and --steps must be >= 1")
    if args.render_side < 8:
        parser.error(f"--render-side {args.render_side}: must be >= 8 pixels")
    args.critic_files = critic_entries(parser, args.critics)
    return args


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    names = run_names(args.rungs, args.critic_files)
    trials = [{"name": name, "rung": rung, "critic": critic, "seed": seed}
              for seed in range(args.seeds) for name, (rung, critic) in names.items()]
    models = {f"{run['name']}_seed{run['seed']}": Path(run["checkpoint"]) / "model.zip"
              for run in run_grid("real_sequences", train_run, trials, args, evaluation_only=EVALUATION_ARGUMENTS)}
    env = gym.make("ExposureRetouch-v0", pool=str(args.data / "dev"), max_ev=args.max_ev)
    photos = min(args.photos or len(env.unwrapped.pool), len(env.unwrapped.pool))
    methods = {**evaluate.reference_methods(paired=True),
               **{name: evaluate.model_method(evaluate.load_model(path, ALGORITHM))
                  for name, path in models.items()}}
    judged, images = evaluate.evaluate_sizes(env, methods, photos, (None, args.render_side))  # each decision made once
    rows, rendered = judged[None], judged[args.render_side]
    evaluate.write_tables(rows, args.out)
    write_csv(args.out / f"results_{args.render_side}px.csv", rendered, ["method", *evaluate.METRICS])
    # the grid: the fixed methods (but the ±1.5 EV bracket) and each rung's first seed, on frames spread over the
    # whole dev set (its files are sorted by sequence, so the first rows would all show one scene), each
    # method's decision rendered on the frame at GRID_SIDE_REAL pixels, where a person can judge it
    rows_shown = np.unique(np.linspace(0, photos - 1, min(GRID_ROWS, photos)).round().astype(int)).tolist()
    later_seeds = tuple(f"_seed{seed}" for seed in range(1, args.seeds))
    shown = {name: method for name, method in methods.items()
             if not name.endswith(later_seeds) and name != "bracket -1.5..+1.5 EV"}
    grid = evaluate.grid_images(env, shown, rows_shown, side=GRID_SIDE_REAL)
    evaluate.write_grid(grid, len(rows_shown), args.out)
    target_clips = [clipped_shares(target) for target in images["expert target"].values()]
    header = (f"`sice_sequences/dev`: {photos} real frames of 40 sequences never trained on, 64×64, T = 4, "
              f"EVs within ±{args.max_ev:g}; {args.steps} env steps per run on `train/` ({args.n_images} photos per "
              f"roll-out). Target: the Mertens fusion of the frame's whole sequence; the targets themselves clip "
              f"{np.mean([clips['highlights'] for clips in target_clips]):.3f} of their pixels in the highlights "
              f"and {np.mean([clips['shadows'] for clips in target_clips]):.3f} in the shadows. "
              f"Per-run rows: results.csv.\n\n")
    table = (header + results_table({row["method"]: row for row in rows}, names)
             + f"\nThe same decisions (each made on the 64-pixel thumbnail) rendered on the {args.render_side}-pixel "
               "frame, judged against the target at that size; the critic score stays on the thumbnail:\n\n"
             + results_table({row["method"]: row for row in rendered}, names))
    write_report(args.out, table)
    return table


if __name__ == "__main__":
    main()
