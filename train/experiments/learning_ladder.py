"""The learning ladder: does the learner learn, rung by rung from the exact reward to the paper's GAN reward?

Three rungs, each with DeepExposure I (value network), DeepExposure II (discriminator as value)
and PPO, trained on the embedded training photos and evaluated on the held-out split:

  reference  −RMSE to the known target: isolates the RL machinery from the reward's taste
  critic     the packaged critic, fixed (DeepExposure with d_steps=0): does the learner climb the
             critic it is given?
  gan        the GAN reward retrained between roll-outs (p-step, then d-steps): the paper

--ablations adds DeepExposure II runs on the reference rung, each changing one choice the
paper leaves open (EV prior, objective, actor network, learning rate, gradient steps, OU noise,
EV range).

Every report shows the fixed rows beside the learners, measured the same way on the same
photos: identity, global auto-exposure, CLAHE, the ±1.5 and ±2 EV brackets, random EVs, and the
two oracles (best single EV, best T EVs: the ceiling of this action space).

Writes into --out (default reports/learning_ladder):
  results.md    learners (mean ± std over seeds) and fixed rows: PSNR, SSIM, ΔE2000, packaged-critic
                score, EV spread across photos, wall seconds
  runs.csv      one row per rung, agent, variant and seed; baselines.csv: the fixed rows
  tune/         the Ray Tune experiment: one trial per run, its checkpoint holding the model and
                run.json (the run with its curve); an interrupted ladder, run again with the same
                --out and arguments, resumes there (train.trials)
  curves.csv    held-out metrics at every evaluation point (env steps and training seconds)
  curves.png    held-out PSNR against env steps and against wall-clock seconds, one column per rung

    python -m train.experiments.learning_ladder --steps 8192 --ablations
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
from exposure_env import GANRewardVectorWrapper, GANRewardWrapper, SB3VecEnv  # noqa: E402
from exposure_env.callbacks import GANRewardCallback  # noqa: E402
from exposure_env.vector import ExposureRetouchVectorEnv  # noqa: E402
from train.evaluate import draw_fixed_rows, save_figure, side_legend  # noqa: E402
from train.arguments import add_run_arguments, check_run_arguments  # noqa: E402
from train.experiments.fixed_rows import baseline_rows, held_out_env  # noqa: E402
from train.common import EVAL_METRICS, HeldOutEvaluation, algorithm_kwargs, group_runs, table_cells, write_csv, write_report  # noqa: E402
from train.experiments.reward_shaping import new_gan_reward, pretrained_reward_state  # noqa: E402
from train.trials import add_tune_arguments, check_tune_arguments, run_grid  # noqa: E402

#: rung -> the env's ``reward=``; the "gan" rung wraps the packaged-critic env in a retrained GANReward
RUNGS = {"reference": "reference", "critic": "discriminator", "gan": "discriminator"}
AGENTS = (*algorithms.DEEP_EXPOSURE, "ppo")
#: DeepExposure II on the reference rung, one open choice changed per row (DeepExposure and env kwargs)
ABLATIONS: dict[str, dict[str, Any]] = {
    "no EV prior (plain tanh actor, as in the paper)": {"policy_kwargs": {"ev_prior": "none"}},
    "objective=local (S^l_{t+1} for P_T)": {"objective": "local"},
    "actor + CNN trunk (32-256)": {"policy_kwargs": {"actor_widths": (32, 64, 128, 256)}},
    "learning rate 1e-4": {"learning_rate": 1e-4},
    "learning rate 3e-3": {"learning_rate": 3e-3},
    "1 gradient step per roll-out": {"gradient_steps": 1},
    "OU sigma 0.5": {"ou_sigma": 0.5},
    "max_ev 5": {"env": {"max_ev": 5.0}},
}
RUN_FIELDS = ["rung", "algo", "variant", "seed", *EVAL_METRICS, "ev_spread", "wall_s", "steps_per_s"]


def train_run(rung: str, algo: str, variant: str, seed: int, args: argparse.Namespace,
              reward_states: dict[int, dict], workdir: Path, report: Callable[[dict], None] | None = None,
              overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """One learner on one rung (a Tune trial of :mod:`train.trials`); saves ``workdir/model.zip``.

    Args:
        rung, algo, variant, seed: the trial: a key of :data:`RUNGS`, a learner of :data:`AGENTS`,
            ``"default"`` or a key of :data:`ABLATIONS`, the seed.
        args: the ladder's arguments.
        reward_states: the p-step pre-trained GAN reward of each seed (the gan rung starts from it).
        workdir: the trial's folder (its checkpoint).
        report: called with each held-out evaluation point.
        overrides: DeepExposure and env (``"env"``) arguments over the variant's (the sweep's samples).

    Returns:
        The run's record: its final held-out metrics, wall time, env steps/s and learning curve.
    """
    torch.manual_seed(seed)
    kwargs = copy.deepcopy(ABLATIONS.get(variant, {}))
    for key, value in (overrides or {}).items():
        kwargs[key] = {**kwargs.get(key, {}), **value} if key == "env" else value
    env_kwargs = {"size": args.size, "num_segments": args.num_segments, "reward": RUNGS[rung], **kwargs.pop("env", {})}
    gan_reward = None
    if rung == "gan":
        gan_reward = new_gan_reward(seed, args)
        gan_reward.load_state_dict(copy.deepcopy(reward_states[seed]))  # a copy: Adam keeps the tensors it is given
    callbacks = []
    if algo in algorithms.DEEP_EXPOSURE:
        if rung == "critic":
            kwargs["d_steps"] = 0  # value with the env's packaged critic as it is: no p-step, no d-step
        envs = ExposureRetouchVectorEnv(args.n_images, **env_kwargs)
        venv = SB3VecEnv(envs if gan_reward is None else GANRewardVectorWrapper(envs, gan_reward))
        model = algorithms.make(algo, "MultiInputPolicy", venv, n_images=args.n_images, seed=seed, device=args.device,
                                tensorboard_log=args.tensorboard, **kwargs)
    else:
        def make() -> gym.Env:
            env = gym.make("ExposureRetouch-v0", **env_kwargs)
            return env if gan_reward is None else GANRewardWrapper(env, gan_reward)

        venv = make_vec_env(make, n_envs=args.n_envs, seed=seed)
        model = algorithms.make(algo, "MultiInputPolicy", venv, seed=seed, device=args.device,
                                tensorboard_log=args.tensorboard, **algorithm_kwargs(algo, args.n_envs))
        if gan_reward is not None:
            callbacks.append(GANRewardCallback(gan_reward))
    judged_with = {"max_ev": env_kwargs["max_ev"]} if "max_ev" in env_kwargs else {}  # actions are in its units
    evaluation = HeldOutEvaluation(held_out_env(args, **judged_with), args.eval_photos,
                                   max(1, args.steps // args.evaluations), report)
    started = time.perf_counter()
    model.learn(args.steps, callback=CallbackList([*callbacks, evaluation]), tb_log_name=f"{rung}_{algo}_seed{seed}")
    wall = time.perf_counter() - started
    model.save(workdir / "model.zip")
    return {"rung": rung, "algo": algo, "variant": variant, "seed": seed, **evaluation.curve[-1], "wall_s": wall,
            "steps_per_s": model.num_timesteps / wall, "curve": evaluation.curve}


def plan(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The trials (rung, algo, variant, seed) of the ladder, in order."""
    runs = [(rung, agent, "default", seed) for seed in range(args.seeds) for rung in args.rungs for agent in args.agents]
    if args.ablations:
        runs += [("reference", "deepexposure-discriminator", variant, seed) for seed in range(args.seeds)
                 for variant in ABLATIONS]
    return [dict(zip(("rung", "algo", "variant", "seed"), run)) for run in runs]


def gan_reward_states(seeds: set[int], args: argparse.Namespace) -> dict[int, dict]:
    """The p-step of each seed in ``seeds``, once: the pre-trained GAN reward its gan-rung learners share."""
    return {seed: pretrained_reward_state(seed, args) for seed in sorted(seeds)}


def label(run: dict) -> str:
    return run["algo"] if run["variant"] == "default" else f"{run['algo']}: {run['variant']}"


def results_table(runs: list[dict], baselines: list[dict]) -> str:
    """Markdown: the learners of each rung (mean ± std over seeds), then the fixed rows."""
    lines = ["| rung | learner | seeds | PSNR dB ↑ | SSIM ↑ | ΔE2000 ↓ | packaged-critic score ↑ | EV spread | wall s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for (rung, name), group in group_runs(runs, lambda run: (run["rung"], label(run))).items():
        cell = table_cells(group)
        lines.append(f"| {rung} | {name} | {len(group)} | {cell['psnr']} | {cell['ssim']} | {cell['delta_e']} | "
                     f"{cell['score']} | {cell['ev_spread']} | {cell['wall_s']} |")
    lines += [f"| fixed | {row['algo']} | – | {row['psnr']:.2f} | {row['ssim']:.3f} | {row['delta_e']:.2f} | "
              f"{row['score']:.1f} | – | – |" for row in baselines]
    return "\n".join(lines) + "\n"


def plot_curves(runs: list[dict], baselines: list[dict], out: Path) -> None:
    """curves.png: held-out PSNR vs env steps (top) and vs training seconds (bottom), one column per rung."""
    rungs = list(dict.fromkeys(run["rung"] for run in runs))
    names = list(dict.fromkeys(label(run) for run in runs))
    # one colour and line per learner in every rung: the ten colours again, dashed, past the tenth
    styles = {name: {"color": f"C{index % 10}", "linestyle": "-" if index < 10 else "--"}
              for index, name in enumerate(names)}
    figure, axes = plt.subplots(2, len(rungs), figsize=(6 * len(rungs), 8), squeeze=False, sharey=True)
    for column, rung in enumerate(rungs):
        for name in dict.fromkeys(label(run) for run in runs if run["rung"] == rung):
            curves = [run["curve"] for run in runs if run["rung"] == rung and label(run) == name]
            length = min(len(curve) for curve in curves)
            psnr = np.array([[point["psnr"] for point in curve[:length]] for curve in curves]).mean(axis=0)
            for row, axis_key in enumerate(("steps", "seconds")):
                x = np.array([[point[axis_key] for point in curve[:length]] for curve in curves]).mean(axis=0)
                axes[row, column].plot(x, psnr, marker="o", markersize=3, label=name, **styles[name])
        for row in range(2):
            draw_fixed_rows(axes[row, column], baselines, labelled=column == 0 and row == 0)
        axes[0, column].set_title(f"rung: {rung}")
        axes[0, column].set_xlabel("environment steps")
        axes[1, column].set_xlabel("training seconds (evaluations excluded)")
    for row in range(2):
        axes[row, 0].set_ylabel("held-out PSNR (dB)")
    side_legend(axes[0], axes[0, -1])  # every learner of every rung (each keeps its style across rungs), once
    figure.suptitle("Learning ladder: held-out PSNR of each learner beside the fixed methods")
    save_figure(figure, out / "curves.png")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.experiments.learning_ladder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rungs", nargs="+", default=list(RUNGS), choices=RUNGS, help="rungs to run (default: all)")
    parser.add_argument("--agents", nargs="+", default=list(AGENTS), choices=AGENTS,
                        help="learners on every rung (default: DeepExposure I, II and PPO)")
    parser.add_argument("--ablations", action="store_true",
                        help="also run DeepExposure II on the reference rung with each open choice changed")
    parser.add_argument("--seeds", type=int, default=1, help="seeds per learner: 0..N-1 (default: 1)")
    parser.add_argument("--steps", type=int, default=8192, help="environment steps per run (default: 8192)")
    parser.add_argument("--n-images", type=int, default=64,
                        help="DeepExposure: photos per roll-out, the batched env's size (default: 64)")
    add_run_arguments(parser, out="reports/learning_ladder")
    add_tune_arguments(parser)
    args = check_tune_arguments(parser, check_run_arguments(parser, parser.parse_args(argv)))
    if args.n_images < 1:
        parser.error(f"--n-images must be >= 1, got {args.n_images}")
    return args


def main(argv: list[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    baselines = baseline_rows(args)
    trials = plan(args)
    reward_states = gan_reward_states({trial["seed"] for trial in trials if trial["rung"] == "gan"}, args)
    runs = run_grid("learning_ladder", train_run, trials, args, reward_states=reward_states)
    write_csv(args.out / "runs.csv", runs, RUN_FIELDS)
    write_csv(args.out / "curves.csv", [{"rung": r["rung"], "algo": label(r), "seed": r["seed"], **point}
                                        for r in runs for point in r["curve"]],
              ["rung", "algo", "seed", "steps", "seconds", *EVAL_METRICS, "ev_spread"])
    header = (f"Held-out embedded photos ({args.eval_photos}), {args.steps} env steps per run, T = {args.num_segments}, "
              f"{args.size}×{args.size}; DeepExposure {args.n_images} photos per roll-out, PPO {args.n_envs} envs; "
              f"gan rung: p-step {args.p_steps}, d-step {args.d_steps}; device {args.device}. EV spread: standard "
              f"deviation of the chosen EVs across photos, mean over the T steps.\n\n")
    table = results_table(runs, baselines)
    plot_curves(runs, baselines, args.out)
    write_report(args.out, header + table)
    return runs


if __name__ == "__main__":
    main()
