"""The reward-shaping experiment runner, on a tiny budget."""

from __future__ import annotations

import csv

import cv2
import numpy as np
import pytest
from sequences import write_sequences

from agents import DeepExposure
from exposure_env.rewards.adversarial import companion_path
from train.experiments import compare_agents, real_sequences, reward_shaping


def test_reward_shaping_runner_writes_tables_and_curves(tmp_path):
    runs = reward_shaping.main(["--algos", "ppo", "--modes", "sparse", "dense", "--seeds", "1", "--steps", "32",
                                "--n-envs", "2", "--size", "40", "--num-segments", "2", "--p-steps", "1",
                                "--d-steps", "1", "--critic-batch-size", "4", "--eval-photos", "2", "--evaluations", "2", "--out", str(tmp_path)])
    assert [(run["algo"], run["mode"]) for run in runs] == [("ppo", "sparse"), ("ppo", "dense")]
    with open(tmp_path / "runs.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["mode"] for row in rows] == ["sparse", "dense"]
    assert all(10 < float(row["psnr"]) < 60 and int(row["critic_updates"]) > 1 for row in rows)
    with open(tmp_path / "curves.csv") as handle:
        points = list(csv.DictReader(handle))
    steps = [int(point["steps"]) for point in points if point["mode"] == "sparse"]
    assert steps[0] == 0 and steps == sorted(set(steps)) and len(steps) >= 3  # at the start, then every 16 steps
    table = (tmp_path / "results.md").read_text()
    assert "| ppo | sparse | 1 |" in table and "| ppo | dense | 1 |" in table
    figure = cv2.imread(str(tmp_path / "curves.png"))
    assert figure is not None and figure.shape[0] > 300


@pytest.mark.parametrize("argv, message", [(["--size", "20"], "--size"), (["--seeds", "0"], "--seeds"),
                                           (["--algos", "dqn"], "invalid choice")])
def test_reward_shaping_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit):
        reward_shaping.main(argv)
    assert message in capsys.readouterr().err


def test_compare_agents_runner_ranks_oracle_first_and_writes_report(tmp_path):
    runs = compare_agents.main(["--agents", "deepexposure-discriminator", "ppo", "--steps", "32", "--n-images", "4",
                                "--n-envs", "2", "--size", "40", "--num-segments", "2", "--p-steps", "1",
                                "--d-steps", "1", "--critic-batch-size", "4", "--eval-photos", "2",
                                "--evaluations", "2", "--out", str(tmp_path)])
    assert [run["algo"] for run in runs] == ["deepexposure-discriminator", "ppo"]
    assert all(run["critic_updates"] > 1 and run["curve"][0]["steps"] == 0 for run in runs)
    with open(tmp_path / "baselines.csv") as handle:
        baselines = {row["algo"]: float(row["psnr"]) for row in csv.DictReader(handle)}
    assert set(compare_agents.BASELINES) | {"oracle: best global EV", "oracle: best T EVs"} == set(baselines)
    # the T-EV oracle bounds everything in this action space: baselines and learners
    ceiling = baselines["oracle: best T EVs"]
    assert ceiling >= baselines["oracle: best global EV"] >= baselines["identity"]
    assert all(run["psnr"] <= ceiling + 1e-6 for run in runs)
    table = (tmp_path / "results.md").read_text()
    assert "| deepexposure-discriminator | 1 |" in table and "| oracle: best T EVs | – |" in table
    assert cv2.imread(str(tmp_path / "curves.png")) is not None


def test_compare_agents_bad_arguments(capsys):
    with pytest.raises(SystemExit):
        compare_agents.main(["--n-images", "0"])
    assert "--n-images must be >= 1" in capsys.readouterr().err


def test_real_sequences_trains_on_train_judges_on_dev_and_resumes(tmp_path):
    write_sequences(tmp_path / "data" / "train", sequences=3)
    write_sequences(tmp_path / "data" / "dev", sequences=1)
    out = tmp_path / "report"
    argv = ["--data", str(tmp_path / "data"), "--rungs", "critic", "--seeds", "1", "--steps", "16", "--n-images", "4",
            "--out", str(out)]
    table = real_sequences.main(argv)
    model_path = out / "runs" / "critic-embedded_seed0" / "model.zip"
    model = DeepExposure.load(model_path)
    # the fixed packaged critic: no critic trained (no GAN reward saved), and the EV range asked for
    assert model.max_ev == 5.0 and model.d_steps == 0 and not companion_path(model_path).exists()
    assert "| DeepExposure II, critic reward (embedded critic) | 1 |" in table
    for row in ("global auto-exposure", "bracket -2..+2 EV", "oracle: best global EV", "oracle: best T EVs"):
        assert f"| {row} | – |" in table
    assert "3 real frames" in table  # every dev frame, and only those
    assert cv2.imread(str(out / "grid.png")) is not None
    trained_at = model_path.stat().st_mtime_ns
    real_sequences.main(argv)  # run again: the finished run is kept, only the evaluation is redone
    assert model_path.stat().st_mtime_ns == trained_at


def test_real_sequences_bad_data_folder(tmp_path, capsys):
    with pytest.raises(SystemExit):
        real_sequences.main(["--data", str(tmp_path)])
    assert "no train/raw folder" in capsys.readouterr().err


def test_exposure_residual_ridge_recovers_a_linear_residual():
    from train.experiments.exposure_residual import fit_ridge, r_squared

    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 6))
    residual = features @ np.array([0.5, -0.3, 0.0, 0.0, 0.2, 0.0]) + 0.1 + rng.normal(0, 0.05, 200)
    weights, mean, scale = fit_ridge(features[:150], residual[:150])
    predicted = ((features[150:] - mean) / scale) @ weights[:-1] + weights[-1]
    assert r_squared(predicted, residual[150:]) > 0.9
    assert r_squared(np.full(50, residual[150:].mean()), residual[150:]) == pytest.approx(0.0)
