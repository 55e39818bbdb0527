"""The reward-shaping experiment runner, on a tiny budget."""

from __future__ import annotations

import csv

import cv2
import pytest

from train.experiments import reward_shaping


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
