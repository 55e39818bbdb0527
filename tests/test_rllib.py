"""RLlib: PPO trains on the registered ExposureRetouch-v0; the retrained GAN reward is refused."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
import torch
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.core.models.configs import CNNEncoderConfig
from ray.tune.registry import ENV_CREATOR, _global_registry

from exposure_env.rllib import GAN_REWARD_REFUSED, make_env, register
from exposure_env.wrappers import StackedObservation

T = 4  # the env's default num_segments
BATCH = 64  # env steps per training iteration: 16 episodes of T steps


@pytest.fixture(scope="module")
def algo(ray_local):
    register()
    config = (
        PPOConfig()
        .environment("ExposureRetouch-v0", env_config={"num_segments": T})
        .env_runners(num_env_runners=0)
        .training(train_batch_size_per_learner=BATCH, minibatch_size=32, num_epochs=1)
        .debugging(seed=0)
    )
    algo = config.build_algo()
    yield algo
    algo.stop()


def test_ppo_trains_one_iteration_on_the_registered_env(algo):
    module = algo.get_module()
    before = {name: value.detach().clone() for name, value in module.state_dict().items()}

    result = algo.train()

    runners = result["env_runners"]
    assert runners["num_env_steps_sampled"] == BATCH
    assert runners["num_episodes"] == BATCH // T  # every episode finished, after exactly T steps
    assert runners["episode_len_min"] == runners["episode_len_max"] == T
    assert np.isfinite(runners["episode_return_mean"])
    learner = result["learners"]["default_policy"]
    assert learner["num_module_steps_trained"] > 0 and np.isfinite(learner["total_loss"])
    # the learner's update reached the env runner's module
    after = algo.get_module().state_dict()
    assert any(not torch.equal(before[name], after[name]) for name in before)

    # the trained policy steps the env runner's env: T + 1 channel-last images per episode
    episode = algo.env_runner.sample(num_episodes=1)[0]
    observations = episode.get_observations()
    assert observations.shape == (T + 1, 64, 64, 9) and observations.dtype == np.float32
    assert len(episode) == T and episode.is_terminated


def test_env_runner_sees_channel_last_images_and_rllib_builds_a_cnn(algo):
    space = algo.env_runner.env.single_observation_space
    assert space == gym.spaces.Box(0.0, 1.0, (64, 64, 9), np.float32)
    module = algo.get_module()
    assert module.observation_space == space
    # RLlib's default catalog picks its CNN encoder for a 3-D Box, with its filters for 64x64 inputs
    assert isinstance(module.catalog.actor_critic_encoder_config.base_encoder_config, CNNEncoderConfig)


def test_creator_stacks_the_env_observation_channel_last():
    env = make_env({"num_segments": 2})
    observation, _ = env.reset(seed=0)
    reference, _ = StackedObservation(gym.make("ExposureRetouch-v0", num_segments=2)).reset(seed=0)
    np.testing.assert_array_equal(observation, reference.transpose(1, 2, 0))
    assert env.unwrapped.mdp.num_segments == 2


@pytest.mark.parametrize("env_config", [{"reward": "gan"}, {"gan_reward": object(), "reward_mode": "shaped"}])
def test_the_retrained_gan_reward_is_refused(env_config):
    register()
    creator = _global_registry.get(ENV_CREATOR, "ExposureRetouch-v0")
    with pytest.raises(ValueError) as refusal:
        creator(env_config)
    message = str(refusal.value)
    assert message == GAN_REWARD_REFUSED and "\n" not in message
    for reason in ("env-runner", "diverge", "reward='discriminator'", "GANRewardCallback", "DeepExposure"):
        assert reason in message


def test_register_without_ray_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray.tune.registry", None)
    with pytest.raises(ImportError, match=r'pip install -c constraints.txt -e "\.\[ray\]"'):
        register()


def test_import_exposure_env_does_not_import_ray():
    """Ray is an optional extra: the package imports without it (exposure_env.rllib imports it in register())."""
    code = "import sys, exposure_env; assert 'ray' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
