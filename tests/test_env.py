"""ExposureRetouch-v0: contract, checkers, determinism, reward modes, bad input."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3 import PPO
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import exposure_env
from exposure_env.data import EmbeddedPool
from exposure_env.ops.resize import thumbnail
from exposure_env.rewards.functions import DiscriminatorScore, load_packaged_critic, read_provenance
from exposure_env.wrappers import StackedObservation


def run_episode(env: gym.Env, actions, seed: int | None = None, options: dict | None = None):
    observation, info = env.reset(seed=seed, options=options)
    observations, rewards, infos = [observation], [], [info]
    for action in actions:
        observation, reward, terminated, truncated, info = env.step(np.array([action], np.float32))
        observations.append(observation)
        rewards.append(reward)
        infos.append(info)
    return observations, rewards, infos, terminated, truncated


def test_registered_and_checkers_pass():
    env = gym.make("ExposureRetouch-v0")
    assert isinstance(env.unwrapped, exposure_env.ExposureRetouchEnv)
    gym_check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env.unwrapped, warn=False)
    assert env.observation_space["seg"].shape == (64, 64, 3) and env.observation_space["seg"].dtype == np.uint8
    assert env.action_space.shape == (1,)


def test_make_with_module_prefix_in_fresh_process():
    code = (
        "import gymnasium as gym, sys; env = gym.make('exposure_env:ExposureRetouch-v0', num_segments=2);"
        "o, _ = env.reset(seed=0); print(type(env.unwrapped).__name__, o['local'].shape)"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert output.returncode == 0, output.stderr
    assert "ExposureRetouchEnv (64, 64, 3)" in output.stdout


def test_episode_has_exactly_T_steps_and_terminal_info():
    env = gym.make("ExposureRetouch-v0", num_segments=3)
    observations, rewards, infos, terminated, truncated = run_episode(env, [0.5, -0.5, 0.0], seed=1)
    assert terminated and not truncated
    assert [i["t"] for i in infos] == [0, 1, 2, 3]
    assert infos[-1]["evs"] == pytest.approx([1.5, -1.5, 0.0])
    assert rewards[:2] == [0.0, 0.0] and rewards[2] == pytest.approx(infos[-1]["score"])
    assert infos[-1]["fused"].shape == (64, 64, 3) and infos[-1]["target"].shape == (64, 64, 3)
    assert not observations[-1]["seg"].any()
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros(1, np.float32))


def test_flat_image_empty_segments_still_take_steps():
    env = gym.make("ExposureRetouch-v0", num_segments=4)
    flat = np.full((32, 32, 3), 128, np.uint8)
    _, rewards, infos, terminated, _ = run_episode(env, [0.1] * 4, options={"image": flat})
    assert terminated and len(rewards) == 4
    np.testing.assert_allclose(infos[0]["mask"].shape, (64, 64))


def test_given_image_is_used_and_local_composite_moves_only_its_segment():
    env = gym.make("ExposureRetouch-v0", num_segments=2)
    ramp = np.tile(np.linspace(0, 255, 80, dtype=np.uint8)[None, :, None], (80, 1, 3))
    observation, info = env.reset(options={"image": ramp})
    expected = np.rint(thumbnail(ramp.astype(np.float32) / 255, 64) * 255).astype(np.uint8)
    np.testing.assert_array_equal(observation["original"], expected)
    dark = info["mask"] > 0.5
    observation, *_ = env.step(np.array([1.0], np.float32))
    changed = np.abs(observation["local"].astype(int) - expected.astype(int)).max(axis=-1) > 0
    assert changed[dark].mean() > 0.9 and not changed[~dark].any()


def test_same_seed_is_bitwise_repeatable():
    actions = [0.3, -0.7, 1.5, -0.2]  # 1.5 is clipped to 1
    runs = []
    for _ in range(2):
        env = gym.make("ExposureRetouch-v0", reward_mode="shaped")
        runs.append(run_episode(env, actions, seed=123))
    (obs_a, rew_a, *_), (obs_b, rew_b, *_) = runs
    assert rew_a == rew_b
    for a, b in zip(obs_a, obs_b):
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
    other = run_episode(gym.make("ExposureRetouch-v0"), actions, seed=124)[0]
    assert not np.array_equal(other[0]["original"], obs_a[0]["original"])


@pytest.mark.parametrize("reward", ["discriminator", "reference"])
def test_shaping_terms_telescope(reward):
    """Σγ^t r_t(shaped) − Σγ^t r_t(sparse) = γ^T·Φ(s_T) − Φ(s_0), and dense alone equals it."""
    gamma, actions = 0.9, [0.2, -0.4, 0.6, 0.1]
    returns, potentials = {}, {}
    for mode in ("sparse", "shaped", "dense"):
        env = gym.make("ExposureRetouch-v0", reward=reward, reward_mode=mode, gamma=gamma)
        _, rewards, infos, *_ = run_episode(env, actions, seed=7)
        returns[mode] = sum(gamma**t * r for t, r in enumerate(rewards))
        if mode != "sparse":
            potentials[mode] = (infos[0]["potential"], infos[-1]["potential"])
    phi_0, phi_T = potentials["shaped"]
    expected = gamma ** len(actions) * phi_T - phi_0
    assert abs(phi_T - phi_0) > 1e-3  # the identity is not trivially 0 = 0
    assert returns["shaped"] - returns["sparse"] == pytest.approx(expected, abs=1e-5)
    assert returns["dense"] == pytest.approx(expected, abs=1e-5)


def test_reference_and_callable_rewards():
    env = gym.make("ExposureRetouch-v0", reward="reference", num_segments=2)
    _, rewards, infos, *_ = run_episode(env, [0.0, 0.0], seed=3)
    rmse = np.sqrt(np.mean((infos[-1]["fused"].astype(np.float64) - infos[-1]["target"]) ** 2))
    assert rewards[-1] == pytest.approx(-rmse, rel=1e-5) and rewards[-1] < 0
    seen = []
    env = gym.make("ExposureRetouch-v0", reward=lambda image, info: seen.append(image.shape) or 2.5, num_segments=2)
    _, rewards, *_ = run_episode(env, [0.1, 0.2], seed=3)
    assert rewards == [0.0, 2.5] and seen == [(64, 64, 3)]


def test_render_panel_and_stacked_observation():
    env = gym.make("ExposureRetouch-v0", render_mode="rgb_array", num_segments=2)
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (256, 1024, 3) and frame.dtype == np.uint8
    stacked = StackedObservation(gym.make("ExposureRetouch-v0"))
    observation, _ = stacked.reset(seed=0)
    assert observation.shape == (9, 64, 64) and stacked.observation_space.contains(observation)
    raw_observation, _ = stacked.env.reset(seed=0)
    np.testing.assert_allclose(observation[3:6], raw_observation["original"].transpose(2, 0, 1) / 255.0, atol=1e-7)


def test_packaged_critic_ranks_held_out_experts_above_raw_as_its_provenance_records():
    """The shipped weights, scored on the held-out split they were judged on, give the numbers their record states."""
    pool = EmbeddedPool("test")
    score = DiscriminatorScore(load_packaged_critic()).batch
    raw_scores = score(np.stack([thumbnail(pool[i].raw, 64) for i in range(len(pool))]))
    target_scores = score(np.stack([thumbnail(pool[i].target, 64) for i in range(len(pool))]))
    gap = target_scores - raw_scores
    assert (gap > 0).mean() >= 0.75
    assert gap.mean() > 0.5 * raw_scores.std()  # a margin, not just a sign
    # train.pretrain_critic's preference shares: other weights, another split or another scoring would not match
    held_out = read_provenance()["held_out"]
    assert held_out["num_photos"] == len(pool)
    assert held_out["pairs_ranked_right"] == (gap > 0).mean()  # no gap is near 0 (the smallest is ~0.15)
    assert held_out["mean_expert_score"] == pytest.approx(target_scores.mean(), rel=1e-4)
    assert held_out["mean_gap"] == pytest.approx(gap.mean(), rel=1e-4)


def test_ppo_learns_from_the_env_rewards_and_acts_on_it():
    env = gym.make("ExposureRetouch-v0", num_segments=2)
    model = PPO("MultiInputPolicy", env, n_steps=64, batch_size=32, n_epochs=1, seed=0, device="cpu")
    before = [p.detach().clone() for p in model.policy.parameters()]
    model.learn(total_timesteps=64)
    assert any(not torch.equal(a, b) for a, b in zip(before, model.policy.parameters()))
    # the roll-out PPO learned from is the env's: an episode every T = 2 steps, the sparse reward D(P_T) at its end
    starts, rewards = model.rollout_buffer.episode_starts[:, 0], model.rollout_buffer.rewards[:, 0]
    assert starts[0::2].all() and not starts[1::2].any()
    assert not rewards[0::2].any() and np.isfinite(rewards).all() and (rewards[1::2] != 0).all()
    # its actions reach the env: the EVs of an episode are the predicted actions times max_ev
    observation, _ = env.reset(seed=5)
    actions = []
    for _ in range(2):
        actions.append(model.predict(observation, deterministic=True)[0])
        observation, _, terminated, _, info = env.step(actions[-1])
    max_ev = env.unwrapped.mdp.max_ev
    assert terminated and info["evs"] == pytest.approx([max_ev * float(a[0]) for a in actions], abs=1e-6)
    assert len(set(info["evs"])) == 2  # the policy reads its input: the two segments' observations differ


@pytest.mark.parametrize(
    "action, message",
    [(np.array([np.nan], np.float32), "finite"), (np.array([np.inf], np.float32), "finite"),
     (np.zeros(2, np.float32), "one exposure value")],
)
def test_bad_actions(action, message):
    env = gym.make("ExposureRetouch-v0")
    env.reset(seed=0)
    with pytest.raises(ValueError, match=message):
        env.step(action)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [({"segmentation": "watershed"}, ValueError, "unknown segmentation 'watershed'"),
     ({"reward_mode": "sparce"}, ValueError, "unknown reward_mode 'sparce'"),
     ({"reward": "critic"}, ValueError, "unknown reward 'critic'"),
     ({"num_segments": 0}, ValueError, "num_segments"),
     ({"fuse_input": "yes"}, TypeError, "fuse_input must be True or False"),
     ({"pool": 42}, TypeError, "pool")],
)
def test_bad_constructor_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        gym.make("ExposureRetouch-v0", **kwargs)


@pytest.mark.parametrize(
    "options, error, message",
    [({"colour": 1}, ValueError, "unknown option"),
     ({"image": np.zeros((1, 1, 3), np.uint8)}, ValueError, "1x1"),
     ({"image": np.zeros((0, 5, 3), np.uint8)}, ValueError, "0x5"),
     ({"image": "photo.jpg"}, TypeError, "numpy array"),
     ({"image": np.full((8, 8, 3), np.nan, np.float32)}, ValueError, "NaN")],
)
def test_bad_reset_options(options, error, message):
    env = gym.make("ExposureRetouch-v0")
    with pytest.raises(error, match=message):
        env.reset(options=options)
