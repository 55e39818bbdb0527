"""Training runs against what real machines do to them: stop signals, checkpoints cut between their files, a
missing critic, a resume with other arguments; DeepExposure's save/load as SB3's (issue 29, kinds 3, 8-12)."""

from __future__ import annotations

import io
import os
import shutil
import signal

import numpy as np
import pytest

from agents import DeepExposure
from exposure_env.rewards.adversarial import companion_path
from exposure_env.vector import ExposureRetouchVectorEnv, SB3VecEnv
from train import train
from train.console import stop_on_signals

TINY = ["--algo", "deepexposure-discriminator", "--n-images", "8", "--size", "32", "--num-segments", "2",
        "--p-steps", "1", "--d-steps", "1", "--critic-batch-size", "8", "--eval-photos", "2", "--evaluations", "1",
        "--checkpoint-every", "16", "--steps", "64"]


@pytest.fixture(scope="module")
def stopped_run(tmp_path_factory):
    """A run stopped by SIGTERM during its third update (checkpoints at 16 and 32 steps), and what it said."""
    out = tmp_path_factory.mktemp("run")
    original_train, updates = DeepExposure.train, []

    def train_then_terminate(self, rollout):
        updates.append(1)
        if len(updates) == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        original_train(self, rollout)

    with pytest.MonkeyPatch.context() as patch, stop_on_signals():
        patch.setattr(DeepExposure, "train", train_then_terminate)
        capture = io.StringIO()
        patch.setattr("sys.stderr", capture)
        code = train.main([*TINY, "--out", str(out)])
    return out, code, capture.getvalue()


def copy_run(stopped_run, tmp_path):
    shutil.copytree(stopped_run[0], tmp_path / "run")
    return tmp_path / "run"


def test_sigterm_during_training_says_what_was_kept_and_exits_143(stopped_run):
    out, code, error = stopped_run
    assert code == 143
    assert (f"exposure-train: stopped by SIGTERM at step 48 of 64; the last checkpoint is {out / 'checkpoint.zip'} "
            "at step 32 (continue with --resume); not done:") in error
    assert not (out / "model.zip").exists() and not [path for path in out.iterdir() if path.name.startswith(".")]


def test_resume_refuses_other_run_arguments_and_names_those_that_may_change(stopped_run, tmp_path, capsys):
    run = copy_run(stopped_run, tmp_path)
    with pytest.raises(SystemExit) as exit_:
        train.main(["--resume", "--out", str(run), "--max-ev", "5", "--reward", "critic"])
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert "--max-ev was 3.0, now 5.0" in error and "--reward was gan, now critic" in error
    assert "Only --steps, --checkpoint-every" in error


def test_resume_takes_the_run_arguments_not_given_from_the_checkpoint(stopped_run, tmp_path):
    run = copy_run(stopped_run, tmp_path)
    args = train.parse_args(["--resume", "--out", str(run), "--steps", "80"])
    assert (args.size, args.num_segments, args.n_images, args.steps) == (32, 2, 8, 80)


def test_resume_refuses_a_missing_critic_or_one_from_another_save(stopped_run, tmp_path, capsys):
    run = copy_run(stopped_run, tmp_path)
    companion = companion_path(run / "checkpoint.zip")
    companion.rename(tmp_path / "aside.pt")
    assert train.main(["--resume", "--out", str(run)]) == 2
    assert f"{companion} is missing" in capsys.readouterr().err
    (tmp_path / "aside.pt").rename(companion)
    companion.write_bytes(companion.read_bytes() + b"\0")  # as if written by a later save than the zip
    assert train.main(["--resume", "--out", str(run)]) == 2
    error = capsys.readouterr().err.strip()
    assert f"{companion} was not written with {run / 'checkpoint.zip'}" in error and "\n" not in error


def small_model(**kwargs) -> DeepExposure:
    env = SB3VecEnv(ExposureRetouchVectorEnv(2, size=32, num_segments=2, reward="reference", reward_mode="shaped"))
    return DeepExposure("MultiInputPolicy", env, n_images=4, seed=0, device="cpu", **kwargs)


def test_save_and_load_take_file_objects():
    model = small_model()
    buffer = io.BytesIO()
    model.save(buffer)
    buffer.seek(0)
    loaded = DeepExposure.load(buffer, device="cpu")
    observation = model.env.reset()
    assert np.array_equal(loaded.predict(observation, deterministic=True)[0],
                          model.predict(observation, deterministic=True)[0])


def test_load_with_the_env_id_builds_the_env_the_model_was_saved_with(tmp_path):
    model = small_model()
    model.action_noise.noises[1].noise_prev = np.array([0.5])  # an OU state that must survive the round trip
    model.save(tmp_path / "model.zip")
    loaded = DeepExposure.load(tmp_path / "model.zip", env="ExposureRetouch-v0", device="cpu")
    assert loaded.n_envs == 2 and loaded.n_images == 4
    assert loaded.get_env().get_attr("mdp")[0].reward_mode == "shaped"
    assert loaded.action_noise.noises[1].noise_prev.tolist() == [0.5]
