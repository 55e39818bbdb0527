"""Pieces the CLI and the experiment runners share: zoo hyperparameters, the held-out evaluation
callback, CSV rows and ``mean ± std`` cells."""

from __future__ import annotations

import argparse
import copy
import csv
import importlib
import time
from pathlib import Path
from typing import Any, Callable, Hashable

import gymnasium as gym
import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.noise import NormalActionNoise, OrnsteinUhlenbeckActionNoise

from exposure_env.atomic import atomic_write
from train.evaluate import episode_outcome, evaluate, model_policy, roll_out

EVAL_METRICS = ("score", "psnr", "ssim", "delta_e")
# keys of the RL Zoo files that are not algorithm arguments (the runner does their job itself)
ZOO_ONLY_KEYS = ("env_wrapper", "callback", "n_envs", "n_timesteps", "noise_type", "noise_std", "policy")


def algorithm_kwargs(algo: str, n_envs: int, hyperparams: dict[str, Any] | None = None) -> dict[str, Any]:
    """The algorithm's hyperparameters from the RL Zoo file we ship, for ``n_envs`` envs.

    Args:
        algo: the algorithm's name.
        n_envs: parallel envs; ``n_steps`` and ``train_freq`` are in env steps of all of them (the zoo's units) and
            become steps per env.
        hyperparams: entries over the zoo file's, in its units and keys (``noise_std`` too): exposure-train's
            ``--hyperparams``, the sweep's samples.
    """
    try:
        zoo = importlib.import_module(f"exposure_env.zoo.{algo}").hyperparams["ExposureRetouch-v0"]
    except ModuleNotFoundError:
        zoo = {}
    # a deep copy: SB3 writes into the dicts it is given (DDPG sets policy_kwargs["n_critics"]), not into the zoo's
    zoo = copy.deepcopy({**zoo, **(hyperparams or {})})
    kwargs = {key: value for key, value in zoo.items() if key not in ZOO_ONLY_KEYS}
    for key in ("n_steps", "train_freq"):  # keep a roll-out (so M1 per critic update) the same size for any n_envs
        if key in kwargs:
            kwargs[key] = max(1, kwargs[key] // n_envs)
    if zoo.get("noise_type"):
        noise = NormalActionNoise if zoo["noise_type"] == "normal" else OrnsteinUhlenbeckActionNoise
        kwargs["action_noise"] = noise(np.zeros(1), zoo["noise_std"] * np.ones(1))
    return kwargs


class HeldOutEvaluation(BaseCallback):
    """Evaluate the deterministic policy on held-out photos: at the start, about every ``every`` env steps, at the end.

    The policy changes only in the updates between roll-outs, so a point is taken when a roll-out
    starts (after the update that ended the previous one) once ``every`` steps have passed, and
    at the end of training (after the last update): the last point is the policy that is saved.
    A roll-out longer than ``every`` steps gives one point per roll-out.

    Each point of ``curve`` holds the env steps, the training seconds so far (evaluation time
    excluded), the :data:`EVAL_METRICS` and ``ev_spread``: the standard deviation of the chosen
    EVs across the photos, averaged over the T steps (0 when the policy ignores its input).

    Args:
        env: the held-out env.
        num_photos: its first photos that each point evaluates.
        every: env steps between points.
        report: called with each point as it is taken (``tune.report`` in a Tune trial).
    """

    def __init__(self, env: gym.Env, num_photos: int, every: int, report: Callable[[dict], None] | None = None):
        super().__init__()
        self.env, self.num_photos, self.every, self.report = env, num_photos, every, report
        self.curve: list[dict[str, float]] = []
        self._next = 0
        self._seconds = 0.0  # training time before the current stretch
        self._since = 0.0

    def evaluate(self) -> dict[str, float]:
        """One point: the deterministic policy's :data:`EVAL_METRICS` on the held-out photos and its ``ev_spread``."""
        episodes = [roll_out(self.env, model_policy(self.model), index) for index in range(self.num_photos)]

        # each photo's episode, rolled out once for the metrics and the EVs
        played = {"model": lambda env, index: episode_outcome(episodes[index])}
        rows, _ = evaluate(self.env, played, self.num_photos, progress=False)
        evs = np.array([episode["evs"] for episode in episodes])
        return {**{metric: rows[0][metric] for metric in EVAL_METRICS}, "ev_spread": float(evs.std(axis=0).mean())}

    def _record(self) -> None:
        self._seconds += time.perf_counter() - self._since
        metrics = self.evaluate()
        self.curve.append({"steps": self.num_timesteps, "seconds": self._seconds, **metrics})
        self._since = time.perf_counter()
        for name, value in metrics.items():
            self.logger.record(f"held_out/{name}", value)
        if self.report is not None:
            self.report(self.curve[-1])
        self._next = self.num_timesteps + self.every

    def _on_training_start(self) -> None:
        self._since = time.perf_counter()
        self._record()

    def _on_rollout_start(self) -> None:
        if self.num_timesteps >= self._next:
            self._record()

    def _on_step(self) -> bool:
        return True

    def _on_training_end(self) -> None:
        if self.curve[-1]["steps"] != self.num_timesteps:
            self._record()


def write_csv(path: Path, rows: list[dict], fields: list[str]) -> None:
    """``rows`` as CSV with the columns ``fields`` (other keys ignored), written atomically."""
    def write(temporary: str) -> None:
        with open(temporary, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)

    atomic_write(path, write)


def write_report(out: Path, text: str) -> None:
    """Write ``text`` (Markdown) to ``out/results.md`` atomically and print it with where it went."""
    atomic_write(out / "results.md", lambda path: Path(path).write_text(text))
    print(text)
    print(f"report written to {out.resolve()}")


#: decimals of each run metric in the experiments' tables
TABLE_DIGITS = {"psnr": 2, "ssim": 3, "delta_e": 2, "score": 1, "ev_spread": 2, "wall_s": 0, "steps_per_s": 0}


def group_runs(runs: list[dict], key: Callable[[dict], Hashable]) -> dict[Hashable, list[dict]]:
    """``runs`` grouped by ``key(run)`` (e.g. the seeds of one learner), groups in first-seen order."""
    groups: dict[Hashable, list[dict]] = {}
    for run in runs:
        groups.setdefault(key(run), []).append(run)
    return groups


def table_cells(group: list[dict]) -> dict[str, str]:
    """:func:`mean_std` over the runs of ``group`` of each :data:`TABLE_DIGITS` metric they hold: ``{metric: cell}``."""
    return {metric: mean_std([run[metric] for run in group], digits) for metric, digits in TABLE_DIGITS.items()
            if metric in group[0]}


def mean_std(values: list[float], digits: int) -> str:
    """``"mean ± std"`` of ``values`` rounded to ``digits`` (over seeds; the value alone when there is one)."""
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.{digits}f}" if len(values) == 1 else f"{values.mean():.{digits}f} ± {values.std():.{digits}f}"


def critic_entries(parser: argparse.ArgumentParser, entries: list[str]) -> dict[str, str]:
    """An experiment's ``--critics``: shipped critics by name, others as ``NAME=PATH``.

    Returns:
        ``{name: the critic's --critic value}``: the name itself for a shipped critic, else the path.

    Raises:
        SystemExit: (``parser.error``) an entry that is neither, naming it.
    """
    from exposure_env.rewards.functions import PACKAGED_CRITICS

    critics = {}
    for entry in entries:
        name, _, path = entry.partition("=")
        if entry not in PACKAGED_CRITICS and not (name.isidentifier() and path and Path(path).is_file()):
            parser.error(f"--critics {entry!r}: expected {' or '.join(PACKAGED_CRITICS)} or NAME=PATH of an "
                         "existing critic file")
        critics[name] = path or name
    return critics
