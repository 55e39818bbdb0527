"""The tools talk while they work (a bar in a terminal, plain lines in a log), exposure-retouch's default output,
and --help before torch loads (issue 32, items 3-5)."""

from __future__ import annotations

import io
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from PIL import Image

import agents.packaged
from agents import DeepExposure
from exposure_env.vector import ExposureRetouchVectorEnv, SB3VecEnv
from train import policies, retouch
from train.console import PlainProgress, progress
from train.evaluate import evaluate, policy_method
from train.training_progress import TrainingProgress


class FakeClock:
    """A monotonic clock that a test moves by hand (no sleeps)."""

    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class ZeroEV:
    """A stub of the packaged policy: 0 EV for every segment, small settings."""

    env_kwargs = {"size": 16, "num_segments": 2, "max_ev": 3.0}

    def predict(self, observation, deterministic=True):
        return np.zeros(1, np.float32), None


def test_plain_progress_says_count_and_elapsed_time_at_start_each_tenth_every_30_s_and_at_the_end():
    clock, log = FakeClock(), io.StringIO()
    bar = progress(total=40, desc="judging", unit="photo", stream=log, clock=clock)
    assert isinstance(bar, PlainProgress)
    bar.update(3)  # below a tenth (4) and 30 s: no line
    clock.now += 31
    bar.update()  # 30 s passed (and a tenth reached): a line
    bar.update(3)
    bar.update()  # a second tenth
    clock.now += 49
    bar.update(32)
    bar.close()
    assert log.getvalue().splitlines() == [
        "judging: 0/40 photos (0%), 0:00 elapsed",
        "judging: 4/40 photos (10%), 0:31 elapsed, ~4:39 left",
        "judging: 8/40 photos (20%), 0:31 elapsed, ~2:04 left",
        "judging: 40/40 photos (100%), 1:20 elapsed, ~0:00 left",
    ]  # the last line is not repeated by close()
    assert "\r" not in log.getvalue()


def test_plain_progress_without_a_total_counts_by_time_and_a_terminal_gets_a_tqdm_bar():
    clock, log = FakeClock(), io.StringIO()
    for _ in progress(iter(range(5)), desc="rows", stream=log, clock=clock):
        clock.now += 20
    assert log.getvalue().splitlines() == ["rows: 0 items, 0:00 elapsed", "rows: 2 items, 0:40 elapsed",
                                           "rows: 4 items, 1:20 elapsed", "rows: 5 items, 1:40 elapsed"]
    terminal = Terminal()
    assert list(progress(range(3), desc="bar", stream=terminal)) == [0, 1, 2]
    assert "\r" in terminal.getvalue() and "3/3" in terminal.getvalue()
    assert type(progress(range(3), stream=io.StringIO(), enabled=False)).__name__ == "tqdm"


def test_training_reports_its_steps_in_a_log(capsys):
    model = DeepExposure("MultiInputPolicy", SB3VecEnv(ExposureRetouchVectorEnv(2, size=16, num_segments=2,
                                                                                 reward="reference")),
                         n_images=2, seed=0, device="cpu")
    model.learn(8, callback=TrainingProgress(8, "exposure-train: training"))
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "exposure-train: training: 0/8 steps (0%), 0:00 elapsed"
    assert lines[-1].startswith("exposure-train: training: 8/8 steps (100%), ")


def test_evaluation_reports_the_photos_judged_in_a_log(capsys):
    env = gym.make("ExposureRetouch-v0", pool="embedded:test", size=16, num_segments=2)
    methods = {"identity": policy_method(policies.identity), "auto": policy_method(policies.global_auto_exposure)}
    evaluate(env, methods, 3)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "evaluating 2 methods on 3 photos: 0/6 results (0%), 0:00 elapsed"
    assert lines[-1].startswith("evaluating 2 methods on 3 photos: 6/6 results (100%), ")
    evaluate(env, methods, 1, progress=False)
    assert capsys.readouterr().err == ""


@pytest.fixture
def cli(monkeypatch):
    """``exposure-retouch`` with the stub policy: ``cli(*args) -> exit code``."""
    monkeypatch.setattr(agents.packaged, "load_packaged_policy", lambda look: ZeroEV())
    return lambda *args: retouch.main([str(arg) for arg in args])


def photo(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (24, 32, 3), np.uint8)).save(path)
    return path.read_bytes()


def test_retouch_without_out_writes_beside_the_photo_says_where_and_never_replaces_a_result(tmp_path, cli, capsys):
    original = photo(tmp_path / "photo.jpg")
    assert cli(tmp_path / "photo.jpg") == 0
    result = tmp_path / "photo.retouched.jpg"
    assert Image.open(result).size == (32, 24) and (tmp_path / "photo.jpg").read_bytes() == original
    output = capsys.readouterr()
    line, = output.out.splitlines()
    assert line.startswith(f"{tmp_path / 'photo.jpg'} -> {result}  EVs ") and line.endswith(" s")
    assert output.err.splitlines()[-1].startswith("exposure-retouch: 1 photo(s) retouched in 0:0")
    assert "results beside the inputs" in output.err
    written = result.read_bytes()
    assert cli(tmp_path / "photo.jpg") == 2  # a second run: the result exists
    assert f"1 result(s) exist already, nothing was written: {result}" in capsys.readouterr().err
    assert result.read_bytes() == written


def test_retouch_a_folder_without_out_writes_a_sibling_folder_with_the_same_names(tmp_path, cli, capsys):
    photo(tmp_path / "holiday" / "a.png")
    photo(tmp_path / "holiday" / "sub" / "b.png")
    assert cli(tmp_path / "holiday", "--recursive", "--suffix", "jpg") == 0
    assert sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "holiday.retouched").rglob("*.jpg")) == [
        "holiday.retouched/a.jpg", "holiday.retouched/sub/b.jpg"]
    assert sorted(p.name for p in (tmp_path / "holiday").rglob("*")) == ["a.png", "b.png", "sub"]
    assert "retouching: 2/2 photos (100%)" in capsys.readouterr().err  # progress lines, not a bar: not a terminal


def test_every_tool_answers_help_before_torch_and_opencv_load():
    code = ("import sys, train.train, train.evaluate, train.retouch, train.demo\n"
            "heavy = {'torch', 'cv2', 'stable_baselines3'} & set(sys.modules)\n"
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True)
