"""The rows with no learning, measured the same way as every learner: held-out env, fixed methods, oracles.

Every experiment on the embedded photos (the ladder, the agent comparison, reward shaping, the
sweep) shows its learners beside identity, random EVs, the ±1.5 and ±2 EV
brackets, global auto-exposure, CLAHE and both oracles, on the same held-out embedded photos,
scored by the packaged critic (a fixed yardstick) and against the exact targets.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import gymnasium as gym
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import exposure_env  # noqa: E402,F401  (registers the env)
from exposure_env.data import EmbeddedPool  # noqa: E402
from train import policies  # noqa: E402
from train.common import EVAL_METRICS, write_csv  # noqa: E402
from train.evaluate import (draw_fixed_rows, evaluate, policy_method, reference_methods, save_figure,  # noqa: E402
                            side_legend)

#: the fixed rows besides the two oracles
BASELINES = ("identity", "random", "bracket -1.5..+1.5 EV", "bracket -2..+2 EV", "global auto-exposure",
             "global auto-exposure, log-average", "CLAHE on L")


def held_out_env(args: argparse.Namespace, **settings: Any) -> gym.Env:
    """The evaluation env: held-out photos, scored by the packaged critic (a fixed yardstick).

    ``settings`` are env settings over the defaults; a run trained with another ``max_ev`` must
    be judged with it (its actions are in units of it).
    """
    return gym.make("ExposureRetouch-v0", pool=EmbeddedPool("test", n_items=args.eval_photos), size=args.size,
                    num_segments=args.num_segments, **settings)


def baseline_rows(args: argparse.Namespace, env: gym.Env | None = None) -> list[dict[str, Any]]:
    """Fixed policies and the two oracles on the first ``args.eval_photos`` held-out photos of ``env`` (default:
    :func:`held_out_env`), same metrics as the agents, also written to ``args.out / "baselines.csv"``."""
    methods = {**reference_methods(paired=True), "random": policy_method(policies.make_random(0))}
    rows, _ = evaluate(env or held_out_env(args), methods, args.eval_photos)
    baselines = [{"algo": row["method"], **{m: row[m] for m in EVAL_METRICS}} for row in rows]
    write_csv(args.out / "baselines.csv", baselines, ["algo", *EVAL_METRICS])
    return baselines


def finish_psnr_plot(figure: plt.Figure, axis: plt.Axes, baselines: list[dict], title: str, out: Path) -> None:
    """Held-out PSNR against env steps: the fixed rows as lines, labels and legend; saved as ``out/curves.png``."""
    draw_fixed_rows(axis, baselines)
    axis.set_xlabel("environment steps")
    axis.set_ylabel("held-out PSNR (dB)")
    axis.set_title(title)
    side_legend(axis)
    save_figure(figure, out / "curves.png")
