"""Tuning the stock agents in the benchmark's setting (train.experiments.sweep --benchmark): each algorithm's space
is what its trials sample, a sample reaches the SB3 model through exposure-train's --hyperparams, bad names are
refused in one line."""

from __future__ import annotations

import numpy as np
import pytest

from agents import algorithms
from train import train
from train.experiments import benchmark, sweep


def bench_args(tmp_path):
    """The benchmark's arguments as a --benchmark sweep builds them (the data folders made up: nothing reads them)."""
    for folder in ("sice/train/raw", "sice/dev/raw", "fivek/raw"):
        (tmp_path / folder).mkdir(parents=True)
    args = sweep.parse_args(["--benchmark", "--algo", "td3", "--sice", str(tmp_path / "sice"), "--fivek",
                             str(tmp_path / "fivek"), "--steps", "64", "--out", str(tmp_path / "out")])
    return args, sweep.benchmark_arguments(args)


def test_every_stock_agent_has_a_space_holding_its_zoo_values_and_others_are_refused_by_name():
    assert set(sweep.STOCK_SPACES) == set(algorithms.STOCK)
    for algo, space in sweep.STOCK_SPACES.items():
        for name, value in sweep.zoo_values(algo).items():  # the sweep's first trial: inside the space
            sampler, arguments = space[name]
            assert value in arguments[0] if sampler == "choice" else arguments[0] <= value <= arguments[1], (algo, name)
    with pytest.raises(ValueError, match="^--algo deepexposure-value: the benchmark setting tunes the stock agents"):
        sweep.space_of(sweep.argparse.Namespace(benchmark=True, algo="deepexposure-value"))


@pytest.mark.parametrize("argv, message", [
    (["--benchmark", "--algo", "deepexposure-discriminator"], "--algo deepexposure-discriminator: the benchmark "
                                                              "setting tunes the stock agents (ppo, a2c, sac, td3, ddpg)"),
    (["--benchmark", "--algo", "rainbow"], "argument --algo: invalid choice: 'rainbow'"),
    (["--algo", "sac"], "--algo sac: the ladder setting tunes"),
])
def test_an_algorithm_without_a_space_is_refused_in_one_line(argv, message, capsys):
    with pytest.raises(SystemExit):
        sweep.parse_args(argv)
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert message in error


def test_a_td3_trial_samples_its_space_and_the_sample_reaches_the_sb3_model(tmp_path, monkeypatch):
    import gymnasium as gym
    from stable_baselines3.common.env_util import make_vec_env

    args, bench = bench_args(tmp_path)
    space = sweep.search_space(args)["trial"]
    assert set(space) == {"algo", "seed", *sweep.STOCK_SPACES["td3"]}
    sample = {name: domain.sample() for name, domain in space.items() if name not in ("algo", "seed")}
    assert 1e-4 <= sample["learning_rate"] <= 3e-3 and 0.05 <= sample["noise_std"] <= 0.5
    sample["train_freq"] = 128  # choices other than the zoo's, so the test shows the override
    sample["adam_eps"] = 0.1

    models = []

    def exposure_train(argv, report):  # exposure-train up to its model, on a small embedded env
        parsed = train.parse_args(argv)
        envs = make_vec_env(lambda: gym.make("ExposureRetouch-v0", size=36, num_segments=2), n_envs=parsed.n_envs)
        models.append(train.new_model(parsed, envs))
        parsed.out.mkdir(parents=True)
        (parsed.out / "curves.csv").write_text("steps,score,psnr,ssim,delta_e\n0,1.0,15.0,0.5,20.0\n")
        report({"steps": 0, "score": 1.0, "psnr": 15.0, "ssim": 0.5, "delta_e": 20.0, "ev_spread": 0.0})
        return 0

    monkeypatch.setattr(train, "main", exposure_train)
    reported = []
    record = sweep.stock_trial("td3", 0, args, bench, tmp_path / "work", reported.append, **sample)
    assert record["psnr"] == 15.0 and reported[0]["steps"] == 0 and record == {**record, **sample}
    model, n_envs = models[0], 4  # exposure-train's default: n_steps and train_freq are per env there
    assert model.learning_rate == pytest.approx(sample["learning_rate"])
    assert model.batch_size == sample["batch_size"] and model.gradient_steps == sample["gradient_steps"]
    assert model.train_freq.frequency == sample["train_freq"] // n_envs
    np.testing.assert_allclose(model.action_noise._sigma, [sample["noise_std"]])
    for optimizer in (model.actor.optimizer, model.critic.optimizer):  # Adam's ε, through policy_kwargs
        assert optimizer.param_groups[0]["eps"] == 0.1
    assert model.buffer_size == 8192  # not searched: the zoo's
    # and the benchmark's own trials keep the zoo's values: no --hyperparams
    assert "--hyperparams" not in benchmark.train_argv("TD3", 0, bench, tmp_path)


@pytest.mark.parametrize("argv, message", [
    (["--algo", "td3", "--hyperparams", "bogus:1"], "--hyperparams bogus: not a hyperparameter of td3"),
    (["--algo", "sac", "--hyperparams", "gamma:0.9"], "--hyperparams gamma: exposure-train sets it (give --gamma)"),
    (["--algo", "deepexposure-discriminator", "--hyperparams", "n_images:8"],
     "--hyperparams n_images: exposure-train sets it (give --n-images)"),
    (["--algo", "deepexposure-value", "--hyperparams", "noise_std:0.1"],
     "--hyperparams noise_std: not a hyperparameter of deepexposure-value"),
    (["--algo", "ppo", "--hyperparams", "n_steps=64"], "'n_steps=64' is not NAME:VALUE"),
])
def test_exposure_train_refuses_a_bad_hyperparameter_by_name(argv, message, capsys):
    with pytest.raises(SystemExit):
        train.parse_args(argv)
    assert message in capsys.readouterr().err.strip().splitlines()[-1]


def test_deep_exposure_hyperparameters_reach_its_model():
    import gymnasium as gym

    parsed = train.parse_args(["--algo", "deepexposure-discriminator", "--reward", "critic", "--hyperparams",
                               "gradient_steps:16", "batch_size:8", "ou_sigma:0.1"])
    model = train.new_model(parsed, gym.make("ExposureRetouch-v0", size=36, num_segments=2))
    assert (model.gradient_steps, model.batch_size) == (16, 8)
    np.testing.assert_allclose(model.ou_sigma, 0.1)


def test_trials_that_ran_to_the_end_rank_first_and_a_cut_off_trial_is_not_called_stopped_by_asha():
    import pandas as pd

    class Result:  # what trial_rows reads of a Tune result
        def __init__(self, rate, psnr, steps, done, checkpoint):
            self.config = {"trial": {"learning_rate": rate}}
            self.metrics = {"psnr": psnr, "steps": steps, "done": done, "time_total_s": 9.0, "score": 1.0,
                            "ssim": 0.5, "delta_e": 20.0, "ev_spread": 0.0}
            self.metrics_dataframe = pd.DataFrame({"steps": [0, steps], "psnr": [14.0, psnr]})
            self.checkpoint = checkpoint

    grid = [Result(1e-3, 16.0, 512, True, None), Result(2e-3, 12.0, 2048, True, "kept"),
            Result(3e-3, 17.0, 1024, False, None), Result(4e-3, 13.0, 2048, True, "kept")]
    rows = sweep.trial_rows(grid, ("learning_rate",))
    assert [row["learning_rate"] for row in rows] == [4e-3, 2e-3, 3e-3, 1e-3]  # finished first, then by PSNR
    assert [(row["stopped"], row["cut_off"]) for row in rows] == [(False, False), (False, False), (False, True),
                                                                  (True, False)]
    table = sweep.results_table(rows, [], ("learning_rate",), current={"learning_rate": 2e-3})
    assert "| 0.002 | 2048 (the zoo's values) | 12.00 |" in table
    assert "| 0.003 | 1024 (cut off: the sweep was stopped) |" in table and "| 0.001 | 512 (stopped by ASHA) |" in table


def test_the_zoos_adam_eps_reaches_ddpgs_optimizers_and_building_a_model_leaves_the_zoo_as_it_was():
    import copy

    import gymnasium as gym

    from exposure_env.zoo import ddpg
    from train.common import algorithm_kwargs

    shipped = copy.deepcopy(ddpg.hyperparams)
    kwargs = algorithm_kwargs("ddpg", 1, {"buffer_size": 64})
    model = algorithms.algorithm_class("ddpg")("MultiInputPolicy", gym.make("ExposureRetouch-v0", size=36), **kwargs)
    assert model.actor.optimizer.param_groups[0]["eps"] == model.critic.optimizer.param_groups[0]["eps"] == 1.0
    assert ddpg.hyperparams == shipped  # SB3 wrote n_critics into a copy, not into the module
