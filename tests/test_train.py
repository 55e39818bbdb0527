"""``exposure-train``: report, curves and model at the end (consistent with each other), atomic checkpoints, Ctrl-C
and --resume."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from reports import read_csv
from stable_baselines3 import PPO

from agents import DeepExposure, algorithms
from exposure_env.rewards.adversarial import companion_path
from train import train
from train.common import EVAL_METRICS
from train.evaluate import METRICS, evaluate, model_policy, policy_method, reference_methods

TINY = ["--n-images", "8", "--size", "32", "--num-segments", "2", "--p-steps", "1", "--d-steps", "1",
        "--critic-batch-size", "8", "--eval-photos", "2", "--evaluations", "2", "--checkpoint-every", "16"]


def assert_report_matches(rows: list[dict], table: str) -> None:
    """results.md shows each row of results.csv, in its order, with its numbers."""
    lines = [f"| {row['method']} | {float(row['score']):.2f} | {float(row['psnr']):.2f} | {float(row['ssim']):.3f} | "
             f"{float(row['delta_e']):.2f} |" for row in rows]
    positions = [table.index(line) for line in lines]
    assert positions == sorted(positions)


def test_train_writes_model_curves_and_report(tmp_path):
    assert train.main(["--algo", "deepexposure-value", "--steps", "32", *TINY, "--out", str(tmp_path)]) == 0
    assert {"checkpoint.zip", "curves.png", "grid.png", "tb"} <= {path.name for path in tmp_path.iterdir()}
    rows = read_csv(tmp_path / "results.csv")
    # the fixed rows in their order (the held-out photos are paired: both oracles too), then the agent
    assert [row["method"] for row in rows] == [*reference_methods(paired=True), "deepexposure-value"]
    psnr = {row["method"]: float(row["psnr"]) for row in rows}
    assert psnr["oracle: best T EVs"] >= psnr["oracle: best global EV"] >= psnr["identity"]
    assert_report_matches(rows, (tmp_path / "results.md").read_text())
    curve = read_csv(tmp_path / "curves.csv")
    # at the start, after the first roll-out (8 photos × T = 2 steps) and its update, and at the end
    assert [int(point["steps"]) for point in curve] == [0, 16, 32]
    # untrained, the actor chooses global auto-exposure (its EV prior); the last point is the saved model's report row
    assert float(curve[0]["psnr"]) == pytest.approx(psnr["global auto-exposure"], abs=0.05)
    assert {metric: float(curve[-1][metric]) for metric in EVAL_METRICS} == {
        metric: float(rows[-1][metric]) for metric in EVAL_METRICS}
    model_path = tmp_path / "model.zip"
    assert DeepExposure.load(model_path).num_timesteps == 32 and companion_path(model_path).is_file()


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


def test_train_a_stock_agent_saves_it_with_its_critic_and_the_report_is_the_saved_model_s(tmp_path):
    argv = ["--algo", "ppo", "--steps", "32", *TINY, "--size", "40", "--n-envs", "2", "--out", str(tmp_path)]
    assert train.main(argv) == 0
    model = algorithms.load(tmp_path / "model.zip", device="cpu")
    # PPO rolls out n_steps × n_envs = 256 steps (the zoo's) before it learns: --steps 32 gives one roll-out
    assert isinstance(model, PPO) and model.num_timesteps == 256
    critic = torch.load(companion_path(tmp_path / "model.zip"), weights_only=True)
    assert critic["trainer"]["num_updates"] == 2  # the critic of the run: p-step 1, then d-step 1 after the roll-out
    rows = read_csv(tmp_path / "results.csv")
    assert rows[-1]["method"] == "ppo"
    assert_report_matches(rows, (tmp_path / "results.md").read_text())
    # the saved model, evaluated again on the held-out photos, gives the report's numbers
    env = gym.make("ExposureRetouch-v0", pool="embedded:test", size=40, num_segments=2)
    again, _ = evaluate(env, {"ppo": policy_method(model_policy(model))}, 2, progress=False)
    assert {metric: again[0][metric] for metric in METRICS} == {metric: float(rows[-1][metric]) for metric in METRICS}
    curve = read_csv(tmp_path / "curves.csv")  # before and after the one update
    assert [int(point["steps"]) for point in curve] == [0, 256]
    assert float(curve[-1]["psnr"]) == float(rows[-1]["psnr"]) != float(curve[0]["psnr"])


def test_packaged_policy_round_trip_keeps_the_actions_and_the_ev_range(tmp_path, monkeypatch):
    # written as the people look, into a folder that does not exist yet, read back by its name
    import json

    import numpy as np

    from agents import looks, packaged
    from train import package_policy

    assert train.main(["--algo", "deepexposure-discriminator", "--steps", "16", *TINY, "--reward", "critic",
                       "--max-ev", "5", "--out", str(tmp_path / "run")]) == 0
    monkeypatch.setitem(looks.LOOKS, "people", tmp_path / "people")
    package_policy.main(["--look", "people", "--model", str(tmp_path / "run" / "model.zip"), "--command",
                         "exposure-train ...", "--training-data", "synthetic"])
    provenance = json.loads((tmp_path / "people" / looks.PROVENANCE_FILE).read_text())
    assert looks.packaged_provenance("people") == provenance
    assert provenance["training_data"] == "synthetic" and provenance["env_kwargs"]["max_ev"] == 5.0
    assert provenance["ev_prior"] == "auto-exposure" and "| deepexposure-discriminator |" in provenance["held_out_results"]
    packaged.load_packaged_policy.cache_clear()
    shipped, model = packaged.load_packaged_policy("people"), DeepExposure.load(tmp_path / "run" / "model.zip")
    rng = np.random.default_rng(0)
    observation = {key: rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8) for key in ("seg", "original", "local")}
    np.testing.assert_allclose(shipped.predict(observation)[0], model.predict(observation, deterministic=True)[0],
                               atol=1e-6)
    packaged.load_packaged_policy.cache_clear()


def test_the_actor_learning_rate_is_a_hyperparameter_constant_or_decaying_from_it(tmp_path, capsys):
    from agents.deep_exposure import ACTOR_LEARNING_RATE

    assert train.learning_rate("constant", {}) == {"learning_rate": ACTOR_LEARNING_RATE}
    assert train.learning_rate("constant", {"learning_rate": 2.5e-4}) == {"learning_rate": 2.5e-4}
    argv = ["--algo", "deepexposure-discriminator", "--steps", "32", "--lr-schedule", "linear", *TINY,
            "--hyperparams", "learning_rate:2.5e-4"]
    assert train.main([*argv, "--out", str(tmp_path)]) == 0
    model = DeepExposure.load(tmp_path / "model.zip")
    # two updates, after 16 and 32 of 32 steps: the last one at progress 0, so at rate 0
    assert model.lr_schedule(1.0) == pytest.approx(2.5e-4)
    assert model.policy.actor_optimizer.param_groups[0]["lr"] == 0.0
    with pytest.raises(SystemExit):  # a stock agent keeps its zoo hyperparameters
        train.main(["--algo", "ppo", "--lr-schedule", "linear", *TINY, "--size", "40", "--out", str(tmp_path / "ppo")])
    assert "--lr-schedule linear: only DeepExposure's actor has one" in capsys.readouterr().err


def test_the_shoulder_is_trained_with_and_recorded_or_refused(tmp_path, capsys):
    argv = ["--algo", "deepexposure-discriminator", "--steps", "16", *TINY]
    assert train.main([*argv, "--shoulder", "0.3", "--out", str(tmp_path / "ok")]) == 0
    assert DeepExposure.load(tmp_path / "ok" / "model.zip").retouch_settings()["shoulder"] == 0.3
    assert train.main([*argv, "--shoulder", "1.5", "--out", str(tmp_path / "bad")]) == 2
    assert "shoulder 1.5: the knee must be a linear value in (0, 1)" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # refused with the arguments: a stock agent's model records no env setting
        train.main(["--algo", "ppo", "--shoulder", "0.3", *TINY, "--size", "40", "--out", str(tmp_path / "ppo")])
    assert "--shoulder: only DeepExposure (deepexposure-value, deepexposure-discriminator)" in capsys.readouterr().err


def test_deep_exposure_i_on_an_ensemble_critic_needs_a_random_value_start(tmp_path, capsys):
    argv = ["--algo", "deepexposure-value", "--reward", "critic", "--critic", "ensemble", "--out", str(tmp_path)]
    with pytest.raises(SystemExit):  # refused with the arguments, before any training
        train.parse_args(argv)
    assert "--critic ensemble is an ensemble" in capsys.readouterr().err and not any(tmp_path.iterdir())
    args = train.parse_args([*argv, "--value-init", "random"])
    assert args.value_init == "random"
    with pytest.raises(SystemExit):
        train.parse_args(["--algo", "ppo", "--value-init", "random", "--out", str(tmp_path)])
    assert "only DeepExposure I has a value network" in capsys.readouterr().err


def test_the_gan_reward_learns_from_the_expert_folders_given(tmp_path, capsys):
    from PIL import Image

    for name, value in (("a.png", 40), ("nested/b.png", 200)):
        (tmp_path / "people" / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((20, 30, 3), value, np.uint8)).save(tmp_path / "people" / name)
    args = train.parse_args(["--reward", "gan", "--experts", str(tmp_path / "people"), *TINY,
                             "--out", str(tmp_path / "run")])
    _, gan_reward, _ = train.build(args)
    experts = gan_reward.trainer.expert_pool
    assert [path.name for path in experts.files] == ["a.png", "b.png"] and experts.thumbnails.shape[1] == 32
    with pytest.raises(SystemExit):  # a fixed critic learns from nothing: refused with the arguments
        train.parse_args(["--reward", "critic", "--experts", str(tmp_path / "people"), "--out", str(tmp_path)])
    assert "--experts: only the GAN reward's critic learns" in capsys.readouterr().err
