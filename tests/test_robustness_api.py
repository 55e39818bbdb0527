"""Python API messages against what users pass (issue 29, kinds 13-14): the packaged policy's ``predict``
checks its observation as SB3's does; the vector env clips huge actions, takes numpy seeds and empty masks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agents.packaged import load_packaged_policy
from exposure_env.mdp import OBSERVATION_KEYS
from exposure_env.vector import ExposureRetouchVectorEnv


@pytest.fixture(scope="module")
def policy_and_observation():
    policy = load_packaged_policy()
    size = policy.env_kwargs["size"]
    return policy, {key: np.full((size, size, 3), 90, np.uint8) for key in OBSERVATION_KEYS}


@pytest.mark.parametrize("change, message", [
    (lambda image: image.transpose(2, 0, 1), r"has shape \(3, 64, 64\); expected \(64, 64, 3\)"),
    (lambda image: image / 255.0, "is float64; expected uint8"),
    (lambda image: image[:32, :32], r"has shape \(32, 32, 3\)"),
])
def test_packaged_predict_refuses_what_is_not_the_env_s_observation(policy_and_observation, change, message):
    policy, observation = policy_and_observation
    with pytest.raises(ValueError, match=message):
        policy.predict({key: change(image) for key, image in observation.items()})


def test_packaged_predict_names_a_missing_key_and_takes_batches(policy_and_observation):
    policy, observation = policy_and_observation
    with pytest.raises(ValueError, match="lacks local"):
        policy.predict({key: observation[key] for key in ("seg", "original")})
    single, _ = policy.predict(observation)
    batch, _ = policy.predict({key: np.stack([image] * 2) for key, image in observation.items()})
    assert single.shape == (1,) and batch.shape == (2, 1) and np.allclose(batch, single)


@pytest.fixture
def vector_env():
    return ExposureRetouchVectorEnv(2, size=16, num_segments=2, reward="reference")


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_a_finite_action_beyond_float32_is_clipped(backend):
    env = ExposureRetouchVectorEnv(2, size=16, num_segments=2, reward="reference", backend=backend)
    env.reset(seed=np.int64(0))  # a numpy seed is an integer
    actions = np.array([[1e39], [-1e39]])
    env.step(actions if backend == "numpy" else torch.from_numpy(actions))  # the torch backend checks on the device
    assert env._t.tolist() == [1, 1]


def test_seeds_that_are_not_integers_and_empty_masks(vector_env):
    with pytest.raises(TypeError, match="seed must be an integer or one integer per env"):
        vector_env.reset(seed=1.5)
    observation, _ = vector_env.reset(seed=[np.int64(3), 4])
    again, _ = vector_env.reset(options={"reset_mask": np.zeros(2, bool)})  # resets nothing
    assert all(np.array_equal(observation[key], again[key]) for key in OBSERVATION_KEYS)
    with pytest.raises(ValueError, match="render_mode='rgb_array': the batched env renders nothing"):
        ExposureRetouchVectorEnv(2, render_mode="rgb_array")


def test_async_make_vec_steps_as_users_call_it():
    import gymnasium as gym

    torch.set_num_threads(2)
    torch.ones(512, 512) @ torch.ones(512, 512)  # the parent's thread pool is up when the workers fork
    envs = gym.make_vec("ExposureRetouch-v0", 2, vectorization_mode="async", size=16, num_segments=1)
    try:
        envs.reset(seed=0)
        envs.step_async(np.zeros((2, 1), np.float32))
        _, rewards, terminated, _, _ = envs.step_wait(timeout=60)  # the critic's call in the workers: no deadlock
        assert terminated.all() and np.isfinite(rewards).all()
    finally:
        envs.close(terminate=True)


def test_retouch_repeats_to_the_byte_on_one_thread_and_within_one_code_value_on_several():
    import cv2

    from exposure_env.retouch import retouch

    policy = load_packaged_policy()
    photo = cv2.GaussianBlur((np.random.default_rng(0).random((480, 640, 3)) ** 2 * 255).astype(np.uint8), (0, 0), 3)
    threads = cv2.getNumThreads()
    try:
        results = {}
        for count in (1, 8):
            cv2.setNumThreads(count)
            first, second = (retouch(photo, policy, **policy.env_kwargs) for _ in range(2))
            assert first.evs == second.evs and np.array_equal(first.fused_thumbnail, second.fused_thumbnail)
            results[count] = (first.image.astype(int), second.image.astype(int))
    finally:
        cv2.setNumThreads(threads)
    assert np.array_equal(*results[1])
    assert np.abs(results[8][0] - results[8][1]).max() <= 1 and np.abs(results[8][0] - results[1][0]).max() <= 1
