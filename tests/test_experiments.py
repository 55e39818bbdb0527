"""The reward-shaping experiment runner, on a tiny budget."""

from __future__ import annotations

import csv

import cv2
import pytest

from train.experiments import compare_agents, reward_shaping


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
