"""Command-line arguments every training run shares: ``exposure-train`` and the experiments.

Only the standard library is imported here, so that ``--help`` and argument errors answer
before torch, Stable-Baselines3 or OpenCV load.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

#: the loggers whose INFO lines say what a long phase is doing
PROJECT_LOGGERS = ("exposure_env", "agents", "train")

#: where the development data lies, beside the project (``../shared/data``)
DEVELOPMENT_DATA = Path("../shared/data")


def add_yardstick_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--sice`` (bracketed sequences: train/ and dev/) and ``--fivek`` (photos a person retouched)."""
    parser.add_argument("--sice", type=Path, default=DEVELOPMENT_DATA / "sice_sequences",
                        help="sice_sequences: train/ to train on, dev/ to judge (default: %(default)s)")
    parser.add_argument("--fivek", type=Path, default=DEVELOPMENT_DATA / "photos_by_people" / "fivek_dev",
                        help="raw/ + expert/ photos retouched by a person, to judge (default: %(default)s)")


def add_run_arguments(parser: argparse.ArgumentParser, out: str | None, tensorboard: str = "none") -> None:
    """Add the arguments every GAN-reward training run shares (env, critic schedule, evaluation).

    Args:
        parser: the tool's parser.
        out: the default report folder; ``None`` adds no ``--out`` (the tool adds its own).
        tensorboard: what the help calls the default TensorBoard folder.
    """
    parser.add_argument("--n-envs", type=int, default=4, help="stock agents: parallel envs sharing one critic (default: 4)")
    parser.add_argument("--size", type=int, default=64, help="thumbnail side S (default: 64)")
    parser.add_argument("--num-segments", type=int, default=4, help="T, steps per episode (default: 4)")
    parser.add_argument("--gamma", type=float, default=0.99, help="discount, also of the shaping (default: 0.99)")
    parser.add_argument("--p-steps", type=int, default=30, help="critic pre-training updates (default: 30)")
    parser.add_argument("--d-steps", type=int, default=5, help="critic updates per roll-out (default: 5)")
    parser.add_argument("--critic-batch-size", type=int, default=64,
                        help="photos of each kind per critic update (default: 64)")
    parser.add_argument("--eval-photos", type=int, default=16, help="held-out photos per evaluation (default: 16)")
    parser.add_argument("--evaluations", type=int, default=4, help="evaluation points per run (default: 4)")
    parser.add_argument("--device", default="cpu", help="torch device (default: cpu)")
    parser.add_argument("--tensorboard", type=Path, default=None, help=f"TensorBoard log folder (default: {tensorboard})")
    if out is not None:
        parser.add_argument("--out", type=Path, default=Path(out), help=f"report folder (default: {out})")


def check_run_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace, min_size: int = 36
                        ) -> argparse.Namespace:
    """Reject bad values of the shared arguments (and of ``--seeds``/``--steps``) with a one-line error.

    Returns:
        ``args``, checked.
    """
    for name in ("seeds", "steps", "n_envs", "eval_photos", "evaluations", "d_steps", "critic_batch_size"):
        if getattr(args, name, 1) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.size < min_size:
        parser.error(f"--size must be >= {min_size} (36: the input of SB3's NatureCNN), got {args.size}")
    if args.p_steps < 0:
        parser.error(f"--p-steps must be >= 0, got {args.p_steps}")
    return args


def log_to_stderr(prog: str) -> None:
    """Show the project's INFO lines (what a long phase is doing) and warnings on stderr as ``prog: message``."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(f"{prog}: %(message)s"))
    for name in PROJECT_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
