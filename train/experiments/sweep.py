"""Search the learner's open choices on Ray Tune: Optuna proposes them, ASHA stops weak trials early.

Two settings:

  ladder     (default) one learner of the learning ladder on one rung (default: DeepExposure II on
             the reference reward) with a sampled learning rate, gradient steps per roll-out, OU
             sigma and EV range (:data:`SPACE`); the trials are ``learning_ladder.train_run``
             itself, so a sweep's numbers read like the ladder's and its ablations.
  benchmark  (``--benchmark``) a stock SB3 agent (``--algo ppo|sac|td3|ddpg|a2c``) in the agent
             benchmark's setting: ``exposure-train`` on the raw frames of sice_sequences/train,
             the benchmark's fixed critic, its EV range, through the benchmark's own trial code
             (:func:`train.experiments.benchmark.train_agent`), with hyperparameters sampled from
             the agent's RL Zoo style space (:data:`STOCK_SPACES`, over :mod:`exposure_env.zoo`);
             the metric is exposure-train's held-out PSNR on the first --eval-photos sice dev
             thumbnails. The first trial is the zoo's current values, so the sweep says whether
             anything it found beats them at the same budget.

Each trial reports its held-out PSNR at every evaluation point; ASHA compares trials at the same
env steps and stops those that fall behind, and Optuna's TPE sampler proposes the next choices
from the finished ones (the first half of the samples at random, TPE's start-up).

Writes into --out (default reports/sweep):
  results.md    every trial, those that ran to the end first, each group by held-out PSNR (at the
                end, or where ASHA stopped it), beside the fixed rows measured the same way
  trials.csv    the same rows
  curves.png    held-out PSNR of every trial against env steps, the fixed rows as lines
  tune/         the Ray Tune experiment; run again with the same --out and arguments, an
                interrupted sweep resumes

    python -m train.experiments.sweep --samples 16 --steps 8192
    python -m train.experiments.sweep --benchmark --algo sac --samples 6 --steps 2048 --eval-photos 32
    python -m train.experiments.sweep --benchmark --algo sac ... --report-only   # the trials so far
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from agents import algorithms  # noqa: E402
from train.arguments import add_run_arguments, add_yardstick_arguments, check_run_arguments  # noqa: E402
from train.common import EVAL_METRICS, write_csv, write_report  # noqa: E402
from train.experiments import benchmark  # noqa: E402
from train.experiments.fixed_rows import baseline_rows, finish_psnr_plot  # noqa: E402
from train.experiments.learning_ladder import AGENTS, RUNGS, gan_reward_states, train_run  # noqa: E402
from train.trials import absolute_paths, add_tune_arguments, check_tune_arguments, fit, trainable  # noqa: E402

#: the open choices searched, as ``name: (Tune sampler, its arguments)`` (Tune's objects are built
#: when the sweep starts, so that --help does not load Ray)
SPACE: dict[str, tuple[str, tuple]] = {
    "learning_rate": ("loguniform", (1e-4, 3e-3)),
    "gradient_steps": ("choice", ([1, 2, 4, 8],)),
    "ou_sigma": ("uniform", (0.05, 0.5)),
    "max_ev": ("choice", ([3.0, 4.0, 5.0],)),
}
#: the off-policy agents' updates: env steps (of all envs) per roll-out and gradient steps after it, batch size.
#: Bounded so that no trial takes more than 4 times the zoo's gradient work (64 steps of 64 per 256 env steps)
OFF_POLICY_SPACE: dict[str, tuple[str, tuple]] = {
    "learning_rate": ("loguniform", (1e-4, 3e-3)),
    "batch_size": ("choice", ([32, 64, 128],)),
    "train_freq": ("choice", ([128, 256],)),
    "gradient_steps": ("choice", ([32, 64, 128],)),
}
#: torch's default ε of Adam (``adam_eps``: SB3 builds Adam with ``policy_kwargs["optimizer_kwargs"]``). TD3's and
#: DDPG's spaces search it: Adam's normalised steps follow a flat critic's slope at full size into the actor's tanh
#: saturation (docs/results/benchmark/tuning/README.md); a large ε makes a step about proportional to the gradient
ADAM_EPS = 1e-8
#: TD3's and DDPG's space: the off-policy one, their action noise's σ and Adam's ε
DETERMINISTIC_ACTOR_SPACE: dict[str, tuple[str, tuple]] = {
    **OFF_POLICY_SPACE, "noise_std": ("uniform", (0.05, 0.5)), "adam_eps": ("choice", ([ADAM_EPS, 1e-3, 0.1, 1.0],))}
#: the stock agents' searched hyperparameters in the benchmark's setting (``--benchmark``), RL Zoo style: the
#: keys and units of :mod:`exposure_env.zoo` (``n_steps``, ``train_freq``: env steps of all envs), each range
#: holding the zoo's current value. No gamma or GAE lambda: an episode is T = 4 steps with its reward at the end,
#: and exposure-train sets gamma itself (``--gamma``); replay buffers stay the zoo's (the whole run)
STOCK_SPACES: dict[str, dict[str, tuple[str, tuple]]] = {
    "ppo": {"learning_rate": ("loguniform", (3e-5, 3e-3)), "n_steps": ("choice", ([128, 256, 512],)),
            "batch_size": ("choice", ([32, 64, 128],)), "n_epochs": ("choice", ([1, 4, 10],)),
            "ent_coef": ("choice", ([0.0, 0.001, 0.01],))},
    "a2c": {"learning_rate": ("loguniform", (1e-4, 3e-3)), "n_steps": ("choice", ([16, 32, 64, 128],)),
            "ent_coef": ("choice", ([0.0, 0.001, 0.01],))},
    "sac": OFF_POLICY_SPACE,
    "td3": DETERMINISTIC_ACTOR_SPACE,  # noise_std: Gaussian action noise σ
    "ddpg": DETERMINISTIC_ACTOR_SPACE,  # noise_std: Ornstein-Uhlenbeck σ
}
#: the fields of trials.csv besides the searched choices
#: (``wall_s``: Tune's time of the trial, to its end or ASHA's stop; ``cpu_s``: exposure-train's CPU seconds, the
#: benchmark setting's trials that ran to the end)
METRIC_FIELDS = [*EVAL_METRICS, "ev_spread", "steps", "stopped", "cut_off", "wall_s", "cpu_s"]


def space_of(args: argparse.Namespace) -> dict[str, tuple[str, tuple]]:
    """The searched choices of the sweep ``args`` asks for: :data:`SPACE`, or ``--algo``'s :data:`STOCK_SPACES`.

    Raises:
        ValueError: ``--benchmark`` with an algorithm that has no space (one line, naming those that have).
    """
    if not args.benchmark:
        return SPACE
    if args.algo not in STOCK_SPACES:
        raise ValueError(f"--algo {args.algo}: the benchmark setting tunes the stock agents "
                         f"({', '.join(STOCK_SPACES)}), not {args.algo}")
    return STOCK_SPACES[args.algo]


def zoo_values(algo: str) -> dict[str, Any]:
    """The zoo's current values of ``algo``'s searched choices (:data:`STOCK_SPACES`): the sweep's first trial."""
    import importlib

    zoo = importlib.import_module(f"exposure_env.zoo.{algo}").hyperparams["ExposureRetouch-v0"]
    eps = zoo.get("policy_kwargs", {}).get("optimizer_kwargs", {}).get("eps", ADAM_EPS)
    return {name: eps if name == "adam_eps" else zoo[name] for name in STOCK_SPACES[algo]}


def sb3_hyperparams(choices: dict[str, Any]) -> dict[str, Any]:
    """A trial's choices as SB3's keyword arguments: ``adam_eps`` becomes ``policy_kwargs["optimizer_kwargs"]["eps"]``
    (the actor's and the critics' Adam), the others pass as they are."""
    sb3 = {name: value for name, value in choices.items() if name != "adam_eps"}
    if "adam_eps" in choices:
        sb3["policy_kwargs"] = {"optimizer_kwargs": {"eps": choices["adam_eps"]}}
    return sb3


def stock_agent(algo: str) -> str:
    """The benchmark's row of the stock agent ``algo`` (its fixed-critic row: ``"sac"`` -> ``"SAC"``)."""
    return next(agent for agent, (name, reward) in benchmark.AGENTS.items() if name == algo and reward == "critic")


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


def stock_trial(algo: str, seed: int, args: argparse.Namespace, bench: argparse.Namespace, workdir: Path,
                report: Callable[[dict], None] | None = None, **hyperparams: Any) -> dict[str, Any]:
    """One sampled trial in the benchmark's setting: the benchmark's training of ``algo`` (exposure-train with
    ``--hyperparams``) into ``workdir``; its record: the choices, the last held-out point, wall and CPU seconds."""
    points: list[dict] = []

    def keep(point: dict) -> None:
        points.append(point)
        if report is not None:
            report(point)

    trained = benchmark.train_agent(stock_agent(algo), seed, bench, workdir, sb3_hyperparams(hyperparams), keep)
    return {**hyperparams, **points[-1], "wall_s": trained["wall_s"], "cpu_s": trained["cpu_s"]}


def search_space(args: argparse.Namespace) -> dict[str, Any]:
    """The param space: the fixed rung (ladder setting), learner and seed, and :func:`space_of` as Tune samplers."""
    from ray import tune

    sampled = {name: getattr(tune, sampler)(*arguments) for name, (sampler, arguments) in space_of(args).items()}
    fixed = {"algo": args.algo, "seed": args.seed} if args.benchmark else {"rung": args.rung, "algo": args.algo,
                                                                           "seed": args.seed}
    return {"trial": {**fixed, **sampled}}


def tune_config(args: argparse.Namespace) -> Any:
    """Optuna's TPE sampler (seeded; half the samples drawn at random first) proposes, the benchmark setting's first
    trial the zoo's values; ASHA stops trials behind at the same env steps."""
    import optuna
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search.optuna import OptunaSearch

    every = max(1, args.steps // args.evaluations)
    # Tune hands Optuna the space flattened, "trial/<name>"
    current = [{f"trial/{name}": value for name, value in zoo_values(args.algo).items()}] if args.benchmark else None
    sampler = optuna.samplers.TPESampler(seed=args.seed, n_startup_trials=max(1, args.samples // 2))
    return tune.TuneConfig(metric="psnr", mode="max", num_samples=args.samples, max_concurrent_trials=args.concurrent,
                           search_alg=OptunaSearch(sampler=sampler, points_to_evaluate=current),
                           # max_t past the last point: ASHA stops a trial that reaches max_t before it
                           # reports its checkpoint
                           scheduler=ASHAScheduler(time_attr="steps", max_t=args.steps + 1, grace_period=every,
                                                   reduction_factor=2))


def trial_rows(grid: Any, choices: tuple[str, ...]) -> list[dict[str, Any]]:
    """One row per trial: its ``choices``, its last metrics, whether ASHA stopped it (``stopped``) or the sweep was
    stopped while it ran (``cut_off``: ``--report-only`` of an interrupted sweep), and its curve (every reported
    point: Tune's history of the trial). The trials that ran to the end first, best held-out PSNR first, then the
    others (their PSNR is at fewer env steps), best first."""
    rows = []
    for result in grid:
        history = result.metrics_dataframe
        curve = history[["steps", "psnr"]].drop_duplicates("steps").to_dict("records")
        rows.append({**{name: result.config["trial"][name] for name in choices},
                     **{name: result.metrics[name] for name in (*EVAL_METRICS, "ev_spread", "steps")},
                     "stopped": result.checkpoint is None and bool(result.metrics.get("done")),
                     "cut_off": not result.metrics.get("done"), "wall_s": result.metrics["time_total_s"],
                     "cpu_s": result.metrics.get("cpu_s"), "curve": curve})
    return sorted(rows, key=lambda row: (row["stopped"] or row["cut_off"], -row["psnr"]))


def cell(value: Any) -> str:
    """A searched choice in a table: a float in 3 significant digits (``3e-04``, ``0.25``), others as they are."""
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def results_table(rows: list[dict], baselines: list[dict], choices: tuple[str, ...],
                  current: dict[str, Any] | None = None) -> str:
    """Markdown: the trials (:func:`trial_rows`' order, the one with the ``current`` zoo values marked), then the
    fixed rows."""
    lines = [f"| {' | '.join(choices)} | env steps | PSNR dB ↑ | ΔE2000 ↓ | packaged-critic score ↑ | EV spread "
             "| wall s |", "|---" * (len(choices) + 6) + "|"]
    for row in rows:
        stopped = " (stopped by ASHA)" if row["stopped"] else " (cut off: the sweep was stopped)" if row["cut_off"] else ""
        zoo = " (the zoo's values)" if current is not None and all(row[n] == current[n] for n in choices) else ""
        lines.append(f"| {' | '.join(cell(row[name]) for name in choices)} | {row['steps']}{stopped}{zoo} | "
                     f"{row['psnr']:.2f} | {row['delta_e']:.2f} | {row['score']:.1f} | {row['ev_spread']:.2f} | "
                     f"{row['wall_s']:.0f} |")
    blanks = " |" * (len(choices) - 1)
    lines += [f"| fixed: {row['algo']} |{blanks} – | {row['psnr']:.2f} | {row['delta_e']:.2f} | {row['score']:.1f} | – | – |"
              for row in baselines]
    return "\n".join(lines) + "\n"


def plot_curves(rows: list[dict], baselines: list[dict], out: Path, choices: tuple[str, ...]) -> None:
    """curves.png: held-out PSNR of every trial against env steps, the fixed rows as lines."""
    figure, axis = plt.subplots(figsize=(8, 5))
    for row in rows:
        axis.plot([point["steps"] for point in row["curve"]], [point["psnr"] for point in row["curve"]], marker="o",
                  markersize=3, linewidth=1, label=", ".join(f"{name} {cell(row[name])}" for name in choices))
    finish_psnr_plot(figure, axis, baselines, "Sweep: Optuna proposes, ASHA stops trials behind at equal env steps",
                     out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.experiments.sweep", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=16, help="trials to sample (default: 16)")
    parser.add_argument("--benchmark", action="store_true",
                        help="tune a stock agent (--algo) in the agent benchmark's setting, through its trial code "
                             "(the benchmark's defaults; of the arguments below --samples, --algo, --seed, --steps, "
                             "--eval-photos, --evaluations, --sice, --out and the placement ones apply)")
    parser.add_argument("--rung", default="reference", choices=RUNGS, help="ladder setting: the reward (default: reference)")
    parser.add_argument("--algo", default=None, choices=algorithms.NAMES,
                        help=f"the learner: ladder setting {', '.join(AGENTS)} (default: deepexposure-discriminator); "
                             f"--benchmark {', '.join(STOCK_SPACES)}")
    parser.add_argument("--seed", type=int, default=0, help="seed of every trial and of the sampler (default: 0)")
    parser.add_argument("--steps", type=int, default=8192, help="environment steps per trial at most (default: 8192)")
    parser.add_argument("--n-images", type=int, default=64,
                        help="DeepExposure: photos per roll-out, the batched env's size (default: 64)")
    parser.add_argument("--report-only", action="store_true",
                        help="run nothing: the report of the trials in --out so far (one the sweep was stopped in "
                             "marked cut off)")
    add_yardstick_arguments(parser)
    add_run_arguments(parser, out="reports/sweep")
    add_tune_arguments(parser)
    args = check_tune_arguments(parser, check_run_arguments(parser, parser.parse_args(argv)))
    for name in ("samples", "n_images"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.benchmark:
        if args.algo is None:
            parser.error(f"--benchmark needs --algo, one of {', '.join(STOCK_SPACES)}")
        try:
            space_of(args)
        except ValueError as error:
            parser.error(str(error))
    else:
        args.algo = args.algo or "deepexposure-discriminator"
        if args.algo not in AGENTS:
            parser.error(f"--algo {args.algo}: the ladder setting tunes {', '.join(AGENTS)} (--benchmark tunes the "
                         "stock agents)")
    return args


def benchmark_arguments(args: argparse.Namespace) -> argparse.Namespace:
    """The benchmark's arguments of a ``--benchmark`` sweep: its defaults, the sweep's data, budget and evaluation."""
    return absolute_paths(benchmark.parse_args([
        "--sice", str(args.sice), "--fivek", str(args.fivek), "--steps", str(args.steps), "--eval-photos",
        str(args.eval_photos), "--evaluations", str(args.evaluations), "--seeds", "1", "--out", str(args.out)]))


def main(argv: list[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    choices = tuple(space_of(args))
    if args.benchmark:
        import gymnasium as gym

        bench = benchmark_arguments(args)
        held_out = gym.make("ExposureRetouch-v0", pool=str(bench.sice / "dev"), size=args.size,
                            num_segments=args.num_segments, max_ev=bench.max_ev)
        baselines = baseline_rows(args, held_out)
    else:
        baselines = baseline_rows(args)
    if args.report_only:  # Tune's saved results, no Ray started
        from ray.tune import ResultGrid
        from ray.tune.analysis import ExperimentAnalysis

        grid = ResultGrid(ExperimentAnalysis(str(args.out.resolve() / "tune" / "sweep")))
    else:
        function = (trainable(stock_trial, args, bench=bench) if args.benchmark else
                    trainable(sweep_trial, args, reward_states=gan_reward_states({args.seed} if args.rung == "gan"
                                                                                 else set(), args)))
        grid = fit("sweep", function, args, search_space(args), args.samples, tune_config(args),
                   evaluation_only=("report_only",))
    rows = trial_rows(grid, choices)
    write_csv(args.out / "trials.csv", rows, [*choices, *METRIC_FIELDS])
    plot_curves(rows, baselines, args.out, choices)
    if args.benchmark:
        header = (f"{args.samples} trials of {args.algo} in the agent benchmark's setting (exposure-train on the raw "
                  f"frames of sice_sequences/train, the fixed `{bench.critic}` critic, ±{bench.max_ev:g} EV), seed "
                  f"{args.seed}, at most {args.steps} env steps each; metric: held-out PSNR on the first "
                  f"{args.eval_photos} sice dev thumbnails, {args.evaluations} points. The first trial is the zoo's "
                  "values; Optuna (TPE, the first half of the samples at random) samples the others, ASHA "
                  "(reduction factor 2) stops trials behind at equal env steps. The fixed rows are on the same "
                  f"thumbnails, ±{bench.max_ev:g} EV.\n\n")
    else:
        header = (f"{args.samples} trials of {args.algo} on the {args.rung} rung, seed {args.seed}, at most {args.steps} "
                  f"env steps each; held-out embedded photos ({args.eval_photos}), T = {args.num_segments}, "
                  f"{args.size}×{args.size}. Optuna (TPE, the first half of the samples at random) samples the "
                  "choices, ASHA (reduction factor 2) stops trials behind at equal env steps. The fixed rows and "
                  "oracles are within ±3 EV, the env's default.\n\n")
    current = zoo_values(args.algo) if args.benchmark else None
    write_report(args.out, header + results_table(rows, baselines, choices, current))
    return rows


if __name__ == "__main__":
    main()
