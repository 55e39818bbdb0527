"""Reward-shaping experiment: stock SB3 agents × reward modes × seeds against a GAN reward that keeps learning.

Every run trains on the embedded training photos with :class:`~exposure_env.wrappers.GANRewardWrapper`
(the critic is retrained between roll-outs by GANRewardCallback), in one reward mode:

  sparse   D(P_T) at the last step (the paper)
  shaped   sparse + γΦ(s') − Φ(s), Φ(s) = D(S^l)  (appendix Eq. 20–23)
  dense    the potential differences alone

and is evaluated on the held-out split (source photos never seen in training) against the exact
targets: PSNR, SSIM, CIEDE2000, and the score of the *packaged* critic, a fixed yardstick that
is the same for every run (the training critics all drift apart). For a fair comparison every
run of one seed starts from the same critic, pre-trained once (p-step) on random-policy results.

Writes into --out (default reports/reward_shaping):
  runs.csv        one row per algorithm, mode and seed: final held-out metrics, wall time
  tune/           the Ray Tune experiment: one trial per run, its checkpoint holding the model and
                  run.json; run again with the same --out and arguments, an interrupted one resumes
  curves.csv      held-out metrics at each evaluation point of every run
  baselines.csv   the fixed rows: identity, random EVs, brackets, auto-exposure, CLAHE, oracles
  results.md      mean ± std over seeds per algorithm and mode, beside identity, random EVs, the
                  brackets, auto-exposure, CLAHE and both oracles on the same photos
  curves.png      held-out PSNR (with the fixed rows as lines) and critic score vs environment steps
                  (mean ± std over seeds)

    python -m train.experiments.reward_shaping --algos ppo td3 --modes sparse shaped dense \\
        --seeds 3 --steps 4096
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path
from typing import Any, Callable

import gymnasium as gym
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from stable_baselines3.common.callbacks import CallbackList  # noqa: E402
from stable_baselines3.common.env_util import make_vec_env  # noqa: E402

import exposure_env  # noqa: E402,F401  (registers the env)
from agents import algorithms  # noqa: E402
from exposure_env import GANReward, GANRewardWrapper  # noqa: E402
from exposure_env.callbacks import GANRewardCallback  # noqa: E402
from exposure_env import REWARD_MODES  # noqa: E402
from train.arguments import add_run_arguments, check_run_arguments  # noqa: E402
from train.common import EVAL_METRICS, HeldOutEvaluation, algorithm_kwargs, group_runs, table_cells, write_csv, write_report  # noqa: E402
from train.evaluate import draw_fixed_rows, save_figure, side_legend  # noqa: E402
from train.experiments.fixed_rows import baseline_rows, held_out_env  # noqa: E402
from train.trials import add_tune_arguments, check_tune_arguments, run_grid  # noqa: E402



def new_gan_reward(seed: int, args: argparse.Namespace) -> GANReward:
    """A GAN reward on the embedded training photos (its clean crops are the experts M2)."""
    return GANReward("embedded", p_steps=args.p_steps, d_steps=args.d_steps, batch_size=args.critic_batch_size,
                     seed=seed, device=args.device)


def pretrained_reward_state(seed: int, args: argparse.Namespace) -> dict[str, Any]:
    """The p-step, once per seed: a GAN reward pre-trained on random-policy results of the training photos."""
    reward = new_gan_reward(seed, args)
    env = gym.make("ExposureRetouch-v0", size=args.size, num_segments=args.num_segments)
    reward.pretrain(env.unwrapped)
    return reward.state_dict()  # the reward is dropped here, so its state needs no copy


def train_one(algo: str, mode: str, seed: int, args: argparse.Namespace, reward_states: dict[int, dict],
              workdir: Path, report: Callable[[dict], None] | None = None) -> dict[str, Any]:
    """Train one agent (a Tune trial of :mod:`train.trials`); saves ``workdir/model.zip``.

    Args:
        algo, mode, seed: the trial: a stock SB3 algorithm, a reward mode, the seed.
        args: the experiment's arguments.
        reward_states: the p-step pre-trained GAN reward of each seed (every run of a seed starts from it).
        workdir: the trial's folder (its checkpoint).
        report: called with each held-out evaluation point.

    Returns:
        The run's record: its final held-out metrics, wall time, critic updates and learning curve.
    """
    torch.manual_seed(seed)
    gan_reward = new_gan_reward(seed, args)
    # a copy: Adam's load_state_dict keeps the given tensors, which this run would then update in place
    gan_reward.load_state_dict(copy.deepcopy(reward_states[seed]))
    env_kwargs = {"size": args.size, "num_segments": args.num_segments, "reward_mode": mode, "gamma": args.gamma}
    envs = make_vec_env(lambda: GANRewardWrapper(gym.make("ExposureRetouch-v0", **env_kwargs), gan_reward),
                        n_envs=args.n_envs, seed=seed)
    kwargs = {**algorithm_kwargs(algo, args.n_envs), "gamma": args.gamma}  # the env's shaping γ is the agent's γ
    model = algorithms.make(algo, "MultiInputPolicy", envs, seed=seed, device=args.device,
                            tensorboard_log=args.tensorboard, **kwargs)
    evaluation = HeldOutEvaluation(held_out_env(args), args.eval_photos, max(1, args.steps // args.evaluations), report)
    started = time.perf_counter()
    model.learn(args.steps, callback=CallbackList([GANRewardCallback(gan_reward), evaluation]),
                tb_log_name=f"{algo}_{mode}_seed{seed}")
    wall = time.perf_counter() - started
    model.save(workdir / "model.zip")
    return {"algo": algo, "mode": mode, "seed": seed, **evaluation.curve[-1], "wall_s": wall,
            "steps_per_s": model.num_timesteps / wall, "critic_updates": gan_reward.num_critic_updates,
            "curve": evaluation.curve}


def summary_table(runs: list[dict], baselines: list[dict]) -> str:
    """Markdown: mean ± std over seeds per algorithm and mode, then the fixed rows (:mod:`~train.experiments.fixed_rows`)."""
    lines = ["| algorithm | reward mode | seeds | PSNR dB ↑ | SSIM ↑ | ΔE2000 ↓ | packaged-critic score ↑ | env steps/s |",
             "|---|---|---|---|---|---|---|---|"]
    for (algo, mode), group in group_runs(runs, lambda run: (run["algo"], run["mode"])).items():
        cell = table_cells(group)
        lines.append(f"| {algo} | {mode} | {len(group)} | {cell['psnr']} | {cell['ssim']} | {cell['delta_e']} | "
                     f"{cell['score']} | {cell['steps_per_s']} |")
    for row in baselines:
        lines.append(f"| {row['algo']} | – | – | {row['psnr']:.2f} | {row['ssim']:.3f} | {row['delta_e']:.2f} | "
                     f"{row['score']:.1f} | – |")
    return "\n".join(lines) + "\n"


def plot_curves(runs: list[dict], baselines: list[dict], out: Path) -> None:
    """curves.png: held-out PSNR and packaged-critic score vs env steps, one panel per algorithm and metric;
    the fixed rows as lines on the PSNR panels."""
    algos = list(dict.fromkeys(run["algo"] for run in runs))
    figure, axes = plt.subplots(2, len(algos), figsize=(4.5 * len(algos), 6.5), squeeze=False)
    for col, algo in enumerate(algos):
        for mode in dict.fromkeys(run["mode"] for run in runs):
            curves = [run["curve"] for run in runs if run["algo"] == algo and run["mode"] == mode]
            if not curves:
                continue
            length = min(len(curve) for curve in curves)
            steps = np.array([point["steps"] for point in curves[0][:length]])
            for row, metric in enumerate(("psnr", "score")):
                values = np.array([[point[metric] for point in curve[:length]] for curve in curves])
                mean, spread = values.mean(axis=0), values.std(axis=0)
                axes[row, col].plot(steps, mean, marker="o", markersize=3, label=mode)
                axes[row, col].fill_between(steps, mean - spread, mean + spread, alpha=0.2)
        draw_fixed_rows(axes[0, col], baselines, labelled=col == len(algos) - 1)
        axes[0, col].set_title(algo.upper())
        axes[0, col].set_ylabel("held-out PSNR (dB)")
        axes[1, col].set_ylabel("held-out packaged-critic score")
        axes[1, col].set_xlabel("environment steps")
    side_legend(axes[0, -1])
    figure.suptitle("Reward shaping under a GAN reward (mean ± std over seeds)")
    save_figure(figure, out / "curves.png")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.experiments.reward_shaping", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--algos", nargs="+", default=["ppo", "td3"], choices=algorithms.STOCK,
                        help="stock SB3 algorithms (hyperparameters from exposure_env.zoo) (default: ppo td3)")
    parser.add_argument("--modes", nargs="+", default=list(REWARD_MODES), choices=REWARD_MODES,
                        help="reward modes (default: all three)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per combination: 0..N-1 (default: 3)")
    parser.add_argument("--steps", type=int, default=4096, help="environment steps per run (default: 4096)")
    add_run_arguments(parser, out="reports/reward_shaping")
    add_tune_arguments(parser)
    return check_tune_arguments(parser, check_run_arguments(parser, parser.parse_args(argv)))


def main(argv: list[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    trials = [{"algo": algo, "mode": mode, "seed": seed}
              for seed in range(args.seeds) for algo in args.algos for mode in args.modes]
    baselines = baseline_rows(args)
    reward_states = {seed: pretrained_reward_state(seed, args) for seed in range(args.seeds)}
    runs = run_grid("reward_shaping", train_one, trials, args, reward_states=reward_states)
    fields = ["algo", "mode", "seed", *EVAL_METRICS, "wall_s", "steps_per_s", "critic_updates"]
    write_csv(args.out / "runs.csv", runs, fields)
    curve_rows = [{"algo": r["algo"], "mode": r["mode"], "seed": r["seed"], **point} for r in runs for point in r["curve"]]
    write_csv(args.out / "curves.csv", curve_rows, ["algo", "mode", "seed", "steps", *EVAL_METRICS])
    table = summary_table(runs, baselines)
    header = (f"Held-out embedded photos ({args.eval_photos}), {args.steps} env steps per run, {args.n_envs} envs, "
              f"T = {args.num_segments}, {args.size}×{args.size}, GAN reward p-step {args.p_steps} / d-step "
              f"{args.d_steps}.\n\n")
    plot_curves(runs, baselines, args.out)
    write_report(args.out, header + table)
    return runs


if __name__ == "__main__":
    main()
