"""The experiments on Ray Tune (train.trials): a sampled sweep, resuming an interrupted experiment, placement errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import cv2
import pytest
from reports import read_csv

from train import trials
from train.experiments import learning_ladder, real_sequences, sweep

TINY = ["--steps", "32", "--n-images", "4", "--size", "40", "--num-segments", "2", "--eval-photos", "2",
        "--evaluations", "2"]


def test_a_two_trial_sweep_samples_the_space_lets_asha_judge_and_writes_its_report(tmp_path, ray_local):
    rows = sweep.main(["--samples", "2", *TINY, "--out", str(tmp_path)])
    assert len(rows) == 2
    trials = read_csv(tmp_path / "trials.csv")
    # the trials that ran to the end first, each group best first
    order = [(row["stopped"] == "True", -float(row["psnr"])) for row in trials]
    assert order == sorted(order)
    for row in trials:  # each trial's choices come from the search space
        assert 1e-4 <= float(row["learning_rate"]) <= 3e-3 and 0.05 <= float(row["ou_sigma"]) <= 0.5
        assert int(row["gradient_steps"]) in (1, 2, 4, 8) and float(row["max_ev"]) in (3.0, 4.0, 5.0)
    # the best trial always runs to the end (ASHA only stops trials behind another at equal steps)
    assert trials[0]["stopped"] == "False" and int(trials[0]["steps"]) == 32
    assert {row["learning_rate"] for row in trials} == {str(row["learning_rate"]) for row in rows}
    table = (tmp_path / "results.md").read_text()
    for row in rows:  # each trial's numbers, as Tune reported them, beside the fixed rows
        cells = " | ".join(sweep.cell(row[name]) for name in sweep.SPACE)
        assert f"| {cells} |" in table
        assert f"| {row['psnr']:.2f} | {row['delta_e']:.2f} |" in table
        assert row["curve"][0]["steps"] == 0 and row["curve"][-1]["steps"] == row["steps"]
    assert "| fixed: global auto-exposure |" in table and "| fixed: oracle: best T EVs |" in table
    assert cv2.imread(str(tmp_path / "curves.png")) is not None


def test_an_interrupted_experiment_resumes_and_runs_only_the_unfinished_trials(tmp_path, ray_local):
    argv = ["--rungs", "reference", "--agents", "deepexposure-discriminator", "ppo", "--n-envs", "2", *TINY,
            "--concurrent", "1", "--out", str(tmp_path)]
    # Ctrl-C as soon as Tune says the first trial completed (its line is read as it comes: no waiting on a clock).
    # The command joins the session's Ray (--address, a placement argument: the resumed run below may omit it)
    # rather than start and stop one of its own
    address = ["--address", ray_local.get_runtime_context().gcs_address]
    process = subprocess.Popen([sys.executable, "-m", "train.experiments.learning_ladder", *argv, *address], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    output = []
    for line in process.stdout:
        output.append(line)
        if "completed after" in line:
            process.send_signal(signal.SIGINT)
    assert process.wait() != 0
    assert "learning_ladder: interrupted with 1 of 2 trials finished" in "".join(output)
    [finished] = list(tmp_path.glob("tune/learning_ladder/*/checkpoint_*/run.json"))
    finished_at = finished.stat().st_mtime_ns

    runs = learning_ladder.main(argv)  # the same command again: Tuner.restore
    assert [run["algo"] for run in runs] == ["deepexposure-discriminator", "ppo"]
    assert all(run["steps"] >= 32 for run in runs)  # PPO ends its roll-out of 128 steps per env
    records = sorted(tmp_path.glob("tune/learning_ladder/*/checkpoint_*/run.json"))
    assert len(records) == 2 and finished in records  # one checkpoint per trial: the first was not run again
    assert finished.stat().st_mtime_ns == finished_at
    assert [row["algo"] for row in read_csv(tmp_path / "runs.csv")] == ["deepexposure-discriminator", "ppo"]
    # the same arguments are what resumes: other ones are refused, naming the folder
    with pytest.raises(SystemExit, match="holds an experiment started with other arguments"):
        learning_ladder.main([*argv, "--seeds", "2"])


@pytest.mark.parametrize("argv, message", [(["--concurrent", "0"], "--concurrent must be >= 1"),
                                           (["--cpus-per-trial", "0"], "--cpus-per-trial must be > 0"),
                                           (["--device", "cuda"], "--device cuda needs --gpus-per-trial > 0"),
                                           (["--samples", "0"], "--samples must be >= 1")])
def test_bad_placement_arguments_are_refused_by_name(argv, message, capsys):
    with pytest.raises(SystemExit):
        sweep.main(argv)
    assert message in capsys.readouterr().err


def test_a_finished_experiment_is_re_evaluated_when_only_evaluation_arguments_differ():
    recorded = json.dumps({"out": "o", "photos": "None", "seeds": "3", "steps": "8192"})
    # an evaluation argument changed or added: the same trials; a trial argument changed: other trials
    assert trials.same_trials(recorded, json.dumps({"out": "o", "photos": "32", "render_side": "256", "seeds": "3",
                                                    "steps": "8192"}), evaluation_only=("photos", "render_side"))
    assert not trials.same_trials(recorded, json.dumps({"out": "o", "photos": "None", "seeds": "3", "steps": "4096"}),
                                  evaluation_only=("photos", "render_side"))
    assert not trials.same_trials(recorded, json.dumps({"out": "o", "photos": "32", "seeds": "3", "steps": "8192"}))
    # a moved experiment folder is the same experiment
    assert trials.same_trials(recorded, json.dumps({"out": "moved", "photos": "None", "seeds": "3", "steps": "8192"}))
    assert "render_side" in real_sequences.EVALUATION_ARGUMENTS and "steps" not in real_sequences.EVALUATION_ARGUMENTS
