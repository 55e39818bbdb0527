"""The agent benchmark (train.experiments.benchmark): resuming skips finished trials, rliable statistics on a
synthetic result set, missing trials marked, and the RL Zoo hyperparameters of every stock agent."""

from __future__ import annotations

import argparse
import importlib
import inspect
import json

import numpy as np
import pytest

from agents import algorithms
from train import train
from train.common import algorithm_kwargs
from train.experiments import benchmark

#: the most memory one stock agent's replay buffer may take (two trials share a 23 GB, 2-core machine)
REPLAY_BYTES_BOUND = 2**30


def bench_args(tmp_path, **changes) -> argparse.Namespace:
    """The benchmark's arguments with its defaults, the data folders made up (nothing reads them here)."""
    values = {"out": tmp_path, "sice": tmp_path / "sice", "fivek": tmp_path / "fivek", "agents": list(benchmark.AGENTS),
              "critic": "ensemble", "seeds": 3, "steps": 8192, "n_images": 64, "max_ev": 5.0, "eval_photos": 32,
              "evaluations": 8, "dev_photos": None, "reps": 200, "top": 2}
    return argparse.Namespace(**{**values, **changes})


def test_a_finished_trial_is_returned_as_recorded_and_a_cut_off_one_starts_again_from_its_seed(tmp_path, monkeypatch):
    args = bench_args(tmp_path)
    calls = []
    monkeypatch.setattr(train, "main", lambda argv, report=None: calls.append(argv) or 3)
    finished = benchmark.trial_folder(tmp_path, "SAC", 1)
    finished.mkdir(parents=True)
    record = {"agent": "SAC", "seed": 1, "wall_s": 5.0, "render": benchmark.render_fingerprint()}
    (finished / "run.json").write_text(json.dumps(record))
    assert benchmark.train_run("SAC", 1, args, tmp_path / "work") == record
    assert calls == []  # not trained again

    cut_off = benchmark.trial_folder(tmp_path, "DeepExposure II, GAN reward", 2)
    cut_off.mkdir(parents=True)
    (cut_off / "checkpoint.zip").write_bytes(b"half a run")
    with pytest.raises(SystemExit, match="exposure-train failed for DeepExposure II, GAN reward, seed 2"):
        benchmark.train_run("DeepExposure II, GAN reward", 2, args, tmp_path / "work")
    assert not (cut_off / "checkpoint.zip").exists()  # cleared: the trial starts again from its seed
    argv = calls[0]
    assert argv[argv.index("--algo") + 1] == "deepexposure-discriminator"
    assert argv[argv.index("--reward") + 1] == "gan" and argv[argv.index("--critic") + 1] == "ensemble"
    assert argv[argv.index("--seed") + 1] == "2" and argv[argv.index("--steps") + 1] == "8192"
    assert argv[argv.index("--out") + 1] == str(cut_off)


def test_trials_are_seed_major_and_only_finished_ones_are_read(tmp_path):
    args = bench_args(tmp_path, agents=["PPO", "TD3"], seeds=2)
    trials = benchmark.planned_trials(args)
    assert trials == [{"agent": "PPO", "seed": 0}, {"agent": "TD3", "seed": 0}, {"agent": "PPO", "seed": 1},
                      {"agent": "TD3", "seed": 1}]
    folder = benchmark.trial_folder(tmp_path, "TD3", 1)
    folder.mkdir(parents=True)
    finished = {"agent": "TD3", "seed": 1, "render": benchmark.render_fingerprint()}
    (folder / "run.json").write_text(json.dumps(finished))
    benchmark.trial_folder(tmp_path, "PPO", 0).mkdir(parents=True)  # started, not finished
    assert benchmark.finished_records(args, trials) == [finished]
    assert benchmark.missing_note(trials, [{"agent": "TD3", "seed": 1}]) == {"PPO": [0, 1], "TD3": [0]}


def record(agent: str, seed: int, psnr: list[float]) -> dict:
    """A finished trial's record with the same per-photo PSNR on both yardsticks."""
    scores = {"photos": list(range(len(psnr))), "psnr": psnr, "delta_e": [10.0] * len(psnr)}
    return {"agent": agent, "seed": seed, "steps": 64, "wall_s": 100.0 + seed, "cpu_s": 90.0, "judge_s": 3.0,
            "curve": [{"steps": 0, "seconds": 1.0, "psnr": 15.0}, {"steps": 64, "seconds": 99.0, "psnr": psnr[0]}],
            "scores": {yardstick: scores for yardstick in benchmark.YARDSTICKS}}


def test_iqm_and_intervals_have_rliables_shapes_and_known_values():
    rows = np.arange(1.0, 9.0)  # 8 photos; IQM of 3 seeds x 8 photos of 1..8 drops the lowest and highest quarter
    matrices = {"a": np.stack([rows, rows, rows]), "flat": np.full((1, 8), 20.0)}
    points, intervals = benchmark.interval_estimates(matrices, reps=200)
    assert points["a"].shape == (2,) and intervals["a"].shape == (2, 2)
    assert points["a"][0] == pytest.approx(4.5) and points["a"][1] == pytest.approx(4.5)
    assert intervals["a"][0][0] < 4.5 < intervals["a"][1][0]  # the photos are resampled too: a real interval
    np.testing.assert_allclose(intervals["flat"], 20.0)  # nothing to resample: no width
    estimates, bounds = benchmark.improvement_estimates(matrices, [("flat", "a")], reps=100)
    assert estimates == {"flat | a": pytest.approx(1.0)} and bounds["flat | a"].shape == (2, 1)


def test_the_report_of_a_partial_run_ranks_by_iqm_keeps_the_fixed_rows_and_marks_missing_trials(tmp_path):
    args = bench_args(tmp_path, agents=["DeepExposure II", "PPO", "SAC"], reps=100, top=2)
    trials = benchmark.planned_trials(args)
    records = [record("DeepExposure II", seed, [22.0, 21.0, 23.0, 22.0]) for seed in range(3)]
    records.append(record("PPO", 0, [19.0, 18.0, 20.0, 19.0]))  # seeds 1 and 2 missing, SAC not run at all
    fixed = {yardstick: {"identity": {"photos": [0, 1, 2, 3], "runs": [{"psnr": [14.0] * 4, "delta_e": [20.0] * 4}]},
                         "random EVs": {"photos": [0, 1, 2, 3], "runs": [{"psnr": [12.0 + s] * 4, "delta_e": [25.0] * 4}
                                                                        for s in range(3)]}}
             for yardstick in benchmark.YARDSTICKS}
    text = benchmark.write_results(args, trials, records, fixed, "python -m train.experiments.benchmark")
    assert "**Partial run: 4 of 9 trials finished**" in text
    assert "PPO seed 1, 2; SAC seed 0, 1, 2" in text
    section = text.split("## sice dev: 4 photos, judged at 256 px")[1].split("##")[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")][1:]
    assert lines[0].startswith("| **DeepExposure II** | 3 of 3 | 22.00 [")
    assert lines[1].startswith("| **PPO** | 1 of 3 (missing seed 1, 2) | 19.00 [")
    assert lines[2].startswith("| fixed: identity | – | 14.00 [14.00, 14.00]")
    assert lines[3].startswith("| fixed: random EVs | 3 | 13.00 [")
    assert lines[4] == "| **SAC** | 0 of 3: none finished | – | – | – | – |"
    assert "P(DeepExposure II > PPO) = 1.00" in text
    scores = (tmp_path / "scores.csv").read_text().splitlines()
    assert len(scores) == 1 + 2 * (4 * 4 + 4 + 3 * 4)  # header; per yardstick 4 runs, identity, 3 random runs
    for picture in ("curves.png", "iqm_sice_dev.png", "iqm_fivek_dev.png", "poi_sice_dev.png", "poi_fivek_dev.png"):
        assert (tmp_path / picture).stat().st_size > 0


@pytest.mark.parametrize("algo", algorithms.STOCK)
def test_every_stock_agent_has_zoo_hyperparameters_its_class_takes_and_a_replay_buffer_that_fits(algo):
    import gymnasium as gym

    import exposure_env  # noqa: F401  (registers the env)

    zoo = importlib.import_module(f"exposure_env.zoo.{algo}").hyperparams["ExposureRetouch-v0"]
    assert zoo["policy"] == "MultiInputPolicy" and zoo["n_envs"] == 1  # what rl_zoo3 --conf-file reads
    kwargs = algorithm_kwargs(algo, n_envs=4)
    accepted = inspect.signature(algorithms.algorithm_class(algo).__init__).parameters
    assert set(kwargs) <= set(accepted), set(kwargs) - set(accepted)
    if "buffer_size" in zoo:  # the off-policy agents: observation and next observation per transition
        space = gym.make("ExposureRetouch-v0").observation_space
        transition = 2 * sum(int(np.prod(box.shape)) * box.dtype.itemsize for box in space.values())
        assert transition == 73_728
        assert zoo["buffer_size"] * transition <= REPLAY_BYTES_BOUND
        assert zoo["buffer_size"] >= 8192  # the benchmark's whole run is kept


def test_curve_seconds_match_each_point_to_its_logged_value_and_the_last_to_the_saved_model(tmp_path):
    import os

    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path / "tb" / "sac_1"))
    start = float(next((tmp_path / "tb" / "sac_1").glob("events.out.tfevents.*")).name.split(".")[3])
    # each point is dumped with the step of the next log dump, not its own; an older value comes first
    for value, step, seconds in ((9.0, 4, 1.0), (15.0, 16, 5.0), (17.5, 48, 9.0)):
        writer.add_scalar("held_out/psnr", value, step, walltime=start + seconds)
    writer.close()
    (tmp_path / "model.zip").write_bytes(b"")
    os.utime(tmp_path / "model.zip", (start + 20.0, start + 20.0))
    curve = [{"steps": 0, "psnr": 15.0}, {"steps": 32, "psnr": 17.5}, {"steps": 64, "psnr": 20.25}]
    assert benchmark.curve_seconds(tmp_path, curve) == pytest.approx([5.0, 9.0, 20.0], abs=1e-3)


def test_the_fixed_rows_are_judged_again_when_the_render_changes(tmp_path, monkeypatch):
    import inspect

    args = bench_args(tmp_path, dev_photos=1)
    judged = []

    def judge(pool, methods, max_ev, side, photos):
        judged.append(pool)
        return {"photos": [0], **{name: {"psnr": [20.0], "delta_e": [5.0]} for name in methods}}

    monkeypatch.setattr(benchmark, "judge_photos", judge)
    first = benchmark.fixed_scores(args)
    assert len(judged) == 2 and benchmark.fixed_scores(args) == first and len(judged) == 2  # the cache is read
    # a change in the render's source (here: exposure_env.retouch, apply_exposures' module) is another render
    before = benchmark.render_fingerprint()
    source = inspect.getsource
    monkeypatch.setattr(inspect, "getsource", lambda item: source(item) + ("#" if item.__name__ ==
                                                                              "exposure_env.retouch" else ""))
    assert benchmark.render_fingerprint() != before
    benchmark.fixed_scores(args)
    assert len(judged) == 4  # judged again on the new render
    key = benchmark.json.loads((tmp_path / "tune" / "fixed_rows.json").read_text())["key"]
    assert key["render"] == benchmark.render_fingerprint()


def test_a_trial_judged_under_another_render_is_judged_again_from_its_model_not_trained_again(tmp_path, monkeypatch):
    args = bench_args(tmp_path, agents=["SAC"], seeds=1)
    monkeypatch.setattr(train, "main", lambda argv, report=None: pytest.fail("a finished trial was trained again"))
    judged = []
    monkeypatch.setattr(benchmark, "judge_trial", lambda agent, folder, args: judged.append((agent, folder)) or {
        "judge_s": 1.0, "render": benchmark.render_fingerprint(), "scores": {"sice dev": {"photos": [0], "psnr": [21.0]}}})
    folder = benchmark.trial_folder(tmp_path, "SAC", 0)
    folder.mkdir(parents=True)
    stale = {"agent": "SAC", "seed": 0, "wall_s": 5.0, "curve": [], "scores": {"sice dev": {"photos": [0], "psnr": [9.0]}}}
    (folder / "run.json").write_text(json.dumps(stale))  # judged before records named their render
    [record] = benchmark.finished_records(args, benchmark.planned_trials(args))
    assert judged == [("SAC", folder)] and record["wall_s"] == 5.0 and record["scores"]["sice dev"]["psnr"] == [21.0]
    assert json.loads((folder / "run.json").read_text()) == record  # kept: the next report reads it as it is
    assert benchmark.train_run("SAC", 0, args, tmp_path / "work") == record and len(judged) == 1
