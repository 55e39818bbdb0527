"""exposure-train: train DeepExposure or a stock SB3 agent on ExposureRetouch-v0 and write a report.

The reward is the paper's GAN reward by default: a critic pre-trained on random-policy results
(p-step) and retrained against the expert photos between roll-outs (d-step), shared by the env
and, for DeepExposure, the agent. --reward critic keeps the packaged critic fixed instead
(no critic training, no paired targets); --critic real takes the shipped real-photo critic
for either, --critic ensemble the two shipped critics as one (embedded, the default, is the
packaged one), --critic PATH any critic built by python -m train.pretrain_critic or
python -m train.ensemble_critic. --reward reference uses the negative RMSE to paired
targets (a diagnostic: it needs the pairs). Checkpoints are written atomically every --checkpoint-every env steps
(with the GAN reward's state beside them); Ctrl-C keeps the last one, and --resume
continues from it with the same step count, optimiser, critic and exploration state.

Writes into --out (default runs/<algo>):
  model.zip (+ model.gan_reward.pt)         the trained agent (exposure-eval/exposure-retouch --model)
  checkpoint.zip (+ .gan_reward.pt)          the latest checkpoint
  curves.png, curves.csv                     held-out PSNR and packaged-critic score vs env steps
  results.md, results.csv, grid.png          held-out metrics of the agent and the reference methods
  tb/                                        TensorBoard logs (SB3 logger)

    exposure-train --algo deepexposure-discriminator --steps 8192
    exposure-train --algo ppo --pool ~/photos --reward-mode shaped --out runs/ppo_shaped
    exposure-train --pool sice_sequences/train --eval-pool sice_sequences/dev --max-ev 5 --reward critic \\
        --critic real
"""

from __future__ import annotations

import argparse
import ast
import inspect
import logging
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from agents import algorithms
from exposure_env import REWARD_MODES
from train.arguments import add_run_arguments, check_run_arguments, log_to_stderr
from train.console import run_tool, stop_reason

if TYPE_CHECKING:  # imported in the functions: --help and argument errors answer before torch loads
    from stable_baselines3.common.base_class import BaseAlgorithm
    from stable_baselines3.common.callbacks import BaseCallback

    from exposure_env import GANReward

logger = logging.getLogger("train.train")
#: --lr-schedule choices
LR_SCHEDULES = ("constant", "linear")
#: agents' arguments exposure-train gives from its own flags (name -> flag), never from --hyperparams
EXPOSURE_TRAIN_SETS = {"gamma": "--gamma", "seed": "--seed", "device": "--device", "tensorboard_log": "--tensorboard"}
#: DeepExposure's further arguments that exposure-train's own flags give (name -> flag)
DEEP_EXPOSURE_SETS = {"value": "--algo", "value_init": "--value-init",
                      "n_images": "--n-images", "p_steps": "--p-steps", "d_steps": "--d-steps or --reward",
                      "gan_reward": "--reward gan", "critic": "--critic",
                      "policy_kwargs": "--ev-prior, --segment-place or --ev-window"}


#: arguments that may differ when a run is resumed; every other one is the run's own (:func:`check_resumed_arguments`)
RESUMABLE_ARGUMENTS = ("steps", "checkpoint_every", "eval_pool", "eval_photos", "evaluations", "device",
                       "tensorboard", "out", "resume")


def save_model(model: BaseAlgorithm, path: Path, gan_reward: GANReward | None) -> None:
    """``model.zip`` naming its algorithm and, with a GAN reward, ``model.gan_reward.pt``, whose SHA-256 the model
    records (so a resume pairs the two files of one save: :func:`~agents.deep_exposure.check_companion`); each
    written atomically, a stop signal held until both are."""
    from agents.deep_exposure import file_sha256
    from exposure_env.atomic import signals_held
    from exposure_env.rewards.adversarial import companion_path

    with signals_held():
        if gan_reward is not None and algorithms.name_of(model) not in algorithms.DEEP_EXPOSURE:
            model.gan_reward_sha256 = file_sha256(gan_reward.save(companion_path(path)))
        algorithms.save(model, path)  # DeepExposure writes its GAN reward's companion itself


def build(args: argparse.Namespace) -> tuple[Any, GANReward | None, list[BaseCallback]]:
    """The training env (with the GAN reward when asked for) and the callbacks the algorithm needs."""
    import copy

    import gymnasium as gym
    from stable_baselines3.common.env_util import make_vec_env

    from exposure_env import GANReward, GANRewardVectorWrapper, GANRewardWrapper, SB3VecEnv
    from exposure_env.callbacks import GANRewardCallback
    from exposure_env.data.experts import ExpertPool
    from exposure_env.rewards.functions import load_critic
    from exposure_env.vector import ExposureRetouchVectorEnv

    critic = None if args.critic is None else load_critic(args.critic, args.device)
    env_kwargs = {"pool": args.pool, "size": args.size, "num_segments": args.num_segments, "max_ev": args.max_ev,
                  "reward_mode": args.reward_mode, "gamma": args.gamma, "fuse_input": args.fuse_input,
                  "shoulder": args.shoulder,
                  "reward": "reference" if args.reward == "reference" else critic or "discriminator"}
    gan_reward = None
    if args.reward == "gan":
        start = "packaged" if critic is None else copy.deepcopy(critic).train()
        experts = args.pool if args.experts is None else ExpertPool(args.experts, size=args.size)
        gan_reward = GANReward(experts, p_steps=args.p_steps, d_steps=args.d_steps, critic=start,
                               batch_size=args.critic_batch_size, seed=args.seed, device=args.device)
    if args.algo in algorithms.DEEP_EXPOSURE:
        vector_env = ExposureRetouchVectorEnv(args.n_images, **env_kwargs)
        if gan_reward is not None:
            vector_env = GANRewardVectorWrapper(vector_env, gan_reward)
        return SB3VecEnv(vector_env), gan_reward, []  # DeepExposure runs the d-step itself

    def make() -> gym.Env:
        env = gym.make("ExposureRetouch-v0", **env_kwargs)
        return env if gan_reward is None else GANRewardWrapper(env, gan_reward)

    callbacks = [] if gan_reward is None else [GANRewardCallback(gan_reward)]
    return make_vec_env(make, n_envs=args.n_envs, seed=args.seed), gan_reward, callbacks


def learning_rate(schedule: str, hyperparams: dict[str, Any]) -> dict[str, Any]:
    """DeepExposure's ``learning_rate`` keyword: ``--hyperparams learning_rate:RATE`` (default
    :data:`~agents.deep_exposure.ACTOR_LEARNING_RATE`), constant or, with ``--lr-schedule linear``, decaying from it."""
    from stable_baselines3.common.utils import LinearSchedule

    from agents.deep_exposure import ACTOR_LEARNING_RATE

    rate = float(hyperparams.get("learning_rate", ACTOR_LEARNING_RATE))
    return {"learning_rate": rate if schedule == "constant" else LinearSchedule(rate, 0.0, 1.0)}


def new_model(args: argparse.Namespace, envs: Any) -> BaseAlgorithm:
    """A fresh model of ``--algo`` (stock agents with the hyperparameters of :mod:`exposure_env.zoo`)."""
    from train.common import algorithm_kwargs

    common = {"gamma": args.gamma, "seed": args.seed, "device": args.device,
              "tensorboard_log": str(args.tensorboard or args.out / "tb")}
    if args.algo in algorithms.DEEP_EXPOSURE:
        if args.algo == "deepexposure-value":
            common["value_init"] = args.value_init
        return algorithms.make(args.algo, "MultiInputPolicy", envs, n_images=args.n_images,
                               d_steps=0 if args.reward == "critic" else args.d_steps,
                               policy_kwargs={"ev_prior": args.ev_prior, "segment_place": args.segment_place,
                                              "ev_window": args.ev_window},
                               **{**args.hyperparams, **learning_rate(args.lr_schedule, args.hyperparams)}, **common)
    return algorithms.make(args.algo, "MultiInputPolicy", envs,
                           **{**algorithm_kwargs(args.algo, args.n_envs, args.hyperparams), **common})


def resume(args: argparse.Namespace, envs: Any, gan_reward: GANReward | None) -> BaseAlgorithm:
    """The checkpoint, continued: step count, optimiser, OU noise (DeepExposure) and critic state.

    Raises:
        ValueError: the checkpoint's GAN-reward file is missing or from another save.
    """
    from agents.deep_exposure import check_companion

    checkpoint = args.out / "checkpoint.zip"
    model = algorithms.load(checkpoint, args.algo, env=envs, device=args.device,
                            tensorboard_log=str(args.tensorboard or args.out / "tb"))
    if gan_reward is not None:  # refused now, before anything runs, if the critic is missing or from another save
        companion = check_companion(checkpoint, getattr(model, "gan_reward_sha256", None))
        if args.algo not in algorithms.DEEP_EXPOSURE:  # DeepExposure restores its own at learn
            gan_reward.restore(companion)
    return model


def run_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """What a run is: every argument but :data:`RESUMABLE_ARGUMENTS`, as JSON values (saved in the model)."""
    return {name: value if value is None or isinstance(value, (bool, int, float)) else str(value)
            for name, value in vars(args).items() if name not in RESUMABLE_ARGUMENTS}


def saved_run_arguments(checkpoint: Path) -> dict[str, Any] | None:
    """The :func:`run_arguments` a saved model records (SB3 keeps its attributes as JSON in the zip's ``data``),
    or ``None`` for a model saved before they were recorded. Reads no torch."""
    import json
    import zipfile

    with zipfile.ZipFile(checkpoint) as archive:
        return json.loads(archive.read("data")).get("run_arguments")


def check_resumed_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace, given: set[str]) -> None:
    """``--resume``: take the checkpoint's run arguments for those not given; refuse one given with another value.

    Raises:
        SystemExit: (``parser.error``) an argument given that differs from the run's, naming both values and the
            arguments that may change.
    """
    saved = saved_run_arguments(args.out / "checkpoint.zip")
    if saved is None:  # a checkpoint from before the record: the arguments given are taken as they are
        return
    current = run_arguments(args)
    changed = [name for name in given & set(saved) if current.get(name) != saved[name]]
    if changed:
        flags = "; ".join(f"--{name.replace('_', '-')} was {saved[name]}, now {current[name]}" for name in sorted(changed))
        parser.error(f"--resume: {args.out / 'checkpoint.zip'} cannot continue with other run arguments ({flags}). "
                     f"Only {', '.join('--' + name.replace('_', '-') for name in RESUMABLE_ARGUMENTS)} may change; "
                     "start a new run in another --out for the others")
    for name, value in saved.items():
        if name not in given and hasattr(args, name):
            setattr(args, name, value)


def given_arguments(parser: argparse.ArgumentParser, argv: list[str] | None, args: argparse.Namespace) -> set[str]:
    """The arguments written on the command line (``--max-ev 3`` is given even where 3 is the default)."""
    unset = object()  # argparse fills in a default only where the namespace has no value yet
    parsed = parser.parse_args(argv, argparse.Namespace(**dict.fromkeys(vars(args), unset)))
    return {name for name, value in vars(parsed).items() if value is not unset}


def hyperparameter(text: str) -> tuple[str, Any]:
    """One ``--hyperparams`` entry, ``NAME:VALUE`` (RL Zoo's form), the value a Python literal.

    Raises:
        argparse.ArgumentTypeError: no ``:`` or a value that is no literal.
    """
    name, colon, value = text.partition(":")
    if not colon or not name:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME:VALUE (e.g. learning_rate:3e-4)")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        raise argparse.ArgumentTypeError(f"{text!r}: the value {value!r} is no Python literal") from None


def check_hyperparams(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse a ``--hyperparams`` name (``args.hyperparams``, a dict) that is no argument of the agent's class (a stock
    agent's may also be the zoo's ``noise_std``/``noise_type``), or one that a flag of exposure-train gives, naming
    it and the flag."""
    if isinstance(args.hyperparams, str):  # --resume: the checkpoint's run arguments hold the dict as text
        args.hyperparams = ast.literal_eval(args.hyperparams)
    if not args.hyperparams:
        return
    deep_exposure = args.algo in algorithms.DEEP_EXPOSURE
    flags = {**EXPOSURE_TRAIN_SETS, **(DEEP_EXPOSURE_SETS if deep_exposure else {})}
    taken = set(inspect.signature(algorithms.algorithm_class(args.algo).__init__).parameters)
    allowed = (taken - {"self", "policy", "env", "action_noise", "verbose", "_init_setup_model", *flags}
               ) | (set() if deep_exposure else {"noise_std", "noise_type"})
    for name in args.hyperparams:
        if name in flags:
            parser.error(f"--hyperparams {name}: exposure-train sets it (give {flags[name]})")
        if name not in allowed:
            parser.error(f"--hyperparams {name}: not a hyperparameter of {args.algo} (one of {', '.join(sorted(allowed))})")


def plot_curve(curve: list[dict], fixed_rows: list[dict], out: Path, title: str) -> None:
    """curves.png: held-out PSNR and packaged-critic score vs env steps, beside each fixed row (identity,
    auto-exposure, the brackets, the oracles: :func:`~train.evaluate.evaluate` rows on the same photos) as a line."""
    from train.evaluate import draw_fixed_rows, pyplot, save_figure, side_legend

    plt = pyplot()
    steps = [point["steps"] for point in curve]
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for axis, metric, label in zip(axes, ("psnr", "score"), ("held-out PSNR (dB)", "held-out packaged-critic score")):
        axis.plot(steps, [point[metric] for point in curve], marker="o", markersize=5, linewidth=2.5, color="tab:red",
                  zorder=3, label="the agent")  # drawn over the fixed rows it may lie on
        draw_fixed_rows(axis, [row for row in fixed_rows if math.isfinite(row[metric])], metric, key="method",
                        labelled=metric == "psnr")
        axis.set_xlabel("environment steps")
        axis.set_ylabel(label)
    side_legend(axes[0], axes[-1])
    figure.suptitle(title)
    save_figure(figure, out / "curves.png")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="exposure-train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--algo", default=None, choices=algorithms.NAMES,
                        help="deepexposure-value (Alg. 1), deepexposure-discriminator (Alg. 2, the default) or a "
                             "stock SB3 agent; --resume reads it from the checkpoint")
    parser.add_argument("--pool", default="embedded",
                        help="training photos: embedded (default), a folder (raw/ + expert/) or a FiveK export")
    parser.add_argument("--eval-pool", default="embedded:test", help="held-out photos (default: embedded:test)")
    parser.add_argument("--reward", default="gan", choices=("gan", "critic", "reference"),
                        help="gan: the paper's retrained critic (default); critic: the packaged critic, kept fixed; "
                             "reference: −RMSE to paired targets (needs them)")
    parser.add_argument("--critic", default=None, metavar="embedded|real|ensemble|people|PATH",
                        help="the critic of --reward critic, or the one --reward gan starts from: embedded (the "
                             "packaged one, default), real (trained on real sequences), ensemble (the two as one), "
                             "people (the people look's exposure-error critic of photos people made) "
                             "or a critic.pt from python -m train.pretrain_critic or train.ensemble_critic")
    parser.add_argument("--experts", nargs="+", type=Path, default=None, metavar="DIR",
                        help="--reward gan: the expert photos M2 the critic learns to tell the policy's results "
                             "from, folders of photos people made, read recursively (default: the expert photos of "
                             "--pool, e.g. the fusions of its sequences)")
    parser.add_argument("--max-ev", type=float, default=3.0,
                        help="EV range: an action of ±1 exposes ±max_ev stops (default: 3; real dark photos need 5)")
    parser.add_argument("--fuse-input", action="store_true",
                        help="also fuse the photo itself (its 0-EV frame) into the result P_T the critic judges, and "
                             "so into every render of the model (ExposureMDP.fuse_input; default: the T exposures "
                             "alone, as the paper)")
    parser.add_argument("--shoulder", type=float, default=None, metavar="KNEE",
                        help="roll the highlights each exposure pushes past white off from this linear knee in (0, 1) "
                             "instead of clipping them, in every episode and so in every render of the model "
                             "(ExposureMDP.shoulder; the fusion look uses 0.1; default: clip, as the paper)")
    parser.add_argument("--reward-mode", default="sparse", choices=REWARD_MODES,
                        help="sparse (the paper, default), shaped or dense (appendix Eq. 20–23)")
    parser.add_argument("--steps", type=int, default=8192, help="environment steps (default: 8192)")
    parser.add_argument("--seed", type=int, default=0, help="seed of everything (default: 0)")
    parser.add_argument("--n-images", type=int, default=64, help="DeepExposure: photos per update (default: 64)")
    parser.add_argument("--lr-schedule", default="constant", choices=LR_SCHEDULES,
                        help="DeepExposure: the actor's learning rate over the run (--hyperparams learning_rate, "
                             "default 1e-3), constant (default) or linear from it to 0 at the last update (SB3's "
                             "LinearSchedule)")
    # the choices are agents.policies.EV_PRIORS, not imported here: --help loads no torch
    parser.add_argument("--ev-prior", default="auto-exposure", choices=("auto-exposure", "none"),
                        help="DeepExposure: where the actor's exposure starts before it learns, the photo's global "
                             "auto-exposure (default) or 0 EV, the photo as it is (agents.policies.Actor)")
    parser.add_argument("--ev-window", type=float, default=None, metavar="STOPS",
                        help="DeepExposure, auto-exposure prior: every segment's exposure within ±STOPS of the "
                             "photo's auto-exposure (default: the whole ±max-ev range; agents.policies.Actor)")
    parser.add_argument("--segment-place", action="store_true",
                        help="DeepExposure: the actor also reads where each segment lies in the photo (its centre and "
                             "spread; agents.policies.segment_place)")
    parser.add_argument("--value-init", default="discriminator", choices=("discriminator", "random"),
                        help="DeepExposure I: its value network starts as the critic (Eq. 15-19, default; needs one "
                             "critic, not an ensemble) or from random weights (Alg. 1 as written)")
    parser.add_argument("--hyperparams", nargs="+", type=hyperparameter, default=None, metavar="NAME:VALUE",
                        help="hyperparameters in the agent's keyword names and units (RL Zoo's form): over those of "
                             "exposure_env.zoo for a stock agent (--hyperparams learning_rate:3e-4 batch_size:128 "
                             "noise_std:0.1; each replaces the zoo's entry whole, as RL Zoo's -params does, so a "
                             "policy_kwargs given here drops the zoo's, e.g. TD3's and DDPG's Adam eps of 1); "
                             "DeepExposure's own, e.g. learning_rate:2.5e-4 gradient_steps:16 batch_size:64 "
                             "ou_sigma:0.1")
    parser.add_argument("--checkpoint-every", type=int, default=2048,
                        help="env steps between checkpoints (default: 2048)")
    parser.add_argument("--resume", action="store_true", help="continue from --out/checkpoint.zip")
    add_run_arguments(parser, out=None, tensorboard="tb/ in the run folder")
    parser.add_argument("--out", type=Path, default=None, help="run folder (default: runs/<algo>)")
    args = parser.parse_args(argv)
    args.hyperparams = dict(args.hyperparams or [])
    for name in ("n_images", "checkpoint_every"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if not 0 < args.max_ev <= 10:
        parser.error(f"--max-ev must be in (0, 10] stops, got {args.max_ev}")
    if args.critic is not None and args.reward == "reference":
        parser.error("--critic: the reference reward uses no critic")
    if args.resume:
        if args.out is None:
            parser.error("--resume needs --out, the run folder that holds checkpoint.zip")
        checkpoint = args.out / "checkpoint.zip"
        if not checkpoint.is_file():
            parser.error(f"--resume: no checkpoint at {checkpoint}")
        try:
            saved = algorithms.saved_name(checkpoint)
        except ValueError as error:
            parser.error(str(error))
        if args.algo is not None and saved is not None and args.algo != saved:
            parser.error(f"--algo {args.algo}: {checkpoint} was saved by {saved}")
        args.algo = args.algo or saved
        if args.algo is None:
            parser.error(f"--resume: {checkpoint} does not say which algorithm saved it; give --algo")
        check_resumed_arguments(parser, args, given_arguments(parser, argv, args))
    args.algo = args.algo or "deepexposure-discriminator"
    check_run_arguments(parser, args, min_size=16 if args.algo in algorithms.DEEP_EXPOSURE else 36)
    if args.experts is not None and args.reward != "gan":
        parser.error(f"--experts: only the GAN reward's critic learns from expert photos (--reward {args.reward})")
    if args.fuse_input and args.algo not in algorithms.DEEP_EXPOSURE:
        parser.error(f"--fuse-input: only DeepExposure records it for its renders (--algo {args.algo})")
    if args.shoulder is not None and args.algo not in algorithms.DEEP_EXPOSURE:
        parser.error(f"--shoulder: only DeepExposure ({', '.join(algorithms.DEEP_EXPOSURE)}) records it for its "
                     f"renders, not --algo {args.algo}")
    if args.segment_place and args.algo not in algorithms.DEEP_EXPOSURE:
        parser.error(f"--segment-place: only DeepExposure's actor reads it (--algo {args.algo})")
    if args.ev_window is not None:
        if args.algo not in algorithms.DEEP_EXPOSURE or args.ev_prior != "auto-exposure":
            parser.error(f"--ev-window: only DeepExposure's actor with the auto-exposure prior has one (--algo "
                         f"{args.algo}, --ev-prior {args.ev_prior})")
        if not 0 < args.ev_window <= 2 * args.max_ev:
            parser.error(f"--ev-window must be in (0, 2·max-ev] = (0, {2 * args.max_ev:g}] stops, got {args.ev_window}")
    if args.value_init != "discriminator" and args.algo != "deepexposure-value":
        parser.error(f"--value-init {args.value_init}: only DeepExposure I has a value network (--algo {args.algo})")
    if args.algo == "deepexposure-value" and args.value_init == "discriminator" and args.reward != "reference":
        from exposure_env.rewards.functions import read_provenance

        try:
            ensemble = "members" in read_provenance(args.critic or "embedded")
        except FileNotFoundError as error:
            parser.error(f"--critic {args.critic}: {error}")
        if ensemble:
            parser.error(f"--critic {args.critic} is an ensemble: DeepExposure I's value network cannot start as it; "
                         "give --value-init random or a single critic")
    if args.ev_prior != "auto-exposure" and args.algo not in algorithms.DEEP_EXPOSURE:
        parser.error(f"--ev-prior {args.ev_prior}: only DeepExposure's actor has one (--algo {args.algo})")
    if args.lr_schedule != "constant" and args.algo not in algorithms.DEEP_EXPOSURE:
        parser.error(f"--lr-schedule {args.lr_schedule}: only DeepExposure's actor has one (--algo {args.algo} "
                     "takes its zoo hyperparameters)")
    check_hyperparams(parser, args)
    args.out = args.out or Path("runs") / args.algo
    return args


def main(argv: list[str] | None = None, report: Callable[[dict], None] | None = None) -> int:
    """exposure-train ``argv``; ``report`` is called with each held-out curve point as it is taken (a Tune trial's
    ``tune.report``). Returns the exit code."""
    args = parse_args(argv)
    logger.info("loading torch, Stable-Baselines3 and the training photos (%s)", args.pool)
    import gymnasium as gym
    import torch
    from stable_baselines3.common.callbacks import CallbackList

    from exposure_env.callbacks import AtomicCheckpoint
    from train.evaluate import (evaluate, grid_images, model_method, reference_methods, source_rows,
                                write_grid, write_tables)
    from train.common import HeldOutEvaluation, write_csv
    from train.training_progress import TrainingProgress

    torch.manual_seed(args.seed)
    try:
        envs, gan_reward, callbacks = build(args)
        eval_env = gym.make("ExposureRetouch-v0", pool=args.eval_pool, size=args.size, num_segments=args.num_segments,
                            max_ev=args.max_ev, fuse_input=args.fuse_input, shoulder=args.shoulder)
        model = resume(args, envs, gan_reward) if args.resume else new_model(args, envs)
    except (ValueError, OSError) as error:
        print(f"exposure-train: {error}", file=sys.stderr)
        return 2
    model.run_arguments = run_arguments(args)  # saved with the model: what a --resume must keep
    eval_photos = min(args.eval_photos, len(eval_env.unwrapped.pool))
    logger.info("training %s for %d env steps; held-out evaluation of %d photos every %d steps", args.algo,
                args.steps, eval_photos, max(1, args.steps // args.evaluations))
    evaluation = HeldOutEvaluation(eval_env, eval_photos, max(1, args.steps // args.evaluations), report)
    saved_at = [model.num_timesteps if args.resume else None]  # the step of the last checkpoint

    def save_checkpoint(model: BaseAlgorithm, path: Path) -> None:
        save_model(model, path, gan_reward)
        saved_at[0] = model.num_timesteps

    checkpoint = AtomicCheckpoint(args.out / "checkpoint.zip", args.checkpoint_every, save_checkpoint)
    remaining = args.steps - model.num_timesteps  # --resume: up to the same total
    try:
        if remaining > 0:
            progress = TrainingProgress(remaining, f"exposure-train: training {args.algo}")
            model.learn(remaining, callback=CallbackList([*callbacks, checkpoint, evaluation, progress]),
                        reset_num_timesteps=not args.resume, tb_log_name=args.algo)
    except KeyboardInterrupt as interrupt:
        stopped = stop_reason(interrupt)
        kept = ("no checkpoint was written yet (nothing to resume)" if saved_at[0] is None else
                f"the last checkpoint is {args.out / 'checkpoint.zip'} at step {saved_at[0]} (continue with --resume)")
        print(f"\nexposure-train: stopped by {stopped.signal_name} at step {model.num_timesteps} of {args.steps}; "
              f"{kept}; not done: the rest of the training, model.zip and the report", file=sys.stderr)
        return stopped.exit_code
    if not evaluation.curve:  # nothing was left to train
        evaluation.init_callback(model)
        evaluation.on_training_start({}, {})
    save_model(model, args.out / "model.zip", gan_reward)
    write_csv(args.out / "curves.csv", evaluation.curve, ["steps", "score", "psnr", "ssim", "delta_e"])
    logger.info("evaluating the model and the reference methods on %d held-out photos", eval_photos)
    methods = {**reference_methods(eval_env.unwrapped.pool.paired), args.algo: model_method(model)}
    rows, _ = evaluate(eval_env, methods, eval_photos)
    write_tables(rows, args.out, f"{eval_photos} held-out photos ({args.eval_pool})", agent=args.algo)
    plot_curve(evaluation.curve, [row for row in rows if row["method"] != args.algo], args.out,
               f"{args.algo}, {args.reward} reward ({args.reward_mode})")
    images = grid_images(eval_env, methods, source_rows(eval_env.unwrapped.pool, eval_photos, 6))  # readable size
    write_grid(images, len(images["raw"]), args.out)
    print((args.out / "results.md").read_text())
    print(f"model and report written to {args.out.resolve()}", file=sys.stderr)
    return 0


def entry_point() -> None:
    """Console script: say what each long phase does on stderr, exit with :func:`main`'s code; a stop signal
    (:func:`~train.console.run_tool`) says what was done and exits 130 (SIGINT), 143 (SIGTERM) or 129 (SIGHUP)."""
    log_to_stderr("exposure-train")
    run_tool(main, "exposure-train")


if __name__ == "__main__":
    entry_point()
