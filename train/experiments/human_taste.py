"""Human taste: real-photo recipes judged by two yardsticks, fusion targets and a professional's retouches.

A policy trained towards one kind of target drifts to its taste: the Mertens fusion of a bracketed
sequence lifts every scene towards mid-grey, where a person keeps a night scene dark. So each
recipe is judged on both, every decision rendered as ``exposure-retouch`` renders the file
(Alg. 3 on the photo at its full size; :func:`train.evaluate.judged_pair`):

  sice dev   ``sice_sequences/dev``: real frames of 40 sequences never trained on; the target is
             the Mertens fusion of the frame's sequence; rendered on the 512-px frame, judged at
             256 px
  fivek dev  ``photos_by_people/fivek_dev``: 16 MIT-Adobe FiveK photos and expert C's retouch of
             each; rendered and judged at 512 px. Never trained on
  real_dev   96 single real frames, unpaired: clipped shares, mean L*, and the mean L* of the
             darkest third (by the raw photo's L*)

Columns: PSNR, ΔE2000, lightness agreement (|ΔL*|, the mean |L*(result) − L*(target)| per
photo, and r(L*), the correlation over photos of the result's L* with the target's), clipped
highlights and mean L*. Rows: each recipe (mean ± std over seeds), the shipped policy, and the
fixed rows: identity, both global auto-exposures, CLAHE, the ±1, ±1.5 and ±2 EV brackets and
both oracles.

A recipe is DeepExposure II trained on the raw frames of ``sice_sequences/train`` with a fixed
critic as the reward (``exposure-train --reward critic``; no target and no dev photo is used)
for each ``--critics`` entry and ``--ev-priors`` entry, ``--seeds`` seeds each: every run is
``exposure-train`` as a Ray Tune trial (``train.trials``), resumed where an earlier run of the same
command stopped.

Writes into ``--out`` (default ``reports/human_taste``): results.md, results_<yardstick>.csv (one
row per run and fixed method), fivek_grid_1.jpg and fivek_grid_2.jpg (the 16 fivek dev photos:
raw | ±2 EV bracket | log-average auto-exposure | the shipped policy | its people look | the
first seed of each recipe run with several seeds | expert C), tune/.

    python -m train.experiments.human_taste --critics ensemble human=runs/human/critic.pt \\
        --ev-priors auto-exposure none --seeds 3
    python -m train.experiments.human_taste --critics          # the shipped looks and fixed rows only
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

import gymnasium as gym
import numpy as np

import exposure_env  # noqa: F401  (registers the env)
from agents.policies import EV_PRIORS
from exposure_env.metrics import lightness
from train import evaluate, policies, train
from train.arguments import DEVELOPMENT_DATA, add_yardstick_arguments
from train.common import critic_entries, mean_std, write_csv, write_report
from train.trials import add_tune_arguments, check_tune_arguments, run_grid

ALGORITHM = "deepexposure-discriminator"
SHIPPED = "the shipped policy"
#: the row of the packaged ``people`` look (``exposure-retouch --look people``), always beside the default's
SHIPPED_PEOPLE = "the shipped people look (--look people)"
#: the fixed row added to exposure-eval's: the ±1 EV bracket, a strong fixed method on photos people retouched
NARROW_BRACKET = ("bracket -1..+1 EV", (-1.0, -1.0 / 3.0, 1.0 / 3.0, 1.0))
#: the columns of the tables: (metric, header, digits)
PAIRED_COLUMNS = (("psnr", "PSNR dB ↑", 2), ("delta_e", "ΔE2000 ↓", 2), ("lightness_error", "\\|ΔL*\\| ↓", 1),
                  ("lightness_r", "r(L*) ↑", 2), ("highlights", "highlights ≥254 ↓", 3), ("lightness", "mean L*", 1))
UNPAIRED_COLUMNS = (("highlights", "highlights ≥254 ↓", 3), ("shadows", "shadows ≤1 ↓", 3), ("lightness", "mean L*", 1),
                    ("dark_lightness", "mean L*, darkest third", 1))
#: fivek grid: photos per picture and their longer side in pixels
GRID_ROWS, GRID_SIDE = 8, 320
#: arguments only the evaluation reads: a finished experiment is re-evaluated with other ones
EVALUATION_ARGUMENTS = ("sice_photos", "models", "packaged_label")


def train_run(name: str, critic: str, ev_prior: str, seed: int, args: argparse.Namespace, workdir: Path,
              report: Callable[[dict], None] | None = None) -> dict[str, Any]:
    """``exposure-train --out workdir`` for one recipe and seed (a Tune trial of :mod:`train.trials`).

    Raises:
        SystemExit: exposure-train failed.
    """
    code = train.main(["--algo", ALGORITHM, "--pool", str(args.sice / "train"), "--eval-pool", str(args.sice / "dev"),
                       "--reward", "critic", "--critic", critic, "--ev-prior", ev_prior,
                       "--max-ev", str(args.max_ev), "--steps", str(args.steps), "--seed", str(seed),
                       "--n-images", str(args.n_images), "--eval-photos", "32", "--out", str(workdir)])
    if code != 0:
        raise SystemExit(f"human_taste: exposure-train failed for {name}, seed {seed} (exit {code})")
    return {"name": name, "seed": seed}


def fixed_methods(paired: bool) -> dict[str, evaluate.Method]:
    """exposure-eval's reference rows and the ±1 EV bracket."""
    name, evs = NARROW_BRACKET
    return {**evaluate.reference_methods(paired), name: evaluate.policy_method(policies.make_bracket(evs))}


def table(rows: list[dict], columns: tuple, recipes: list[str]) -> str:
    """Markdown: each recipe (mean ± std over its seeds, rows named ``<recipe>_seed<k>``), then the other rows."""
    lines = ["| method | seeds | " + " | ".join(label for _, label, _ in columns) + " |",
             "|---|---|" + "---|" * len(columns)]
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row["method"].rpartition("_seed")[0] or row["method"]].append(row)
    for name, group in groups.items():
        if name in recipes:
            cells = [mean_std([row[metric] for row in group], digits) for metric, _, digits in columns]
            lines.append(f"| **{name}** | {len(group)} | " + " | ".join(cells) + " |")
    for name, group in groups.items():
        if name not in recipes:
            cells = [evaluate.table_cell(group[0][metric], digits) for metric, _, digits in columns]
            lines.append(f"| {name} | – | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def darkest_third(pool: Any) -> list[int]:
    """Indices of the third of ``pool``'s photos with the lowest mean L*, darkest first."""
    order = np.argsort([lightness(pool[index].raw) for index in range(len(pool))], kind="stable")
    return order[: max(1, len(pool) // 3)].tolist()


def spread(count: int, total: int) -> list[int]:
    """``count`` indices spread evenly over ``0..total-1`` (all of them when ``count >= total``)."""
    return np.unique(np.linspace(0, total - 1, min(count, total)).round().astype(int)).tolist()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.experiments.human_taste", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_yardstick_arguments(parser)
    parser.add_argument("--real-dev", type=Path, default=DEVELOPMENT_DATA / "real_dev" / "sice",
                        help="unpaired real photos (default: %(default)s)")
    parser.add_argument("--critics", nargs="*", default=["ensemble"], metavar="embedded|real|ensemble|people|NAME=PATH",
                        help="the fixed critics to train with: shipped ones by name, others as NAME=PATH (default: "
                             "ensemble); none: judge the shipped looks and the fixed rows only")
    parser.add_argument("--ev-priors", nargs="+", default=["auto-exposure"], choices=EV_PRIORS,
                        help="where each recipe's actor starts (exposure-train --ev-prior; default: auto-exposure)")
    parser.add_argument("--models", nargs="*", default=[], metavar="NAME=PATH",
                        help="other saved models to judge beside them; models named <recipe>_seed<k> are one recipe's "
                             "seeds (mean ± std)")
    parser.add_argument("--packaged-label", default=SHIPPED,
                        help=f"the name of the packaged policy's row (default: {SHIPPED!r})")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per recipe: 0..N-1 (default: 3)")
    parser.add_argument("--steps", type=int, default=8192, help="environment steps per run (default: 8192)")
    parser.add_argument("--n-images", type=int, default=64, help="photos per roll-out (default: 64)")
    parser.add_argument("--max-ev", type=float, default=5.0, help="EV range of policies and oracles (default: 5)")
    parser.add_argument("--sice-photos", type=int, default=None,
                        help="sice dev frames to judge, spread over the set (default: all)")
    parser.add_argument("--out", type=Path, default=Path("reports/human_taste"), help="report folder")
    add_tune_arguments(parser)
    args = check_tune_arguments(parser, parser.parse_args(argv))
    for folder in (args.sice / "train", args.sice / "dev", args.fivek):
        if not (folder / "raw").is_dir():
            parser.error(f"{folder}: no raw/ folder (expected raw/ + expert/)")
    if not args.real_dev.is_dir():
        parser.error(f"--real-dev {args.real_dev}: not a folder")
    if args.seeds < 1 or args.steps < 1:
        parser.error("--seeds and --steps must be >= 1")
    # a critic file as an absolute path: the trials run in folders of their own
    args.critic_files = {name: critic if critic == name else str(Path(critic).resolve())
                         for name, critic in critic_entries(parser, args.critics).items()}
    args.model_files = {}
    for entry in args.models:
        name, _, path = entry.partition("=")
        if not (name and path and Path(path).is_file()):
            parser.error(f"--models {entry!r}: expected NAME=PATH of a saved model")
        args.model_files[name] = Path(path)
    return args


def judge(pool: Path, methods: dict[str, evaluate.Method], max_ev: float, side: int,
          photos: int | list[int] | None = None) -> tuple[gym.Env, list[dict]]:
    """:func:`train.evaluate.evaluate` of ``methods`` on ``pool``, rendered as ``exposure-retouch`` renders the file
    and judged at ``side`` pixels.

    Args:
        photos: all of the pool's photos (``None``), as many spread over it, or these indices.
    """
    env = gym.make("ExposureRetouch-v0", pool=str(pool), max_ev=max_ev)
    total = len(env.unwrapped.pool)
    indices = spread(photos or total, total) if photos is None or isinstance(photos, int) else photos
    print(f"judging {len(methods)} methods on {len(indices)} photos of {pool} at {side} px", file=sys.stderr)
    rows, _ = evaluate.evaluate(env, methods, indices, side)
    return env, rows


def main(argv: list[str] | None = None) -> str:
    from agents.packaged import load_packaged_policy

    args = parse_args(argv)
    recipes = {f"{critic}, {prior} prior": (critic, path, prior)
               for critic, path in args.critic_files.items() for prior in args.ev_priors}
    trials = [{"name": name, "critic": path, "ev_prior": prior, "seed": seed}
              for seed in range(args.seeds) for name, (_, path, prior) in recipes.items()]
    records = run_grid("human_taste", train_run, trials, args, evaluation_only=EVALUATION_ARGUMENTS) if trials else []
    models = {args.packaged_label: load_packaged_policy(), SHIPPED_PEOPLE: load_packaged_policy("people"),
              **{name: evaluate.load_model(path, ALGORITHM) for name, path in args.model_files.items()},
              **{f"{record['name']}_seed{record['seed']}": evaluate.load_model(Path(record["checkpoint"]) / "model.zip",
                                                                               ALGORITHM) for record in records}}
    learned = {name: evaluate.model_method(model) for name, model in models.items()}

    sice_env, sice_rows = judge(args.sice / "dev", {**fixed_methods(True), **learned}, args.max_ev, 256,
                                args.sice_photos)
    sice_photos = min(args.sice_photos or len(sice_env.unwrapped.pool), len(sice_env.unwrapped.pool))
    fivek_env, fivek_rows = judge(args.fivek, {**fixed_methods(True), **learned}, args.max_ev, 512)
    real_env, real_rows = judge(args.real_dev, {**fixed_methods(False), **learned}, args.max_ev, 256)
    dark = darkest_third(real_env.unwrapped.pool)
    _, dark_rows = judge(args.real_dev, {**fixed_methods(False), **learned}, args.max_ev, 256, dark)
    for row, dark_row in zip(real_rows, dark_rows):
        row["dark_lightness"] = dark_row["lightness"]

    fields = ["method", *evaluate.METRICS]
    write_csv(args.out / "results_sice_dev.csv", sice_rows, fields)
    write_csv(args.out / "results_fivek_dev.csv", fivek_rows, fields)
    write_csv(args.out / "results_real_dev.csv", real_rows, [*fields, "dark_lightness"])

    # the fivek grid: every photo, the fixed methods people compare with, the shipped looks, each recipe's first seed
    names = list(dict.fromkeys([*recipes, *(name.rpartition("_seed")[0] for name in args.model_files
                                            if name.rpartition("_seed")[2].isdigit())]))
    # the grid shows the recipes run with several seeds (single-seed ablations are in the tables only)
    shown_names = ["bracket -2..+2 EV", "global auto-exposure, log-average", args.packaged_label, SHIPPED_PEOPLE,
                   *[f"{name}_seed0" for name in names if f"{name}_seed0" in learned and f"{name}_seed1" in learned]]
    methods = {**fixed_methods(True), **learned}
    shown = {name: methods[name] for name in shown_names}
    photos = len(fivek_env.unwrapped.pool)
    for part, start in enumerate(range(0, photos, GRID_ROWS), 1):
        rows = list(range(start, min(start + GRID_ROWS, photos)))
        evaluate.write_grid(evaluate.grid_images(fivek_env, shown, rows, GRID_SIDE), len(rows), args.out,
                            f"fivek_grid_{part}.jpg")

    command = shlex.join(["python", "-m", "train.experiments.human_taste", *(sys.argv[1:] if argv is None else argv)])
    trained = (f"Recipes trained here: DeepExposure II, {args.steps} env steps on the raw frames of "
               f"`sice_sequences/train` ({args.n_images} photos per roll-out), a fixed critic as the reward; "
               f"{args.seeds} seed(s) each. " if trials else "")
    given = "Models given by `--models` (bold rows: a recipe's seeds, mean ± std). " if args.model_files else ""
    text = (f"Command: `{command}`\n\n{trained}{given}EVs within ±{args.max_ev:g}. Every decision is made on the "
            "64-px thumbnail and rendered as `exposure-retouch` renders the file.\n\n"
            f"## fivek dev: {photos} photos retouched by a professional (expert C), 512 px\n\n"
            + table(fivek_rows, PAIRED_COLUMNS, names)
            + f"\n## sice dev: {sice_photos} frames, target the fusion of the frame's sequence; rendered on "
              "the 512-px frame, judged at 256 px\n\n"
            + table(sice_rows, PAIRED_COLUMNS, names)
            + f"\n## real_dev: {len(real_env.unwrapped.pool)} single real frames (unpaired), 256 px; the darkest "
              f"third: {len(dark)} photos by the raw photo's L*\n\n"
            + table(real_rows, UNPAIRED_COLUMNS, names)
            + "\n|ΔL*|: the mean |L*(result) − L*(target)| per photo; r(L*): the correlation over photos of the "
              "result's mean L* with the target's. Pictures: fivek_grid_1.jpg, fivek_grid_2.jpg.\n")
    write_report(args.out, text)
    return text


if __name__ == "__main__":
    main()
