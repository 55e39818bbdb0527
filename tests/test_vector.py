"""The batched env: equivalence with N single envs, autoreset, tensors on the device, SB3, bad input."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3 import PPO

import exposure_env  # noqa: F401  (registers the env)
from exposure_env.mdp import ExposureMDP
from exposure_env.vector import ExposureRetouchVectorEnv, SB3VecEnv

# the CUDA cases exist only where CUDA does (no skipped-by-default tests on CPU machines)
DEVICES = ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]


def roll(env, actions_per_step):
    results = [env.reset(seed=11)]
    for actions in actions_per_step:
        results.append(env.step(actions))
    return results


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"reward_mode": "shaped"}, {"reward": "reference", "reward_mode": "dense", "feather": 1.5}],
    ids=["discriminator-sparse", "discriminator-shaped", "reference-dense-feathered"],
)
def test_same_observations_and_rewards_as_single_envs(kwargs):
    num_envs, num_segments = 5, 3
    actions = np.random.default_rng(0).uniform(-1.2, 1.2, (2 * num_segments + 3, num_envs, 1)).astype(np.float32)
    single = gym.vector.SyncVectorEnv(
        [lambda: gym.make("ExposureRetouch-v0", num_segments=num_segments, **kwargs) for _ in range(num_envs)]
    )
    batched = gym.make_vec("ExposureRetouch-v0", num_envs=num_envs, vectorization_mode="vector_entry_point",
                           num_segments=num_segments, **kwargs)
    assert isinstance(batched.unwrapped, ExposureRetouchVectorEnv)
    terminated_seen = 0
    for expected, got in zip(roll(single, actions), roll(batched, actions)):
        for key in expected[0]:
            np.testing.assert_array_equal(got[0][key], expected[0][key])  # numpy backend: bitwise
        if len(expected) == 5:
            # the tolerance docs/environment.md states
            np.testing.assert_allclose(got[1], expected[1], rtol=1e-5, atol=1e-5)
            np.testing.assert_array_equal(got[2], expected[2])
            terminated_seen += int(got[2].all())
            if got[2].any():  # P_T of the finished episodes, for the GAN reward's M1
                np.testing.assert_array_equal(got[4]["_fused"], expected[4]["_fused"])
                np.testing.assert_allclose(got[4]["fused"], expected[4]["fused"], atol=1e-4)
    assert terminated_seen == 2  # two full episodes, with a NEXT_STEP autoreset between them


def assert_close_to_numpy_backend(expected, got, device):
    """Torch-backend results (tensors on ``device``) against the numpy backend's."""
    for key in expected[0]:
        assert isinstance(got[0][key], torch.Tensor) and got[0][key].dtype == torch.uint8
        difference = np.abs(got[0][key].cpu().numpy().astype(int) - expected[0][key].astype(int))
        assert difference.max() <= 1 and (difference > 0).mean() < 0.01  # float rounding at .5 only
    if len(expected) == 5:
        assert isinstance(got[1], torch.Tensor) and got[1].device.type == device
        # exposures from torch pow vs the lookup table differ by ~1e-7, which the fusion weights of
        # flat grey (clipped) pixels amplify: measured up to 6.5e-4 in reward
        np.testing.assert_allclose(got[1].cpu().numpy(), expected[1], atol=1e-3)
        assert got[2].tolist() == expected[2].tolist()


@pytest.mark.parametrize("device", DEVICES)
def test_torch_backend_matches_numpy_backend(device):
    kwargs = {"num_segments": 3, "reward": "reference"}
    numpy_env = ExposureRetouchVectorEnv(4, **kwargs)
    torch_env = ExposureRetouchVectorEnv(4, device=device, backend="torch", tensor_observations=True, **kwargs)
    actions = np.random.default_rng(1).uniform(-1, 1, (4, 4, 1)).astype(np.float32)
    for expected, got in zip(roll(numpy_env, actions), roll(torch_env, actions)):
        assert_close_to_numpy_backend(expected, got, device)


@pytest.mark.parametrize("device", DEVICES)
def test_torch_backend_out_of_lockstep_with_a_small_photo_bank(device):
    """Partial resets put envs at different steps; a bank of num_envs photos evicts as it goes."""
    kwargs = {"num_segments": 3, "reward": "reference", "reward_mode": "shaped"}
    numpy_env = ExposureRetouchVectorEnv(4, **kwargs)
    torch_env = ExposureRetouchVectorEnv(4, device=device, backend="torch", tensor_observations=True, cache_size=1,
                                         **kwargs)
    actions = np.random.default_rng(2).uniform(-1, 1, (9, 4, 1)).astype(np.float32)
    for env in (numpy_env, torch_env):
        env.reset(seed=5)
    for step, step_actions in enumerate(actions):
        if step in (1, 5):
            mask = np.array([True, False, True, False]) if step == 1 else np.array([False, True, False, False])
            expected, got = (env.reset(options={"reset_mask": mask}) for env in (numpy_env, torch_env))
            assert_close_to_numpy_backend(expected, got, device)
            assert got[1]["t"].tolist() == expected[1]["t"].tolist()
        expected = numpy_env.step(step_actions)
        got = torch_env.step(torch.from_numpy(step_actions).to(device))  # actions on the device
        assert_close_to_numpy_backend(expected, got, device)
        assert got[4]["t"].tolist() == expected[4]["t"].tolist()


@pytest.mark.parametrize("device", DEVICES)
def test_tensor_observations_stay_on_the_device(device):
    env = ExposureRetouchVectorEnv(3, device=device, tensor_observations=True, num_segments=2)
    observation, _ = env.reset(seed=0)
    for _ in range(2):
        observation, reward, terminated, truncated, info = env.step(torch.zeros(3, 1, device=device))
    for value in (*observation.values(), reward, terminated, truncated, info["score"], info["fused"]):
        assert isinstance(value, torch.Tensor) and value.device.type == device
    assert observation["local"].shape == (3, 64, 64, 3) and terminated.all()


def test_partial_reset_and_sb3_adapter():
    env = ExposureRetouchVectorEnv(4, num_segments=2)
    first, _ = env.reset(seed=3)
    env.step(np.zeros((4, 1), np.float32))
    mask = np.array([True, False, False, True])
    observation, info = env.reset(options={"reset_mask": mask})
    assert info["t"].tolist() == [0, 1, 1, 0]
    vec_env = SB3VecEnv(ExposureRetouchVectorEnv(4, num_segments=2))
    vec_env.seed(0)
    vec_env.reset()
    dones_seen = []
    for _ in range(2):
        observation, rewards, dones, infos = vec_env.step(np.zeros((4, 1), np.float32))
        dones_seen.append(dones.copy())
    assert dones_seen[0].sum() == 0 and dones_seen[1].all()
    assert all("terminal_observation" in info and "score" in info for info in infos)
    assert observation["seg"].any()  # already the next episode's first observation
    model = PPO("MultiInputPolicy", vec_env, n_steps=16, batch_size=32, n_epochs=1, seed=0, device="cpu")
    model.learn(64)
    # what SB3 learned from is what the adapter gave: every env starts an episode every T = 2 steps
    # (its dones), and is rewarded D(P_T) at the last step only (the sparse reward)
    starts, rewards = model.rollout_buffer.episode_starts, model.rollout_buffer.rewards  # (16 steps, 4 envs)
    assert starts[0::2].all() and not starts[1::2].any()
    assert not rewards[0::2].any() and np.isfinite(rewards).all() and (rewards[1::2] != 0).all()
    assert len(np.unique(rewards[1::2])) > 4  # each env its own photo, not one reward copied to all


@pytest.mark.parametrize(
    "kwargs, message",
    [({"num_envs": 0}, "num_envs"), ({"num_envs": 2, "device": "tpu"}, "device"),
     ({"num_envs": 2, "device": "potato"}, "unknown device"), ({"num_envs": 2, "backend": "jax"}, "backend")],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ExposureRetouchVectorEnv(**kwargs)


def test_cuda_without_cuda_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # the same on machines with and without a GPU
    with pytest.raises(ValueError, match="no CUDA"):
        ExposureRetouchVectorEnv(2, device="cuda")


def test_both_envs_take_their_settings_and_rules_from_one_mdp():
    settings = {"size": 24, "num_segments": 3, "max_ev": 2.0, "reward_mode": "shaped", "gamma": 0.5}
    single = gym.make("ExposureRetouch-v0", reward="reference", **settings).unwrapped
    batched = ExposureRetouchVectorEnv(2, reward="reference", **settings)
    assert single.mdp == batched.mdp == ExposureMDP(**settings)
    assert single.observation_space == batched.single_observation_space == ExposureMDP(**settings).observation_space
    assert single.observation_space["seg"].shape == (24, 24, 3)
    # action -> EV: clipped to [-1, 1], then max_ev stops, in float64 as the single env's info reports it
    np.testing.assert_array_equal(single.mdp.exposure_values(np.array([-3.0, 0.25, 1.5], np.float32)), [-2.0, 0.5, 2.0])
    assert single.mdp.shaping(1.0, 4.0) == 0.5 * 4.0 - 1.0
    with pytest.raises(ValueError, match="max_ev must be > 0"):
        ExposureRetouchVectorEnv(2, max_ev=0.0)
    with pytest.raises(ValueError, match="max_ev must be > 0"):
        gym.make("ExposureRetouch-v0", max_ev=0.0)
    with pytest.raises(ValueError, match="unknown setting 'sise': did you mean 'size'"):
        ExposureRetouchVectorEnv(2, sise=32)
    with pytest.raises(TypeError, match=r"max_ev must be a number, got '3' \(str\)"):
        gym.make("ExposureRetouch-v0", max_ev="3")


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_bad_actions(backend):
    env = ExposureRetouchVectorEnv(2, backend=backend, tensor_observations=backend == "torch")
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"env\(s\) \[1\]"):
        env.step(np.array([[0.0], [np.nan]], np.float32))
    with pytest.raises(ValueError, match=r"env\(s\) \[0\]"):
        env.step(torch.tensor([[np.inf], [0.0]]))
    with pytest.raises(ValueError, match=r"shape \(2, 1\)"):
        env.step(np.zeros((3, 1), np.float32))
    with pytest.raises(ValueError, match="one pool index per env"):
        env.reset(options={"index": [0]})
    with pytest.raises(IndexError):  # a bad index leaves the photo cache / bank as it was
        env.reset(options={"index": [1, 10**9]})
    observation, _ = env.reset(options={"index": [1, 0]})
    single = gym.make("ExposureRetouch-v0")
    for env_index, pool_index in enumerate([1, 0]):
        expected, _ = single.reset(options={"index": pool_index})
        got = observation["original"][env_index]
        np.testing.assert_array_equal(got.numpy() if isinstance(got, torch.Tensor) else got, expected["original"])
