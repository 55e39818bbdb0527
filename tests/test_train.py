"""``exposure-train``: report and model at the end, atomic checkpoints, Ctrl-C and --resume."""

from __future__ import annotations

import csv

import pytest
import torch

from agents import DeepExposure
from exposure_env.rewards.adversarial import companion_path
from train import train

TINY = ["--n-images", "8", "--size", "32", "--num-segments", "2", "--p-steps", "1", "--d-steps", "1",
        "--critic-batch-size", "8", "--eval-photos", "2", "--evaluations", "2", "--checkpoint-every", "16"]


def test_train_writes_model_curves_and_report(tmp_path):
    assert train.main(["--algo", "deepexposure-value", "--steps", "32", *TINY, "--out", str(tmp_path)]) == 0
    names = {path.name for path in tmp_path.iterdir()}
    assert {"model.zip", "model.gan_reward.pt", "checkpoint.zip", "curves.png", "curves.csv", "results.md",
            "results.csv", "grid.png", "tb"} <= names
    rows = {row["method"] for row in csv.DictReader((tmp_path / "results.csv").open())}
    assert {"identity", "CLAHE on L", "deepexposure-value"} <= rows
    steps = [int(row["steps"]) for row in csv.DictReader((tmp_path / "curves.csv").open())]
    assert steps[0] == 0 and steps[-1] == 32
    assert DeepExposure.load(tmp_path / "model.zip").num_timesteps == 32


def test_interrupt_keeps_the_checkpoint_and_resume_continues_it(tmp_path, monkeypatch):
    updates = {"count": 0}
    original_train = DeepExposure.train

    def train_then_interrupt(self, rollout):
        updates["count"] += 1
        if updates["count"] == 3:  # Ctrl-C during the third update: checkpoints were taken at 16 and 32 steps
            raise KeyboardInterrupt
        original_train(self, rollout)

    monkeypatch.setattr(DeepExposure, "train", train_then_interrupt)
    argv = ["--algo", "deepexposure-discriminator", "--steps", "64", *TINY, "--out", str(tmp_path)]
    assert train.main(argv) == 130
    checkpoint = DeepExposure.load(tmp_path / "checkpoint.zip")
    assert checkpoint.num_timesteps == 32 and companion_path(tmp_path / "checkpoint.zip").is_file()
    assert not (tmp_path / "model.zip").exists()
    critic_at_checkpoint = torch.load(companion_path(tmp_path / "checkpoint.zip"), weights_only=True)

    monkeypatch.setattr(DeepExposure, "train", original_train)
    assert train.main([*argv, "--resume"]) == 0
    resumed = DeepExposure.load(tmp_path / "model.zip")
    assert resumed.num_timesteps == 64  # the same total, not 64 more
    final_critic = torch.load(companion_path(tmp_path / "model.zip"), weights_only=True)
    # the critic continued from the checkpoint's: its update count went on from there
    assert final_critic["trainer"]["num_updates"] == critic_at_checkpoint["trainer"]["num_updates"] + 2


def test_train_bad_input_is_one_clear_line(tmp_path, capsys):
    assert train.main(["--pool", "/no/such/folder", *TINY, "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("exposure-train:") and "folder" in error and "\n" not in error


def test_resume_without_a_checkpoint_is_an_argument_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:  # checked with the arguments, before torch loads
        train.main(["--resume", *TINY, "--out", str(tmp_path)])
    assert exit_.value.code == 2
    assert f"exposure-train: error: --resume: no checkpoint at {tmp_path / 'checkpoint.zip'}" in capsys.readouterr().err


def test_train_a_stock_agent_saves_it_with_its_critic(tmp_path):
    argv = ["--algo", "ppo", "--steps", "32", *TINY, "--size", "40", "--n-envs", "2", "--out", str(tmp_path)]
    assert train.main(argv) == 0
    assert (tmp_path / "model.zip").is_file() and companion_path(tmp_path / "model.zip").is_file()
    assert "| ppo |" in (tmp_path / "results.md").read_text()


def test_packaged_policy_round_trip_keeps_the_actions_and_the_ev_range(tmp_path, monkeypatch):
    import json

    import numpy as np

    from agents import packaged
    from train import package_policy

    assert train.main(["--algo", "deepexposure-discriminator", "--steps", "16", *TINY, "--reward", "critic",
                       "--max-ev", "5", "--out", str(tmp_path / "run")]) == 0
    monkeypatch.setattr(package_policy, "PACKAGED_POLICY", tmp_path / "policy.pt")
    monkeypatch.setattr(package_policy, "PACKAGED_POLICY_PROVENANCE", tmp_path / "provenance.json")
    monkeypatch.setattr(packaged, "PACKAGED_POLICY", tmp_path / "policy.pt")
    monkeypatch.setattr(packaged, "PACKAGED_POLICY_PROVENANCE", tmp_path / "provenance.json")
    package_policy.main(["--model", str(tmp_path / "run" / "model.zip"), "--command", "exposure-train ...",
                         "--training-data", "synthetic"])
    provenance = json.loads((tmp_path / "provenance.json").read_text())
    assert provenance["training_data"] == "synthetic" and provenance["env_kwargs"]["max_ev"] == 5.0
    assert provenance["ev_prior"] == "auto-exposure" and "| deepexposure-discriminator |" in provenance["held_out_results"]
    packaged.load_packaged_policy.cache_clear()
    shipped, model = packaged.load_packaged_policy(), DeepExposure.load(tmp_path / "run" / "model.zip")
    rng = np.random.default_rng(0)
    observation = {key: rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8) for key in ("seg", "original", "local")}
    np.testing.assert_allclose(shipped.predict(observation)[0], model.predict(observation, deterministic=True)[0],
                               atol=1e-6)
    packaged.load_packaged_policy.cache_clear()
