"""The agent benchmark on real photos: every agent through exposure-train, seeds, rliable intervals and wall-clock.

Every agent (:data:`AGENTS`: DeepExposure I and II and SB3's PPO, SAC, TD3, DDPG and A2C with the
hyperparameters of :mod:`exposure_env.zoo`) is trained by ``exposure-train`` itself on the raw
frames of ``sice_sequences/train``, the reward a fixed critic (``--critic``, default the one the
shipped policy was trained with), the same env-step budget for all; DeepExposure II also with the
GAN reward, retrained between roll-outs from that critic. Each trained agent is then judged on
every photo of two held-out yardsticks, each decision rendered as ``exposure-retouch`` renders the
file (:func:`human_taste.judge`'s way: :func:`train.evaluate.judged_pair`):

  sice dev   ``sice_sequences/dev`` (291 frames of 40 sequences): target the Mertens fusion of the
             frame's sequence; rendered on the 512-px frame, judged at 256 px
  fivek dev  ``photos_by_people/fivek_dev`` (16 photos): target expert C's retouch; 512 px

The statistics are rliable's (Agarwal et al., NeurIPS 2021): per agent the PSNR of every (seed,
photo) pair, its mean and interquartile mean with 95 % stratified-bootstrap intervals resampling
seeds within photos and the photos themselves, and the probability of improvement of the best agent
over the next ones and over the best fixed row. The fixed rows (identity, both global auto-exposures, CLAHE, the ±1.5 and ±2 EV brackets,
random EVs over three seeds, and both oracles) are judged the same way and always in the tables.

Each (agent, seed) is a Ray Tune trial (:mod:`train.trials`), seed-major (seed 0 of every agent
first, so a partial run covers every agent), ``--concurrent`` at a time (default 2). A trial keeps
its run folder in ``--out/tune/trials/<agent>_seed<k>/`` (model, exposure-train's report,
``run.json``); a trial whose ``run.json`` is there is never trained again, one cut off is started
again from its seed. Stop the command at any time and run it again to resume; ``--report-only``
writes the report from the trials finished so far, marking the missing ones.

Writes into --out (default reports/benchmark): results.md (the tables and the cost), runs.csv
(one row per finished trial), scores.csv (per photo: every run and fixed row), curves.png (held-out
PSNR against env steps and wall-clock seconds), iqm.png (the intervals), poi_<yardstick>.png
(probability of improvement), tune/ (the trials).

    python -m train.experiments.benchmark                         # 8 agents x 3 seeds, 8192 env steps each
    python -m train.experiments.benchmark --report-only           # the report of the trials finished so far
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from exposure_env.atomic import atomic_write
from train.arguments import add_yardstick_arguments
from train.common import write_csv, write_report
from train.trials import add_tune_arguments, check_tune_arguments, run_grid

#: row name -> (exposure-train --algo, --reward); DeepExposure II first: a partial run starts with the reference
AGENTS: dict[str, tuple[str, str]] = {
    "DeepExposure II": ("deepexposure-discriminator", "critic"),
    "DeepExposure I": ("deepexposure-value", "critic"),
    "DeepExposure II, GAN reward": ("deepexposure-discriminator", "gan"),
    "PPO": ("ppo", "critic"),
    "SAC": ("sac", "critic"),
    "TD3": ("td3", "critic"),
    "DDPG": ("ddpg", "critic"),
    "A2C": ("a2c", "critic"),
}
#: yardstick -> the side it is judged at, in pixels (human_taste's)
YARDSTICKS = {"sice dev": 256, "fivek dev": 512}
#: per-photo metrics kept for every run and fixed row
PHOTO_METRICS = ("psnr", "delta_e")
#: seeds of the random-EV fixed row
RANDOM_SEEDS = 3
#: rliable's separator of a pair's names (row names hold commas)
PAIR = " | "
#: arguments only the report reads (a finished experiment is reported again with other ones)
REPORT_ARGUMENTS = ("report_only", "reps", "top")
#: what defines how a decision is rendered and judged (:func:`render_fingerprint`): the render's modules
#: (:func:`exposure_env.retouch.apply_exposures` and the ops it runs, its defaults among them) and the judging's
#: functions in train.evaluate
RENDER_MODULES = ("exposure_env.retouch", "exposure_env.ops.clean", "exposure_env.ops.exposure", "exposure_env.ops.color",
                  "exposure_env.ops.fusion", "exposure_env.ops.layout")
RENDER_FUNCTIONS = ("exposure_env.data.io:quantise", "train.evaluate:fuse_evs", "train.evaluate:judged_pair",
                    "train.evaluate:shrink")
RUN_FIELDS = ["agent", "seed", "steps", "wall_s", "cpu_s", "judge_s", "sice dev psnr", "fivek dev psnr"]


def slug(agent: str) -> str:
    """An agent's row name as a folder name: ``"DeepExposure II, GAN reward"`` -> ``deepexposure_ii_gan_reward``."""
    return "".join(c if c.isalnum() else "_" for c in agent.lower()).replace("__", "_")


def trial_folder(out: Path, agent: str, seed: int) -> Path:
    """The run folder of one trial (under ``tune/``, which git ignores)."""
    return out / "tune" / "trials" / f"{slug(agent)}_seed{seed}"


def train_argv(agent: str, seed: int, args: argparse.Namespace, folder: Path,
               hyperparams: dict[str, Any] | None = None) -> list[str]:
    """The ``exposure-train`` arguments of one trial; ``hyperparams`` (a stock agent's, over its zoo file's: the
    tuning sweep's samples) as ``--hyperparams NAME:VALUE...``."""
    algo, reward = AGENTS[agent]
    return ["--algo", algo, "--pool", str(args.sice / "train"), "--eval-pool", str(args.sice / "dev"),
            "--reward", reward, "--critic", args.critic, "--max-ev", str(args.max_ev), "--steps", str(args.steps),
            "--seed", str(seed), "--n-images", str(args.n_images), "--eval-photos", str(args.eval_photos),
            "--evaluations", str(args.evaluations), "--out", str(folder),
            # V_ω from random weights (Alg. 1 as written): an ensemble critic has no single trunk to start it from
            *(["--value-init", "random"] if algo == "deepexposure-value" else []),
            *(["--hyperparams", *(f"{name}:{value!r}" for name, value in hyperparams.items())] if hyperparams else [])]


def curve_seconds(folder: Path, curve: list[dict]) -> list[float]:
    """Wall-clock seconds since training started at each held-out point of a trial's ``curve``.

    Training starts when SB3 opens the TensorBoard log (the event file's name holds that time).
    A point's time is that of the ``held_out/psnr`` event with its value, written when SB3 next
    dumps its log (within one roll-out of the point); a point without one (the last, taken after
    the last dump) is the time model.zip was written. Evaluation time is included.

    Args:
        folder: the trial's exposure-train folder (``tb/``, ``model.zip``).
        curve: its points in order, each with ``psnr``.
    """
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    files = sorted(folder.glob("tb/*/events.out.tfevents.*"))
    start = float(files[0].name.split(".")[3])
    events = []
    for path in files:
        accumulator = EventAccumulator(str(path))
        accumulator.Reload()
        if "held_out/psnr" in accumulator.Tags()["scalars"]:
            events += accumulator.Scalars("held_out/psnr")
    end = (folder / "model.zip").stat().st_mtime
    seconds, used = [], 0
    for point in curve:
        match = next((i for i in range(used, len(events)) if abs(events[i].value - point["psnr"]) < 1e-4), None)
        seconds.append((events[match].wall_time if match is not None else end) - start)
        used = used if match is None else match + 1
    return seconds


def judge_photos(pool: Path, methods: dict[str, Any], max_ev: float, side: int, photos: int | None) -> dict:
    """Per-photo :data:`PHOTO_METRICS` of ``methods`` on ``pool``, rendered as ``exposure-retouch`` renders the file.

    :func:`train.evaluate.evaluate` on one photo at a time (it returns means over its photos).

    Args:
        pool: a folder of raw/ + expert/ photos.
        methods: ``name -> method`` (:func:`train.evaluate.policy_method`...).
        max_ev: the env's EV range (the agents' and the oracles').
        side: the longer side judged at, in pixels.
        photos: judge this many photos spread over the pool (:func:`human_taste.spread`), or all.

    Returns:
        ``{"photos": [pool index...], name: {metric: [value per photo]}}``.
    """
    import gymnasium as gym

    import exposure_env  # noqa: F401  (registers the env)
    from train.evaluate import evaluate
    from train.experiments.human_taste import spread

    env = gym.make("ExposureRetouch-v0", pool=str(pool), max_ev=max_ev)
    total = len(env.unwrapped.pool)
    indices = spread(photos or total, total)
    print(f"judging {len(methods)} methods on {len(indices)} photos of {pool} at {side} px", file=sys.stderr)
    scores: dict[str, Any] = {"photos": indices, **{name: {m: [] for m in PHOTO_METRICS} for name in methods}}
    for index in indices:
        rows, _ = evaluate(env, methods, [index], side, progress=False)
        for row in rows:
            for metric in PHOTO_METRICS:
                scores[row["method"]][metric].append(row[metric])
    return scores


def yardstick_pools(args: argparse.Namespace) -> dict[str, Path]:
    """Each yardstick's photo folder."""
    return {"sice dev": args.sice / "dev", "fivek dev": args.fivek}


def train_run(agent: str, seed: int, args: argparse.Namespace, workdir: Path,
              report: Callable[[dict], None] | None = None) -> dict[str, Any]:
    """One trial: ``exposure-train`` for ``agent`` and ``seed``, then the trained agent judged on both yardsticks.

    A trial whose folder holds ``run.json`` finished before: it is not trained again, and its record is returned as
    :func:`judged_record` keeps it (judged again from its ``model.zip`` if the render changed since). A folder
    without it (a trial cut off) is cleared and the trial starts again from its seed.

    Returns:
        The record: agent, seed, steps, ``wall_s`` and ``cpu_s`` of exposure-train (its evaluations
        included), ``judge_s``, the held-out curve (steps, PSNR on the first ``--eval-photos`` sice dev
        thumbnails), per-photo scores on each yardstick and the ``render`` they were judged under
        (:func:`render_fingerprint`).

    Raises:
        SystemExit: exposure-train failed.
    """
    folder = trial_folder(args.out, agent, seed)
    if (folder / "run.json").is_file():
        return judged_record(json.loads((folder / "run.json").read_text()), folder, args)
    shutil.rmtree(folder, ignore_errors=True)
    trained = train_agent(agent, seed, args, folder)
    record = {"agent": agent, "seed": seed, "steps": args.steps, **trained, **judge_trial(agent, folder, args)}
    atomic_write(folder / "run.json", lambda path: Path(path).write_text(json.dumps(record)))
    return record


def judge_trial(agent: str, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The trained agent in ``folder`` (its ``model.zip``) judged on both yardsticks, rendered as ``exposure-retouch``
    renders: ``{"judge_s", "scores": {yardstick: {"photos", metric: [per photo]}}, "render"}``."""
    from train import evaluate

    model = evaluate.load_model(folder / "model.zip", AGENTS[agent][0])
    methods = {agent: evaluate.model_method(model)}
    judged = time.perf_counter()
    scores = {name: judge_photos(pool, methods, args.max_ev, YARDSTICKS[name], args.dev_photos)
              for name, pool in yardstick_pools(args).items()}
    return {"judge_s": time.perf_counter() - judged, "render": render_fingerprint(),
            "scores": {name: {"photos": s["photos"], **s[agent]} for name, s in scores.items()}}


def judged_record(record: dict[str, Any], folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """A finished trial's ``record``, its scores judged again (and ``run.json`` rewritten) when they were judged under
    another render than today's (:func:`render_fingerprint`; a record without one predates it): the trained agent is
    kept, so a render change costs the judging (about a minute per trial), not the training."""
    if record.get("render") == render_fingerprint():
        return record
    print(f"benchmark: {record['agent']}, seed {record['seed']} was judged under another render; judging it again",
          file=sys.stderr)
    record = {**record, **judge_trial(record["agent"], folder, args)}
    atomic_write(folder / "run.json", lambda path: Path(path).write_text(json.dumps(record)))
    return record


def train_agent(agent: str, seed: int, args: argparse.Namespace, folder: Path, hyperparams: dict[str, Any] | None = None,
                report: Callable[[dict], None] | None = None) -> dict[str, Any]:
    """``exposure-train`` for ``agent`` and ``seed`` into ``folder``: the training half of a trial (the tuning
    sweep's whole trial, :mod:`train.experiments.sweep`).

    Args:
        agent: a row of :data:`AGENTS`.
        seed: its seed.
        args: the benchmark's arguments (:func:`train_argv`).
        folder: exposure-train's ``--out``.
        hyperparams: see :func:`train_argv`.
        report: called with each held-out curve point as it is taken (``tune.report``: ASHA reads it).

    Returns:
        ``wall_s`` and ``cpu_s`` of exposure-train (its evaluations included, CPU of this process) and its held-out
        ``curve`` (steps, PSNR on the first ``--eval-photos`` sice dev thumbnails).

    Raises:
        SystemExit: exposure-train failed.
    """
    from train import train

    start, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    code = train.main(train_argv(agent, seed, args, folder, hyperparams), report)
    wall, used = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
    if code != 0:
        raise SystemExit(f"benchmark: exposure-train failed for {agent}, seed {seed} (exit {code})")
    with open(folder / "curves.csv") as handle:
        points = [{"steps": int(row["steps"]), "psnr": float(row["psnr"])} for row in csv.DictReader(handle)]
    return {"wall_s": wall, "cpu_s": (used.ru_utime + used.ru_stime) - (cpu.ru_utime + cpu.ru_stime), "curve": points}


def planned_trials(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every (agent, seed), seed-major: seed 0 of every agent first."""
    return [{"agent": agent, "seed": seed} for seed in range(args.seeds) for agent in args.agents]


def finished_records(args: argparse.Namespace, trials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records of the ``trials`` whose ``run.json`` is written, in ``trials``' order (no Ray needed), as
    :func:`judged_record` keeps them, each curve point with its ``seconds`` (:func:`curve_seconds`) where the
    trial's TensorBoard log is there."""
    records = []
    for trial in trials:
        folder = trial_folder(args.out, trial["agent"], trial["seed"])
        if (folder / "run.json").is_file():
            record = judged_record(json.loads((folder / "run.json").read_text()), folder, args)
            if any(folder.glob("tb/*/events.out.tfevents.*")):
                for point, seconds in zip(record["curve"], curve_seconds(folder, record["curve"])):
                    point["seconds"] = seconds
            records.append(record)
    return records


def render_fingerprint() -> str:
    """SHA-256 of the render's source (:data:`RENDER_MODULES`, :data:`RENDER_FUNCTIONS`) and OpenCV's version
    (MergeMertens is OpenCV's): scores judged under another fingerprint were rendered another way.

    A hash rather than a version constant that someone must remember to raise; it also changes with a comment
    in those modules (the cost: the fixed rows judged again, about 10 CPU-minutes).
    """
    import hashlib
    import importlib
    import inspect

    import cv2

    digest = hashlib.sha256(cv2.__version__.encode())
    for module in RENDER_MODULES:
        digest.update(inspect.getsource(importlib.import_module(module)).encode())
    for name in RENDER_FUNCTIONS:
        module, _, function = name.partition(":")
        digest.update(inspect.getsource(getattr(importlib.import_module(module), function)).encode())
    return digest.hexdigest()


def fixed_scores(args: argparse.Namespace) -> dict[str, dict[str, dict]]:
    """Per-photo scores of the fixed rows on each yardstick, cached in ``--out/tune/fixed_rows.json``.

    The cache is read when it was judged with the same EV range, photos, yardstick folders and render
    (:func:`render_fingerprint`); otherwise the rows are judged again and the cache replaced.

    Returns:
        ``{yardstick: {row name: {"runs": [{metric: [per photo]}...]}}}``: one run for a
        deterministic row, :data:`RANDOM_SEEDS` for random EVs.
    """
    from train import policies
    from train.evaluate import policy_method, reference_methods

    cache = args.out / "tune" / "fixed_rows.json"
    key = {"max_ev": args.max_ev, "dev_photos": args.dev_photos, **{k: str(v) for k, v in yardstick_pools(args).items()},
           "render": render_fingerprint()}
    if cache.is_file() and json.loads(cache.read_text())["key"] == key:
        return json.loads(cache.read_text())["rows"]
    rows: dict[str, dict[str, dict]] = {}
    for name, pool in yardstick_pools(args).items():
        side = YARDSTICKS[name]
        methods = {**reference_methods(paired=True),
                   **{f"random EVs_seed{seed}": policy_method(policies.make_random(seed)) for seed in range(RANDOM_SEEDS)}}
        judged = judge_photos(pool, methods, args.max_ev, side, args.dev_photos)
        rows[name] = {}
        for method in methods:
            row = method.rpartition("_seed")[0] or method
            rows[name].setdefault(row, {"photos": judged["photos"], "runs": []})["runs"].append(judged[method])
    cache.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(cache, lambda path: Path(path).write_text(json.dumps({"key": key, "rows": rows})))
    return rows


def score_matrices(records: list[dict], fixed: dict[str, dict], yardstick: str,
                   metric: str = "psnr") -> dict[str, np.ndarray]:
    """rliable's input: ``{method: (runs, photos) float64}``, each agent's finished seeds and each fixed row's runs."""
    matrices: dict[str, list] = {}
    for record in records:
        matrices.setdefault(record["agent"], []).append(record["scores"][yardstick][metric])
    for name, row in fixed.get(yardstick, {}).items():
        matrices[name] = [run[metric] for run in row["runs"]]
    return {name: np.asarray(runs, dtype=np.float64) for name, runs in matrices.items()}


def interval_estimates(matrices: dict[str, np.ndarray], reps: int, seed: int = 0) -> tuple[dict, dict]:
    """IQM and mean of each method with 95 % stratified-bootstrap intervals (rliable).

    The bootstrap resamples runs (seeds) within each photo and the photos themselves
    (``task_bootstrap``), so a deterministic fixed row, one run, still gets the photos' spread.

    Returns:
        ``({method: [IQM, mean]}, {method: (2, 2) [[IQM low, mean low], [IQM high, mean high]]})``.
    """
    from rliable import library, metrics

    def aggregates(scores: np.ndarray) -> np.ndarray:
        return np.array([metrics.aggregate_iqm(scores), metrics.aggregate_mean(scores)])

    return library.get_interval_estimates(matrices, aggregates, reps=reps, task_bootstrap=True,
                                          random_state=np.random.RandomState(seed))


def improvement_estimates(matrices: dict[str, np.ndarray], pairs: list[tuple[str, str]], reps: int,
                          seed: int = 0) -> tuple[dict, dict]:
    """rliable's probability of improvement P(X > Y) of each pair, with 95 % stratified-bootstrap intervals.

    Returns:
        ``({"X | Y": P}, {"X | Y": (2, 1) [[low], [high]]})`` (:data:`PAIR` between the names).
    """
    from rliable import library, metrics

    scores = {f"{x}{PAIR}{y}": (matrices[x], matrices[y]) for x, y in pairs}
    return library.get_interval_estimates(scores, metrics.probability_of_improvement, reps=reps,
                                          random_state=np.random.RandomState(seed))


def missing_note(trials: list[dict], records: list[dict]) -> dict[str, list[int]]:
    """``{agent: [seeds not finished]}`` for every agent missing a seed, agents in the order of ``trials``' first seed."""
    done = {(record["agent"], record["seed"]) for record in records}
    missing: dict[str, list[int]] = {trial["agent"]: [] for trial in trials}
    for trial in trials:
        if (trial["agent"], trial["seed"]) not in done:
            missing[trial["agent"]].append(trial["seed"])
    return {agent: seeds for agent, seeds in missing.items() if seeds}


def results_table(matrices: dict[str, np.ndarray], points: dict, intervals: dict, agents: list[str],
                  missing: dict[str, list[int]], seeds: int, delta_e: dict[str, np.ndarray],
                  records: list[dict]) -> str:
    """Markdown: every method by IQM, best first; agents with no finished trial last, marked missing."""
    lines = ["| method | seeds | PSNR dB, IQM [95 % CI] ↑ | PSNR dB, mean [95 % CI] ↑ | ΔE2000, mean ↓ | wall s per trial |",
             "|---|---|---|---|---|---|"]
    for name in sorted(points, key=lambda name: -points[name][0]):
        (iqm, mean), interval = points[name], intervals[name]
        if name in agents:
            runs = [r["wall_s"] for r in records if r["agent"] == name]
            absent = f" (missing seed {', '.join(map(str, missing[name]))})" if name in missing else ""
            label, count, wall = f"**{name}**", f"{len(runs)} of {seeds}{absent}", f"{np.mean(runs):.0f}"
        else:
            label, count, wall = f"fixed: {name}", "–" if len(matrices[name]) == 1 else str(len(matrices[name])), "–"
        lines.append(f"| {label} | {count} | {iqm:.2f} [{interval[0][0]:.2f}, {interval[1][0]:.2f}] | "
                     f"{mean:.2f} [{interval[0][1]:.2f}, {interval[1][1]:.2f}] | {np.nanmean(delta_e[name]):.2f} | {wall} |")
    lines += [f"| **{name}** | 0 of {seeds}: none finished | – | – | – | – |" for name in agents if name not in points]
    return "\n".join(lines) + "\n"


def top_pairs(points: dict, agents: list[str], top: int) -> list[tuple[str, str]]:
    """The best agent by IQM against each of the next ``top`` agents and against the best fixed row that is no
    oracle (the oracles see the target)."""
    ranked = sorted(points, key=lambda name: -points[name][0])
    learned = [name for name in ranked if name in agents]
    fixed = [name for name in ranked if name not in agents and "oracle" not in name]
    if not learned:
        return []
    return [(learned[0], other) for other in [*learned[1:top + 1], *fixed[:1]]]


def plot_curves(records: list[dict], out: Path) -> None:
    """curves.png: held-out PSNR (the first sice dev thumbnails) of every trial against env steps and wall-clock."""
    from train.evaluate import pyplot, save_figure

    plt = pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    colours = {agent: f"C{index}" for index, agent in enumerate(AGENTS)}
    for record in records:
        first = record["seed"] == min(r["seed"] for r in records if r["agent"] == record["agent"])
        for axis, x in zip(axes, ("steps", "seconds")):
            axis.plot([p[x] for p in record["curve"]], [p["psnr"] for p in record["curve"]], marker="o", markersize=2,
                      linewidth=1, color=colours[record["agent"]], label=record["agent"] if first else None)
    axes[0].set_xlabel("environment steps")
    axes[1].set_xlabel("wall-clock seconds since training started (held-out evaluations included)")
    axes[0].set_ylabel("held-out PSNR (dB), sice dev thumbnails")
    axes[0].legend(fontsize=7, loc="lower right")
    figure.suptitle("Every trial (one line per seed); table numbers are on every dev photo, rendered as exposure-retouch")
    save_figure(figure, out / "curves.png")


def plot_intervals(estimates: dict[str, tuple[dict, dict]], out: Path) -> None:
    """iqm.png: rliable's interval plot of IQM and mean PSNR, one figure row per yardstick."""
    from rliable import plot_utils

    from train.evaluate import pyplot, save_figure

    plt = pyplot()
    for yardstick, (points, intervals) in estimates.items():
        order = sorted(points, key=lambda name: points[name][0])
        figure, _ = plot_utils.plot_interval_estimates(points, intervals, ["IQM", "mean"], algorithms=order,
                                                       xlabel=f"PSNR dB, {yardstick}", subfigure_width=4.0)
        figure.suptitle(f"{yardstick}: 95 % stratified-bootstrap intervals (seeds and photos)", y=1.02)
        save_figure(figure, out / f"iqm_{slug(yardstick)}.png")
    plt.close("all")


def plot_improvement(estimates: dict[str, tuple[dict, dict]], out: Path) -> None:
    """poi_<yardstick>.png: rliable's probability-of-improvement plot."""
    from rliable import plot_utils

    from train.evaluate import pyplot, save_figure

    plt = pyplot()
    for yardstick, (points, intervals) in estimates.items():
        if not points:
            continue
        figure, axis = plt.subplots(figsize=(5, 0.5 + 0.5 * len(points)))
        plot_utils.plot_probability_of_improvement(points, intervals, pair_separator=PAIR, ax=axis)
        axis.set_title(f"{yardstick}: P(X > Y), per photo over seeds", fontsize=9)
        save_figure(figure, out / f"poi_{slug(yardstick)}.png")


def write_results(args: argparse.Namespace, trials: list[dict], records: list[dict], fixed: dict, command: str) -> str:
    """results.md, runs.csv, scores.csv and the plots from the finished ``records``; returns the Markdown."""
    missing = missing_note(trials, records)
    sections, intervals_by, improvement_by, photo_rows = [], {}, {}, []
    for yardstick, side in YARDSTICKS.items():
        psnr = score_matrices(records, fixed, yardstick)
        delta_e = score_matrices(records, fixed, yardstick, "delta_e")
        points, intervals = interval_estimates(psnr, args.reps)
        intervals_by[yardstick] = (points, intervals)
        pairs = top_pairs(points, args.agents, args.top)
        improvement_by[yardstick] = improvement_estimates(psnr, pairs, args.reps) if pairs else ({}, {})
        photos = psnr[next(iter(psnr))].shape[1] if psnr else 0
        sections.append(f"## {yardstick}: {photos} photos, judged at {side} px\n\n"
                        + results_table(psnr, points, intervals, args.agents, missing, args.seeds, delta_e, records))
        for record in records:
            scores = record["scores"][yardstick]
            photo_rows += [{"yardstick": yardstick, "method": record["agent"], "seed": record["seed"], "photo": photo,
                            **{m: scores[m][i] for m in PHOTO_METRICS}} for i, photo in enumerate(scores["photos"])]
        for name, row in fixed.get(yardstick, {}).items():
            photo_rows += [{"yardstick": yardstick, "method": name, "seed": seed if len(row["runs"]) > 1 else "",
                            "photo": photo, **{m: run[m][i] for m in PHOTO_METRICS}}
                           for seed, run in enumerate(row["runs"]) for i, photo in enumerate(row["photos"])]
    write_csv(args.out / "scores.csv", photo_rows, ["yardstick", "method", "seed", "photo", *PHOTO_METRICS])
    write_csv(args.out / "runs.csv", [{**r, **{f"{y} psnr": float(np.mean(r["scores"][y]["psnr"])) for y in YARDSTICKS}}
                                      for r in records], RUN_FIELDS)
    if records:
        plot_curves(records, args.out)
    plot_intervals(intervals_by, args.out)
    plot_improvement(improvement_by, args.out)
    done, cpu = len(records), sum(r["cpu_s"] for r in records) / 3600
    status = (f"**Partial run: {done} of {len(trials)} trials finished**; missing: "
              + "; ".join(f"{agent} seed {', '.join(map(str, seeds))}" for agent, seeds in missing.items())
              + ". Run the same command again to resume.\n\n" if missing else f"All {done} trials finished.\n\n")
    per_trial = "; ".join(f"{agent} {np.mean([r['wall_s'] for r in records if r['agent'] == agent]):.0f} s wall, "
                          f"{np.mean([r['cpu_s'] for r in records if r['agent'] == agent]):.0f} s CPU"
                          for agent in args.agents if any(r["agent"] == agent for r in records))
    poi = "".join(f"- {yardstick}: " + ", ".join(f"P({pair.replace(PAIR, ' > ')}) = {value:.2f} "
                                                  f"[{improvement_by[yardstick][1][pair][0][0]:.2f}, "
                                                  f"{improvement_by[yardstick][1][pair][1][0]:.2f}]"
                                                  for pair, value in improvement_by[yardstick][0].items()) + "\n"
                  for yardstick in YARDSTICKS if improvement_by[yardstick][0])
    text = (f"Command: `{command}`\n\n{status}"
            f"Agents trained by `exposure-train` on the raw frames of `sice_sequences/train`, {args.steps} env steps "
            f"each, reward the fixed `{args.critic}` critic (DeepExposure II, GAN reward: retrained from it between "
            f"roll-outs), EVs within ±{args.max_ev:g}; stock agents with the hyperparameters of `exposure_env.zoo`. "
            "Every decision is made on the 64-px thumbnail and rendered as `exposure-retouch` renders the file. "
            f"IQM and mean over every (seed, photo) pair, 95 % stratified-bootstrap intervals ({args.reps} "
            "resamples of the seeds within each photo and of the photos; rliable). Fixed rows: one run (random EVs: "
            f"{RANDOM_SEEDS} seeds).\n\n" + "\n".join(sections)
            + f"\n## Probability of improvement (the best agent against the next {args.top} agents and the best fixed row "
            f"that is no oracle, by IQM)\n\n{poi}\n"
            f"## Cost\n\n{done} trials: {cpu:.2f} CPU-hours of exposure-train (its evaluations included), "
            f"{sum(r['wall_s'] for r in records) / 3600:.2f} wall-clock hours summed over trials; the judging of "
            f"each trained agent on both yardsticks {np.mean([r['judge_s'] for r in records]) if records else 0:.0f} s "
            f"more per trial. Per trial (mean over seeds): {per_trial}.\n\n"
            "Pictures: curves.png (held-out PSNR against env steps and wall-clock), iqm_sice_dev.png, "
            "iqm_fivek_dev.png, poi_sice_dev.png, poi_fivek_dev.png. Per photo: scores.csv; per trial: runs.csv.\n")
    write_report(args.out, text)
    return text


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.experiments.benchmark", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_yardstick_arguments(parser)
    parser.add_argument("--agents", nargs="+", default=list(AGENTS), choices=list(AGENTS), metavar="AGENT",
                        help=f"agents to run (default: all: {', '.join(AGENTS)})")
    parser.add_argument("--critic", default="ensemble", metavar="embedded|real|ensemble|people|PATH",
                        help="the fixed reward critic (exposure-train --critic; default: ensemble, the one the "
                             "shipped policy was trained with)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per agent: 0..N-1 (default: 3)")
    parser.add_argument("--steps", type=int, default=8192, help="environment steps per trial, every agent (default: 8192)")
    parser.add_argument("--n-images", type=int, default=64, help="DeepExposure: photos per roll-out (default: 64)")
    parser.add_argument("--max-ev", type=float, default=5.0, help="EV range of agents and oracles (default: 5)")
    parser.add_argument("--eval-photos", type=int, default=32,
                        help="sice dev thumbnails of each held-out curve point (default: 32)")
    parser.add_argument("--evaluations", type=int, default=8, help="held-out curve points per trial (default: 8)")
    parser.add_argument("--dev-photos", type=int, default=None,
                        help="photos of each yardstick to judge, spread over it (default: all)")
    parser.add_argument("--reps", type=int, default=2000, help="bootstrap resamples (default: 2000)")
    parser.add_argument("--top", type=int, default=3, help="probability of improvement: the best agent against "
                                                            "the next N agents by IQM (default: 3)")
    parser.add_argument("--report-only", action="store_true",
                        help="train nothing: the report of the trials finished so far, missing ones marked")
    parser.add_argument("--out", type=Path, default=Path("reports/benchmark"), help="report folder")
    add_tune_arguments(parser)
    parser.set_defaults(concurrent=2)
    args = check_tune_arguments(parser, parser.parse_args(argv))
    for folder in (args.sice / "train", args.sice / "dev", args.fivek):
        if not (folder / "raw").is_dir():
            parser.error(f"{folder}: no raw/ folder (expected raw/ + expert/)")
    for name in ("seeds", "steps", "n_images", "eval_photos", "evaluations", "reps", "top"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.dev_photos is not None and args.dev_photos < 1:
        parser.error(f"--dev-photos must be >= 1, got {args.dev_photos}")
    from exposure_env.rewards.functions import PACKAGED_CRITICS

    if args.critic not in PACKAGED_CRITICS:
        if not Path(args.critic).is_file():
            parser.error(f"--critic {args.critic}: neither a shipped critic nor a file")
        args.critic = str(Path(args.critic).resolve())  # the trials run in folders of their own
    args.out = args.out.resolve()
    return args


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    command = shlex.join(["python", "-m", "train.experiments.benchmark", *(sys.argv[1:] if argv is None else argv)])
    trials = planned_trials(args)
    stopped: SystemExit | None = None
    if not args.report_only:
        try:
            run_grid("benchmark", train_run, trials, args, evaluation_only=REPORT_ARGUMENTS)
        except SystemExit as stop:  # interrupted or a trial failed: report what finished, then say so
            stopped = stop
    text = write_results(args, trials, finished_records(args, trials), fixed_scores(args), command)
    if stopped is not None:
        raise stopped
    return text


if __name__ == "__main__":
    main()
