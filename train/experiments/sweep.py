"""Search the learner's open choices on Ray Tune: Optuna proposes them, ASHA stops weak trials early.

Each trial trains one learner of the learning ladder on one rung (default: DeepExposure II on
the reference reward) with a sampled learning rate, gradient steps per roll-out, OU sigma and EV
range (:data:`SPACE`). It reports its held-out PSNR at every evaluation point; ASHA compares
trials at the same env steps and stops those that fall behind, and Optuna's TPE sampler
proposes the next choices from the finished ones. The trials are ``learning_ladder.train_run``
itself, so a sweep's numbers read like the ladder's and its ablations.

Writes into --out (default reports/sweep):
  results.md    every trial, best held-out PSNR first (where ASHA stopped it, or at the end),
                beside the fixed rows measured the same way
  trials.csv    the same rows
  curves.png    held-out PSNR of every trial against env steps, the fixed rows as lines
  tune/         the Ray Tune experiment; run again with the same --out and arguments, an
                interrupted sweep resumes

    python -m train.experiments.sweep --samples 16 --steps 8192
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from agents import algorithms  # noqa: E402
from train.arguments import add_run_arguments, check_run_arguments  # noqa: E402
from train.common import EVAL_METRICS, write_csv, write_report  # noqa: E402
from train.experiments.fixed_rows import baseline_rows, finish_psnr_plot  # noqa: E402
from train.experiments.learning_ladder import AGENTS, RUNGS, gan_reward_states, train_run  # noqa: E402
from train.trials import add_tune_arguments, check_tune_arguments, fit, trainable  # noqa: E402

#: the open choices searched, as ``name: (Tune sampler, its arguments)`` (Tune's objects are built
#: when the sweep starts, so that --help does not load Ray)
SPACE: dict[str, tuple[str, tuple]] = {
    "learning_rate": ("loguniform", (1e-4, 3e-3)),
    "gradient_steps": ("choice", ([1, 2, 4, 8],)),
    "ou_sigma": ("uniform", (0.05, 0.5)),
    "max_ev": ("choice", ([3.0, 4.0, 5.0],)),
}
CHOICES = tuple(SPACE)
TRIAL_FIELDS = [*CHOICES, *EVAL_METRICS, "ev_spread", "steps", "stopped"]


def sweep_trial(rung: str, algo: str, seed: int, learning_rate: float, gradient_steps: int, ou_sigma: float,
                max_ev: float, args: argparse.Namespace, reward_states: dict[int, dict], workdir: Path,
                report: Callable[[dict], None] | None = None) -> dict[str, Any]:
    """One sampled trial: ``learning_ladder.train_run`` with the choices over the defaults; its record with them."""
    overrides: dict[str, Any] = {"env": {"max_ev": max_ev}}
    if algo in algorithms.DEEP_EXPOSURE:
        overrides.update(learning_rate=learning_rate, gradient_steps=gradient_steps, ou_sigma=ou_sigma)
    else:  # PPO: no OU noise; its own learning rate
        overrides.update(learning_rate=learning_rate)
    record = train_run(rung, algo, "default", seed, args, reward_states, workdir, report, overrides)
    return {**record, "learning_rate": learning_rate, "gradient_steps": gradient_steps, "ou_sigma": ou_sigma,
            "max_ev": max_ev}


def search_space(args: argparse.Namespace) -> dict[str, Any]:
    """The param space: the fixed rung, learner and seed, and :data:`SPACE` as Tune samplers."""
    from ray import tune

    sampled = {name: getattr(tune, sampler)(*arguments) for name, (sampler, arguments) in SPACE.items()}
    return {"trial": {"rung": args.rung, "algo": args.algo, "seed": args.seed, **sampled}}


def tune_config(args: argparse.Namespace) -> Any:
    """Optuna's TPE sampler (seeded) proposes; ASHA stops trials behind at the same env steps."""
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search.optuna import OptunaSearch

    every = max(1, args.steps // args.evaluations)
    return tune.TuneConfig(metric="psnr", mode="max", num_samples=args.samples,
                           max_concurrent_trials=args.concurrent, search_alg=OptunaSearch(seed=args.seed),
                           # max_t past the last point: ASHA stops a trial that reaches max_t before it
                           # reports its checkpoint
                           scheduler=ASHAScheduler(time_attr="steps", max_t=args.steps + 1, grace_period=every,
                                                   reduction_factor=2))


def trial_rows(grid: Any) -> list[dict[str, Any]]:
    """One row per trial, best held-out PSNR first: its choices, its last metrics, whether ASHA stopped it,
    and its curve (every reported point: Tune's history of the trial)."""
    rows = []
    for result in grid:
        history = result.metrics_dataframe
        curve = history[["steps", "psnr"]].drop_duplicates("steps").to_dict("records")
        rows.append({**{name: result.config["trial"][name] for name in CHOICES},
                     **{name: result.metrics[name] for name in (*EVAL_METRICS, "ev_spread", "steps")},
                     "stopped": result.checkpoint is None, "curve": curve})
    return sorted(rows, key=lambda row: -row["psnr"])


def results_table(rows: list[dict], baselines: list[dict]) -> str:
    """Markdown: the trials (best first), then the fixed rows."""
    lines = ["| learning rate | gradient steps | OU σ | max EV | env steps | PSNR dB ↑ | ΔE2000 ↓ | packaged-critic score ↑ "
             "| EV spread |", "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        stopped = " (stopped by ASHA)" if row["stopped"] else ""
        lines.append(f"| {row['learning_rate']:.2e} | {row['gradient_steps']} | {row['ou_sigma']:.2f} | "
                     f"{row['max_ev']:g} | {row['steps']}{stopped} | {row['psnr']:.2f} | {row['delta_e']:.2f} | "
                     f"{row['score']:.1f} | {row['ev_spread']:.2f} |")
    lines += [f"| fixed: {row['algo']} | | | | – | {row['psnr']:.2f} | {row['delta_e']:.2f} | {row['score']:.1f} | – |"
              for row in baselines]
    return "\n".join(lines) + "\n"


def plot_curves(rows: list[dict], baselines: list[dict], out: Path) -> None:
    """curves.png: held-out PSNR of every trial against env steps, the fixed rows as lines."""
    figure, axis = plt.subplots(figsize=(8, 5))
    for row in rows:
        axis.plot([point["steps"] for point in row["curve"]], [point["psnr"] for point in row["curve"]], marker="o",
                  markersize=3, linewidth=1, label=f"lr {row['learning_rate']:.1e}, {row['gradient_steps']} steps, "
                                                   f"σ {row['ou_sigma']:.2f}, ±{row['max_ev']:g} EV")
    finish_psnr_plot(figure, axis, baselines, "Sweep: Optuna proposes, ASHA stops trials behind at equal env steps",
                     out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.experiments.sweep", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=16, help="trials to sample (default: 16)")
    parser.add_argument("--rung", default="reference", choices=RUNGS, help="the reward (default: reference)")
    parser.add_argument("--algo", default="deepexposure-discriminator", choices=AGENTS,
                        help="the learner (default: deepexposure-discriminator)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every trial and of the sampler (default: 0)")
    parser.add_argument("--steps", type=int, default=8192, help="environment steps per trial at most (default: 8192)")
    parser.add_argument("--n-images", type=int, default=64,
                        help="DeepExposure: photos per roll-out, the batched env's size (default: 64)")
    add_run_arguments(parser, out="reports/sweep")
    add_tune_arguments(parser)
    args = check_tune_arguments(parser, check_run_arguments(parser, parser.parse_args(argv)))
    for name in ("samples", "n_images"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    return args


def main(argv: list[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    baselines = baseline_rows(args)
    reward_states = gan_reward_states({args.seed} if args.rung == "gan" else set(), args)
    grid = fit("sweep", trainable(sweep_trial, args, reward_states=reward_states), args, search_space(args),
               args.samples, tune_config(args))
    rows = trial_rows(grid)
    write_csv(args.out / "trials.csv", rows, TRIAL_FIELDS)
    plot_curves(rows, baselines, args.out)
    header = (f"{args.samples} trials of {args.algo} on the {args.rung} rung, seed {args.seed}, at most {args.steps} "
              f"env steps each; held-out embedded photos ({args.eval_photos}), T = {args.num_segments}, "
              f"{args.size}×{args.size}. Optuna (TPE) samples the choices, ASHA (reduction factor 2) stops trials "
              f"behind at equal env steps. The fixed rows and oracles are within ±3 EV, the env's default.\n\n")
    write_report(args.out, header + results_table(rows, baselines))
    return rows


if __name__ == "__main__":
    main()
