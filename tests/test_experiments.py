"""The experiment runners on a tiny budget: their tables agree with their CSVs, runs and curves."""

from __future__ import annotations


import cv2
import numpy as np
import pytest
from reports import read_csv
from sequences import write_sequences

from agents import DeepExposure
from exposure_env.rewards.adversarial import companion_path
from train.common import EVAL_METRICS
from train.evaluate import reference_methods
from train.experiments import compare_agents, fixed_rows, real_sequences, reward_shaping


def test_reward_shaping_runner_writes_tables_and_curves(tmp_path):
    runs = reward_shaping.main(["--algos", "ppo", "--modes", "sparse", "dense", "--seeds", "1", "--steps", "32",
                                "--n-envs", "2", "--size", "40", "--num-segments", "2", "--p-steps", "1",
                                "--d-steps", "1", "--critic-batch-size", "4", "--eval-photos", "2", "--evaluations", "2", "--out", str(tmp_path)])
    assert [(run["algo"], run["mode"]) for run in runs] == [("ppo", "sparse"), ("ppo", "dense")]
    rows = read_csv(tmp_path / "runs.csv")
    assert [row["mode"] for row in rows] == ["sparse", "dense"]
    # PPO rolls out n_steps × n_envs = 256 steps (the zoo's) before it learns: one roll-out, so the critic
    # of each run had its p-step and one d-step
    assert all(10 < float(row["psnr"]) < 60 and int(row["critic_updates"]) == 2 for row in rows)
    points = read_csv(tmp_path / "curves.csv")
    curves = {mode: [point for point in points if point["mode"] == mode] for mode in ("sparse", "dense")}
    for row in rows:
        curve = curves[row["mode"]]
        assert [int(point["steps"]) for point in curve] == [0, 256]  # before and after the one update
        assert all(curve[-1][metric] == row[metric] for metric in EVAL_METRICS)  # a run's row: its final point
    # both modes start from the same policy (one seed: a fair comparison), and the mode changes what PPO learns
    assert all(curves["sparse"][0][metric] == curves["dense"][0][metric] for metric in EVAL_METRICS)
    assert curves["sparse"][-1]["psnr"] != curves["dense"][-1]["psnr"]
    table = (tmp_path / "results.md").read_text()
    for row in rows:  # one seed: the mean is the run's number
        assert (f"| ppo | {row['mode']} | 1 | {float(row['psnr']):.2f} | {float(row['ssim']):.3f} | "
                f"{float(row['delta_e']):.2f} | {float(row['score']):.1f} |") in table
    for fixed in (*fixed_rows.BASELINES, "oracle: best global EV", "oracle: best T EVs"):  # beside every learner
        assert f"| {fixed} | – | – | " in table
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
    # the critic's p-step, then a d-step per roll-out: DeepExposure's are 4 photos × T = 2 steps, PPO's 256 steps
    assert [run["critic_updates"] for run in runs] == [1 + 32 // 8, 1 + 1]
    baselines = {row["algo"]: float(row["psnr"]) for row in read_csv(tmp_path / "baselines.csv")}
    assert set(fixed_rows.BASELINES) | {"oracle: best global EV", "oracle: best T EVs"} == set(baselines)
    # the T-EV oracle bounds everything in this action space: baselines and learners
    ceiling = baselines["oracle: best T EVs"]
    assert ceiling >= baselines["oracle: best global EV"] >= baselines["identity"]
    assert all(run["psnr"] <= ceiling + 1e-6 for run in runs)
    rows = read_csv(tmp_path / "runs.csv")
    assert [(row["algo"], float(row["psnr"])) for row in rows] == [(run["algo"], run["psnr"]) for run in runs]
    points = read_csv(tmp_path / "curves.csv")
    for run in runs:  # each run's row is its curve's last point, after its last update
        curve = [point for point in points if point["algo"] == run["algo"]]
        assert int(curve[0]["steps"]) == 0 and float(curve[-1]["psnr"]) == run["psnr"]
    table = (tmp_path / "results.md").read_text()
    for run in runs:  # one seed: the mean is the run's number, and the gap is to the ceiling
        assert f"| {run['algo']} | 1 | {run['psnr']:.2f} | {ceiling - run['psnr']:.2f} |" in table
    for algo, psnr in baselines.items():
        assert f"| {algo} | – | {psnr:.2f} | {ceiling - psnr:.2f} |" in table
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
    [model_path] = out.glob("tune/real_sequences/*/checkpoint_*/model.zip")  # the trial's Tune checkpoint
    model = DeepExposure.load(model_path)
    # the fixed packaged critic: no critic trained (no GAN reward saved), and the EV range asked for
    assert model.max_ev == 5.0 and model.d_steps == 0 and not companion_path(model_path).exists()
    rows = read_csv(out / "results.csv")
    # one evaluation: the fixed rows in their order (both oracles: the dev frames are paired), then each run
    assert [row["method"] for row in rows] == [*reference_methods(paired=True), "critic-embedded_seed0"]
    psnr = {row["method"]: float(row["psnr"]) for row in rows}
    assert psnr["oracle: best T EVs"] >= psnr["oracle: best global EV"] >= psnr["identity"]
    labels = {"critic-embedded_seed0": "DeepExposure II, critic reward (embedded critic) | 1"}
    for row in rows:  # the table shows every row's numbers; one seed: the mean is the run's number
        label = labels.get(row["method"], f"{row['method']} | –")
        assert (f"| {label} | {float(row['psnr']):.2f} | {float(row['ssim']):.3f} | {float(row['delta_e']):.2f} | "
                f"{float(row['score']):.1f} | {float(row['highlights']):.3f} | {float(row['shadows']):.3f} |") in table
    assert "3 real frames" in table  # every dev frame, and only those
    assert cv2.imread(str(out / "grid.png")) is not None
    trained_at = model_path.stat().st_mtime_ns
    # run again: the finished run is kept, only the evaluation is redone, and it gives the same table
    assert real_sequences.main(argv) == table
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


def test_highlight_cap_brings_the_brightest_pixel_just_below_a_blown_highlight():
    from exposure_env.metrics import HIGHLIGHT_LEVEL
    from exposure_env.ops.color import luma
    from exposure_env.ops.exposure import expose
    from train.experiments.highlights import highlight_cap, mark_highlights

    grey = np.linspace(0.05, 1.0, 64, dtype=np.float32).reshape(8, 8, 1).repeat(3, axis=2)  # blown at the top
    cap = highlight_cap(grey, 253.5)
    assert cap < 0  # a blown photo must be darkened
    exposed = luma(expose(grey, cap))
    assert 253.0 / 255.0 < exposed.max() < HIGHLIGHT_LEVEL  # just below a blown highlight, not far below
    assert highlight_cap(grey * 0.25, 253.5) > 1.5  # a dark photo may be brightened by the same rule
    assert highlight_cap(grey, 128.0) < cap - 2.0  # mid-grey is more than 2 stops below white
    marked = mark_highlights(grey)
    blown = luma(grey) >= HIGHLIGHT_LEVEL
    assert blown.any() and (marked[blown] == (1.0, 0.0, 0.0)).all() and (marked[~blown] == grey[~blown]).all()


def test_highlights_experiment_caps_the_darkest_exposure_and_pictures_the_worst_frames(tmp_path):
    import gymnasium as gym

    from exposure_env.metrics import clipped_shares
    from train import evaluate, policies
    from train.experiments import highlights

    write_sequences(tmp_path / "dev", sequences=2, evs=(0.0, 2.5))  # the +2.5 EV frames blow their highlights
    env = gym.make("ExposureRetouch-v0", pool=str(tmp_path / "dev"), max_ev=5.0)
    bright = policies.make_bracket((3.0, 3.5, 4.0, 5.0))  # blows most of every frame
    for index in range(4):
        photo = env.unwrapped.pool[index].raw
        blown = clipped_shares(evaluate.policy_method(bright)(env, index).render(photo))["highlights"]
        held = clipped_shares(highlights.capped_method(highlights.played(bright), 253.5)(env, index).render(photo))["highlights"]
        assert blown > 0.02 and held < blown / 2

    out = tmp_path / "out"
    table = highlights.main(["--pool", str(tmp_path / "dev"), "--render-side", "32", "--cap-levels", "253.5",
                             "--out", str(out)])
    rows = {row["method"]: row for row in read_csv(out / "results.csv")}
    assert {"identity", "bracket -2..+2 EV", "global auto-exposure, log-average", highlights.POLICY,
            highlights.capped_name(253.5), "oracle: best T EVs"} <= set(rows)
    assert float(rows["identity"]["highlights"]) > 0.01  # the data has blown pixels to hold
    assert (out / "highlights.png").stat().st_size > 0 and "highlights.png: the 4 photos" in table

    unpaired = highlights.main(["--pool", str(tmp_path / "dev" / "raw"), "--render-side", "32", "--cap-levels",
                                "253.5", "--out", str(tmp_path / "unpaired")])  # photos alone: no targets, no oracles
    rows = {row["method"]: row for row in read_csv(tmp_path / "unpaired" / "results.csv")}
    assert highlights.POLICY in rows and not any(name.startswith("oracle") for name in rows)
    assert "The targets themselves" not in unpaired and "| – | – | – |" in unpaired
    with pytest.raises(SystemExit, match=r"highlights: error: .*none\.zip"):  # one line, no traceback
        highlights.main(["--model", str(tmp_path / "none.zip"), "--pool", str(tmp_path / "dev")])
