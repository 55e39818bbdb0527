"""``exposure-eval``: reference rows always, trained models as extra rows, clear errors."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import gymnasium as gym
import pytest
from PIL import Image
from stable_baselines3.common.env_util import make_vec_env

from agents import DeepExposure, algorithms
from exposure_env.data import EmbeddedPool
from exposure_env.metrics import psnr
from exposure_env.vector import ExposureRetouchVectorEnv, SB3VecEnv
from sequences import write_sequences
from train import evaluate


def test_eval_scores_a_saved_model_beside_the_reference_rows(tmp_path):
    model = DeepExposure("MultiInputPolicy", SB3VecEnv(ExposureRetouchVectorEnv(2, size=32, num_segments=2,
                                                                                 reward="reference")),
                         n_images=2, seed=0, device="cpu")
    model.save(tmp_path / "tiny_agent.zip")
    out = tmp_path / "report"
    evaluate.main(["--model", str(tmp_path / "tiny_agent.zip"), "--photos", "3", "--size", "32", "--num-segments", "2",
                   "--grid-rows", "2", "--out", str(out)])
    rows = {row["method"]: row for row in csv.DictReader((out / "results.csv").open())}
    assert list(rows) == ["identity", "global auto-exposure", "global auto-exposure, log-average", "CLAHE on L",
                          "bracket -1.5..+1.5 EV", "bracket -2..+2 EV", "oracle: best global EV", "oracle: best T EVs",
                          "tiny_agent"]
    assert all(10 < float(row["psnr"]) < 60 and 0 <= float(row["highlights"]) <= 1
               and 0 <= float(row["shadows"]) <= 1 for row in rows.values())
    # the oracles know the target: nothing beats the best T EVs, and they contain the best single EV
    best = float(rows["oracle: best T EVs"]["psnr"])
    assert best >= float(rows["oracle: best global EV"]["psnr"]) - 1e-6
    assert all(float(row["psnr"]) <= best + 1e-6 for name, row in rows.items() if name != "CLAHE on L")
    # CLAHE stretches the lightness of the dark degraded photos: a different result from doing nothing
    assert float(rows["CLAHE on L"]["psnr"]) != pytest.approx(float(rows["identity"]["psnr"]), abs=0.05)
    assert "| tiny_agent |" in (out / "results.md").read_text()
    grid = cv2.imread(str(out / "grid.png"))
    assert grid is not None and grid.shape[1] > grid.shape[0]  # 10 columns, 2 rows


def metric_values(rows: list[dict]) -> np.ndarray:
    """evaluate's rows as one float array, method names dropped (for NaN-aware comparisons)."""
    return np.array([[value for key, value in row.items() if key != "method"] for row in rows], dtype=float)


def test_clahe_equalises_lightness_of_a_dark_photo():
    rng = np.random.default_rng(0)
    dark = (rng.uniform(0.0, 0.2, (64, 64, 3))).astype(np.float32)
    result = evaluate.clahe(dark)
    assert result.shape == dark.shape and result.dtype == np.float32
    assert result.mean() > dark.mean() + 0.05 and result.std() > dark.std()


@pytest.mark.parametrize("argv, message", [(["--model", "missing.zip"], "missing.zip: no such model file"),
                                           (["--photos", "0"], "--photos and --grid-rows must be >= 1"),
                                           (["--render-side", "4"], "--render-side 4: must be >= 8 pixels")])
def test_eval_bad_arguments(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit):
        evaluate.main([*argv, "--out", str(tmp_path)])
    assert message in capsys.readouterr().err


def test_eval_refuses_a_file_that_is_not_a_model(tmp_path, capsys):
    bogus = tmp_path / "notes.zip"
    bogus.write_text("not a zip")
    with pytest.raises(SystemExit):
        evaluate.main(["--model", str(bogus), "--out", str(tmp_path)])
    assert "notes.zip: not a saved model (not a zip file)" in capsys.readouterr().err


def test_a_saved_model_names_its_algorithm_so_eval_needs_no_algo(tmp_path, capsys):
    envs = make_vec_env(lambda: gym.make("ExposureRetouch-v0", size=36, num_segments=2, reward="reference"), n_envs=1)
    ppo = algorithms.make("ppo", "MultiInputPolicy", envs, n_steps=8, batch_size=8, seed=0, device="cpu")
    algorithms.save(ppo, tmp_path / "named.zip")
    ppo.save(tmp_path / "plain.zip")  # plain SB3 save: names no algorithm
    assert algorithms.saved_name(tmp_path / "named.zip") == "ppo" and algorithms.saved_name(tmp_path / "plain.zip") is None
    out = tmp_path / "report"
    common = ["--photos", "2", "--size", "36", "--num-segments", "2", "--grid-rows", "1", "--out", str(out)]
    evaluate.main(["--model", str(tmp_path / "named.zip"), *common])
    assert "| named |" in (out / "results.md").read_text()
    with pytest.raises(SystemExit):
        evaluate.main(["--model", str(tmp_path / "plain.zip"), *common])
    assert "plain.zip: the file does not say which algorithm saved it" in capsys.readouterr().err
    evaluate.main(["--model", str(tmp_path / "plain.zip"), "--algo", "ppo", *common])
    assert "| plain |" in (out / "results.md").read_text()
    with pytest.raises(SystemExit):
        evaluate.main(["--model", str(tmp_path / "named.zip"), "--algo", "sac", *common])
    assert "named.zip: saved by ppo, not sac" in capsys.readouterr().err


@pytest.mark.parametrize("name", algorithms.DEEP_EXPOSURE)
def test_deep_exposure_saves_under_the_name_train_and_compare_agents_use(name, tmp_path):
    envs = SB3VecEnv(ExposureRetouchVectorEnv(2, size=32, num_segments=2, reward="reference"))
    model = algorithms.make(name, "MultiInputPolicy", envs, n_images=2, seed=0, device="cpu")
    model.save(tmp_path / "model.zip")
    assert algorithms.name_of(model) == algorithms.saved_name(tmp_path / "model.zip") == name
    assert algorithms.name_of(algorithms.load(tmp_path / "model.zip", device="cpu")) == name


def test_the_grid_shows_each_source_photo_once_at_a_readable_size(tmp_path):
    env = gym.make("ExposureRetouch-v0", pool="embedded:test")
    methods = evaluate.reference_methods(paired=True)
    images = evaluate.grid_images(env, methods, evaluate.source_rows(env.unwrapped.pool, 8, 6))
    # the held-out split has two source photos: one row each, not six crops of mostly one of them
    assert len(images["raw"]) == 2
    assert {env.unwrapped.pool[index].name.split("/")[0] for index in range(8)} == {"chelsea", "camera"}
    assert all(image.shape == (evaluate.GRID_SIDE, evaluate.GRID_SIDE, 3) for column in images.values()
               for image in column.values())
    # each method's decision is rendered on the large photo: auto-exposure brightens the dark crop there too
    assert images["global auto-exposure"][0].mean() != pytest.approx(images["raw"][0].mean(), abs=0.01)
    evaluate.write_grid(images, 2, tmp_path)
    grid = cv2.imread(str(tmp_path / "grid.png"))
    assert grid.shape[0] >= 2 * evaluate.GRID_SIDE  # shown pixel for pixel, not 64-pixel thumbnails blown up


def test_the_grid_shows_distinct_scenes_from_the_whole_pool():
    names = [f"s{sequence:03d}_{frame}.jpg" for sequence in range(20) for frame in range(7)]  # 20 sequences, 7 frames
    pool = [SimpleNamespace(name=name) for name in names]
    rows = evaluate.source_rows(pool, len(pool), 6)
    # six sequences spread from the first to the last, not six frames of the first sequence
    assert len({names[index].split("_")[0] for index in rows}) == 6 and rows[0] == 0 and rows[-1] == 19 * 7
    assert evaluate.source_rows(pool, 14, 6) == [0, 7]  # two sequences among the first 14 frames: a row each
    assert [evaluate.scene(name) for name in ("chelsea/3", "a0015.png", "s001_4.jpg")] == ["chelsea", "a0015", "s001"]


def test_eval_on_an_unpaired_folder_reports_critic_and_clipping_only(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    pool = EmbeddedPool("test", n_items=3)
    for index in range(3):
        Image.fromarray((pool[index].raw * 255).astype(np.uint8)).save(folder / f"photo{index}.png")
    out = tmp_path / "report"
    evaluate.main(["--pool", str(folder), "--photos", "3", "--grid-rows", "2", "--out", str(out)])
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert len(rows) == 6  # the reference methods
    assert all(np.isnan(float(row["psnr"])) and np.isfinite(float(row["score"])) for row in rows)  # no targets
    assert all(0 < float(row["lightness"]) < 100 for row in rows)
    report = (out / "results.md").read_text()
    assert "nan" not in report and "| – |" in report  # the table shows "–" where there is no target
    assert report.startswith("Each row is one method run on the same 3 photos of")  # what the table means
    assert cv2.imread(str(out / "grid.png")) is not None


def test_lightness_is_the_mean_cie_l_star():
    from exposure_env.metrics import lightness

    assert lightness(np.zeros((4, 4, 3), np.float32)) == pytest.approx(0.0, abs=1e-6)
    assert lightness(np.ones((4, 4, 3), np.float32) * 1.2) == pytest.approx(100.0, abs=1e-3)  # clipped to white first
    half = np.concatenate([np.zeros((2, 4, 3)), np.full((2, 4, 3), 0.5)]).astype(np.float32)
    assert lightness(half) == pytest.approx(53.39 / 2, abs=0.05)  # sRGB mid-grey is L* 53.39


def test_eval_names_the_packaged_policy(tmp_path):
    # the shipped policy, trained on real bracketed sequences, on synthetic ones (the real data is not needed)
    # one sequence, its 4 frames (measured: packaged 27.7 dB, identity 16.2; on two sequences 27.3 and 15.8)
    write_sequences(tmp_path / "sequences", sequences=1, evs=(-3.0, -1.5, 0.0, 1.5))
    out = tmp_path / "report"
    evaluate.main(["--model", "packaged", "--pool", str(tmp_path / "sequences"), "--photos", "4", "--grid-rows", "1",
                   "--out", str(out)])
    rows = {row["method"]: row for row in csv.DictReader((out / "results.csv").open())}
    assert float(rows["packaged"]["psnr"]) > float(rows["identity"]["psnr"]) + 3.0  # the shipped policy is trained


def test_eval_reads_the_raw_expert_layout_at_the_models_ev_range(tmp_path):
    write_sequences(tmp_path / "sequences")
    model = DeepExposure("MultiInputPolicy", SB3VecEnv(ExposureRetouchVectorEnv(2, size=32, num_segments=2, max_ev=5.0,
                                                                                 reward="reference")),
                         n_images=2, seed=0, device="cpu")
    model.save(tmp_path / "wide.zip")
    out = tmp_path / "report"
    evaluate.main(["--model", str(tmp_path / "wide.zip"), "--pool", str(tmp_path / "sequences"), "--photos", "6",
                   "--size", "32", "--num-segments", "2", "--grid-rows", "2", "--out", str(out)])
    rows = {row["method"]: row for row in csv.DictReader((out / "results.csv").open())}
    # paired by file name: the oracles and the paired metrics are there for every method
    assert {"oracle: best global EV", "oracle: best T EVs", "wide"} <= set(rows)
    assert all(np.isfinite(float(row["psnr"])) for row in rows.values())
    # the -2 EV frames need +2 EV: within the model's ±5 EV the global oracle reaches the fused target closely
    assert float(rows["oracle: best global EV"]["psnr"]) > float(rows["identity"]["psnr"]) + 3
    assert evaluate.trained_max_ev([model]) == 5.0


def test_eval_refuses_models_of_different_ev_ranges():
    narrow, wide = (DeepExposure("MultiInputPolicy", SB3VecEnv(ExposureRetouchVectorEnv(2, size=32, num_segments=2,
                                                                                         max_ev=ev, reward="reference")),
                                 n_images=2, seed=0, device="cpu") for ev in (3.0, 5.0))
    assert evaluate.trained_max_ev([]) == evaluate.DEFAULT_MAX_EV
    with pytest.raises(ValueError, match="different EV ranges"):
        evaluate.trained_max_ev([narrow, wide])


def test_eval_judges_each_decision_rendered_on_the_photo_at_the_render_side(tmp_path):
    write_sequences(tmp_path / "sequences", sequences=1, size=96)
    env = gym.make("ExposureRetouch-v0", pool=str(tmp_path / "sequences"), size=32, num_segments=2, max_ev=5.0)
    methods = {name: method for name, method in evaluate.reference_methods(paired=True).items()
               if name in ("identity", "global auto-exposure")}
    thumbnails, _ = evaluate.evaluate(env, methods, 3, progress=False)
    rendered, _ = evaluate.evaluate(env, methods, 3, render_side=96, progress=False)
    pool = env.unwrapped.pool
    # identity rendered at 96 pixels is the 96-pixel frame itself, judged against the 96-pixel target
    expected = np.mean([psnr(pool[index].raw, pool[index].target) for index in range(3)])
    assert rendered[0]["psnr"] == pytest.approx(expected, abs=1e-4)
    assert rendered[0]["psnr"] != pytest.approx(thumbnails[0]["psnr"], abs=0.01)  # not the 32-pixel thumbnails
    # the same decision at both sizes: auto-exposure is far above identity in both, and the critic scores the thumbnail
    assert all(rows[1]["psnr"] > rows[0]["psnr"] + 2 for rows in (thumbnails, rendered))
    assert [row["score"] for row in rendered] == [row["score"] for row in thumbnails]
    # both sizes in one pass: the same rows, each method deciding once per photo
    calls = []
    counted = {name: (lambda method, name: lambda env, index: calls.append(name) or method(env, index))(method, name)
               for name, method in methods.items()}
    both, _ = evaluate.evaluate_sizes(env, counted, 3, (None, 96), progress=False)
    # (r(L*) is NaN here: the frames of one sequence share one target, and NaN equals nothing)
    assert np.array_equal(metric_values(both[None]), metric_values(thumbnails), equal_nan=True)
    assert np.array_equal(metric_values(both[96]), metric_values(rendered), equal_nan=True)
    assert len(calls) == 2 * 3


def test_models_of_the_same_file_name_are_separate_rows():
    paths = [Path("runs/ppo/model.zip"), Path("runs/sac/model.zip"), Path("best.zip"), Path("a/run/ckpt/model.zip"),
             Path("b/run/ckpt/model.zip")]
    assert evaluate.row_names(paths) == {"ppo/model": paths[0], "sac/model": paths[1], "best": paths[2],
                                         "a/run/ckpt/model": paths[3], "b/run/ckpt/model": paths[4]}
    with pytest.raises(ValueError, match="model.zip given twice"):
        evaluate.row_names([paths[0], paths[0]])
