"""Compare DeepExposure (Alg. 1 and 2) with stock SB3 agents, fixed policies and oracles, at equal env steps.

Every learner trains on the embedded training photos for --steps environment steps against
the same GAN reward: one critic per run, started from the same p-step pre-trained state per
seed and retrained between roll-outs (d-step) — by the agent itself for DeepExposure, by
GANRewardCallback for the stock agents. Everything is evaluated on the held-out split
(source photos never seen in training) against the exact targets: PSNR, SSIM, CIEDE2000, and
the score of the *packaged* critic, a fixed yardstick (the training critics drift apart).

Rows with no learning: identity, random, a fixed bracket, global auto-exposure, and the two
oracles of agents.oracle (best single EV, best T EVs: the ceiling of this action space).

Writes into --out (default reports/compare_agents):
  results.md    the table (mean ± std over seeds), gap of each agent to the T-EV oracle
  runs.csv      one row per agent and seed; baselines.csv: the rows with no learning
  tune/         the Ray Tune experiment: one trial per learner and seed, its checkpoint holding the
                model and run.json; run again with the same --out and arguments, an interrupted
                one resumes
  curves.csv    held-out metrics at every evaluation point of every run
  curves.png    held-out PSNR vs environment steps, baselines and oracles as lines

    python -m train.experiments.compare_agents --agents deepexposure-value deepexposure-discriminator \\
        ppo td3 ddpg sac --steps 16384 --evaluations 8
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path
from typing import Any, Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import exposure_env  # noqa: E402,F401  (registers the env)
from agents import algorithms  # noqa: E402
from exposure_env import GANRewardVectorWrapper, SB3VecEnv  # noqa: E402
from exposure_env.vector import ExposureRetouchVectorEnv  # noqa: E402
from train.arguments import add_run_arguments, check_run_arguments  # noqa: E402
from train.common import EVAL_METRICS, HeldOutEvaluation, group_runs, table_cells, write_csv, write_report  # noqa: E402
from train.experiments.reward_shaping import new_gan_reward, pretrained_reward_state, train_one  # noqa: E402
from train.experiments.fixed_rows import baseline_rows, finish_psnr_plot, held_out_env  # noqa: E402
from train.trials import add_tune_arguments, check_tune_arguments, run_grid  # noqa: E402

RUN_FIELDS = ["algo", "seed", *EVAL_METRICS, "wall_s", "steps_per_s", "critic_updates"]


def train_deep_exposure(algo: str, seed: int, args: argparse.Namespace, reward_state: dict,
                        report: Callable[[dict], None] | None) -> tuple[Any, dict[str, Any]]:
    """Train DeepExposure on the batched env (``--n-images`` photos per update) against the GAN reward."""
    torch.manual_seed(seed)
    gan_reward = new_gan_reward(seed, args)
    gan_reward.load_state_dict(copy.deepcopy(reward_state))  # a copy: Adam keeps the given tensors and updates them
    envs = ExposureRetouchVectorEnv(args.n_images, size=args.size, num_segments=args.num_segments, gamma=args.gamma)
    model = algorithms.make(algo, "MultiInputPolicy", SB3VecEnv(GANRewardVectorWrapper(envs, gan_reward)),
                            n_images=args.n_images, gamma=args.gamma, seed=seed, device=args.device,
                            tensorboard_log=args.tensorboard)
    evaluation = HeldOutEvaluation(held_out_env(args), args.eval_photos, max(1, args.steps // args.evaluations),
                                   report)
    started = time.perf_counter()
    model.learn(args.steps, callback=evaluation, tb_log_name=f"{algo}_seed{seed}")
    wall = time.perf_counter() - started
    return model, {"algo": algo, "mode": "sparse", "seed": seed, **evaluation.curve[-1], "wall_s": wall,
                   "steps_per_s": model.num_timesteps / wall, "critic_updates": gan_reward.num_critic_updates,
                   "curve": evaluation.curve}


def train_any(algo: str, seed: int, args: argparse.Namespace, reward_states: dict[int, dict], workdir: Path,
              report: Callable[[dict], None] | None = None) -> dict[str, Any]:
    """One learner, one seed (a Tune trial of :mod:`train.trials`); saves ``workdir/model.zip``.

    DeepExposure trains on the batched env, a stock agent as in the reward-shaping kit (sparse
    reward); both start from the seed's pre-trained GAN reward in ``reward_states``. Returns the
    run's record (final held-out metrics, wall time, learning curve).
    """
    if algo in algorithms.DEEP_EXPOSURE:
        model, record = train_deep_exposure(algo, seed, args, reward_states[seed], report)
        model.save(workdir / "model.zip")
        return record
    return train_one(algo, "sparse", seed, args, reward_states, workdir, report)


def train_all(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every learner × seed as Tune trials (in order), each seed's learners from one pre-trained GAN reward."""
    trials = [{"algo": agent, "seed": seed} for seed in range(args.seeds) for agent in args.agents]
    reward_states = {seed: pretrained_reward_state(seed, args) for seed in range(args.seeds)}
    return run_grid("compare_agents", train_any, trials, args, reward_states=reward_states)


def results_table(runs: list[dict], baselines: list[dict], oracle_psnr: float) -> str:
    """Markdown: learners (mean ± std over seeds) with the gap to the T-EV oracle, then the fixed rows."""
    lines = ["| agent | seeds | PSNR dB ↑ | gap to T-EV oracle dB | SSIM ↑ | ΔE2000 ↓ | packaged-critic score ↑ | "
             "wall s | env steps/s |", "|---|---|---|---|---|---|---|---|---|"]
    for algo, group in group_runs(runs, lambda run: run["algo"]).items():
        cell, gap = table_cells(group), oracle_psnr - np.mean([run["psnr"] for run in group])
        lines.append(f"| {algo} | {len(group)} | {cell['psnr']} | {gap:.2f} | {cell['ssim']} | {cell['delta_e']} | "
                     f"{cell['score']} | {cell['wall_s']} | {cell['steps_per_s']} |")
    for row in baselines:
        lines.append(f"| {row['algo']} | – | {row['psnr']:.2f} | {oracle_psnr - row['psnr']:.2f} | {row['ssim']:.3f} | "
                     f"{row['delta_e']:.2f} | {row['score']:.1f} | – | – |")
    return "\n".join(lines) + "\n"


def plot_curves(runs: list[dict], baselines: list[dict], out: Path) -> None:
    """curves.png: held-out PSNR vs env steps per learner (mean ± std over seeds); fixed rows as lines."""
    figure, axis = plt.subplots(figsize=(8, 5))
    for algo in dict.fromkeys(run["algo"] for run in runs):
        curves = [run["curve"] for run in runs if run["algo"] == algo]
        length = min(len(curve) for curve in curves)
        steps = np.array([point["steps"] for point in curves[0][:length]])
        values = np.array([[point["psnr"] for point in curve[:length]] for curve in curves])
        axis.plot(steps, values.mean(axis=0), marker="o", markersize=3, label=algo)
        axis.fill_between(steps, values.mean(axis=0) - values.std(axis=0), values.mean(axis=0) + values.std(axis=0),
                          alpha=0.2)
    finish_psnr_plot(figure, axis, baselines, "DeepExposure vs stock SB3 agents under the same GAN reward", out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.experiments.compare_agents", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", nargs="+", default=list(algorithms.NAMES), choices=algorithms.NAMES,
                        help="learners to train (default: all)")
    parser.add_argument("--seeds", type=int, default=1, help="seeds per learner: 0..N-1 (default: 1)")
    parser.add_argument("--steps", type=int, default=16384, help="environment steps per run (default: 16384)")
    parser.add_argument("--n-images", type=int, default=64,
                        help="DeepExposure: photos per update, the batched env's size (default: 64)")
    add_run_arguments(parser, out="reports/compare_agents")
    add_tune_arguments(parser)
    args = check_tune_arguments(parser, check_run_arguments(parser, parser.parse_args(argv)))
    if args.n_images < 1:
        parser.error(f"--n-images must be >= 1, got {args.n_images}")
    return args


def main(argv: list[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    baselines = baseline_rows(args)
    runs = train_all(args)
    write_csv(args.out / "runs.csv", runs, RUN_FIELDS)
    write_csv(args.out / "curves.csv", [{"algo": r["algo"], "seed": r["seed"], **p} for r in runs for p in r["curve"]],
              ["algo", "seed", "steps", *EVAL_METRICS])
    oracle_psnr = next(row["psnr"] for row in baselines if row["algo"] == "oracle: best T EVs")
    header = (f"Held-out embedded photos ({args.eval_photos}), {args.steps} env steps per learner, T = "
              f"{args.num_segments}, {args.size}×{args.size}, GAN reward (sparse) p-step {args.p_steps} / d-step "
              f"{args.d_steps}; DeepExposure {args.n_images} photos per update, stock agents {args.n_envs} envs; "
              f"device {args.device}.\n\n")
    table = results_table(runs, baselines, oracle_psnr)
    plot_curves(runs, baselines, args.out)
    write_report(args.out, header + table)
    return runs


if __name__ == "__main__":
    main()
