"""DeepExposure (Alg. 1 and 2): learning on a tiny problem, gradients through the transition, save/load, bad input."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3.common.logger import configure

import exposure_env  # noqa: F401  (registers the env)
from agents import DeepExposure
from agents.transition import after_state, segment_mask
from exposure_env import GANReward, GANRewardWrapper
from exposure_env.data import EmbeddedPool
from exposure_env.data.pool import ImagePool, Sample
from exposure_env.ops.exposure import expose
from exposure_env.rewards.adversarial import companion_path
from exposure_env.vector import ExposureRetouchVectorEnv, SB3VecEnv

SIZE, SEGMENTS = 32, 2


class UnderexposedPool(ImagePool):
    """Clean embedded crops (targets and experts) shown 1–2 stops too dark: a problem with a clear answer."""

    paired = True
    has_experts = True

    def __init__(self, split: str, n: int):
        base = EmbeddedPool(split, n_items=n)
        self.targets = [base[i].target for i in range(n)]
        self.evs = np.random.default_rng(0).uniform(-2.0, -1.0, n)

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> Sample:
        raw = expose(self.targets[index], self.evs[index]).astype(np.float32)
        return Sample(raw, self.targets[index], f"underexposed/{index}")

    def expert(self, rng: np.random.Generator) -> np.ndarray:
        return self.targets[int(rng.integers(len(self)))]


@pytest.fixture(scope="module")
def pools() -> dict[str, UnderexposedPool]:
    return {"train": UnderexposedPool("train", 32), "test": UnderexposedPool("test", 16)}


def batched(pool: ImagePool, num_envs: int = 16, **kwargs) -> SB3VecEnv:
    return SB3VecEnv(ExposureRetouchVectorEnv(num_envs, pool=pool, size=SIZE, num_segments=SEGMENTS, **kwargs))


def held_out_return(model: DeepExposure, pool: ImagePool) -> float:
    """Mean return of the deterministic policy on the held-out photos (reference reward: −RMSE)."""
    env = ExposureRetouchVectorEnv(len(pool), pool=pool, size=SIZE, num_segments=SEGMENTS, reward="reference")
    observation, _ = env.reset(seed=123)
    total = np.zeros(env.num_envs)
    for _ in range(SEGMENTS):
        action, _ = model.predict(observation, deterministic=True)
        observation, reward, *_ = env.step(action)
        total += reward
    return float(total.mean())


def small_gan_reward(pool: ImagePool) -> GANReward:
    return GANReward(pool, p_steps=0, d_steps=1, batch_size=16, update_every=None, seed=0)


@pytest.mark.parametrize("value, steps, margin", [("network", 640, 0.1), ("discriminator", 384, 0.08)])
def test_held_out_return_rises_on_a_tiny_problem(pools, value, steps, margin):
    # measured: network −0.198 → −0.059 after 640 steps; discriminator −0.198 → −0.080 after 384 steps
    gan_reward = small_gan_reward(pools["train"]) if value == "discriminator" else None
    model = DeepExposure("MultiInputPolicy", batched(pools["train"], reward="reference"), value=value, n_images=16,
                         gan_reward=gan_reward, seed=0, device="cpu")
    before = held_out_return(model, pools["test"])
    model.learn(steps)
    assert held_out_return(model, pools["test"]) > before + margin


def test_gradient_reaches_the_action_through_the_transition(pools):
    env = gym.make("ExposureRetouch-v0", pool=pools["train"], size=SIZE, num_segments=SEGMENTS, reward="reference")
    episodes = [env.reset(options={"index": index}) for index in range(4)]
    images = {key: torch.from_numpy(np.stack([obs[key] for obs, _ in episodes])).permute(0, 3, 1, 2).float() / 255.0
              for key in episodes[0][0]}
    env_masks = np.stack([info["mask"] for _, info in episodes])
    action = torch.full((4, 1), 0.2, requires_grad=True)
    brightness = after_state(images, action, max_ev=3.0).mean(dim=(1, 2, 3))
    (gradient,) = torch.autograd.grad(brightness.sum(), action)
    epsilon = 1e-3
    finite_difference = (after_state(images, action.detach() + epsilon, 3.0).mean(dim=(1, 2, 3)) - brightness.detach()) \
        / epsilon
    assert (gradient[:, 0] > 0).all()  # brighter with a larger exposure, and only through the transition
    np.testing.assert_allclose(gradient[:, 0].numpy(), finite_difference.numpy(), rtol=0.05, atol=1e-4)
    # the mask read back from the observation is the env's hard mask
    not_black = images["original"].sum(dim=1).numpy() > 0  # where S0 is black the mask cannot matter
    np.testing.assert_array_equal(segment_mask(images["seg"], images["original"])[:, 0].numpy()[not_black],
                                  env_masks[not_black])


@pytest.mark.parametrize("value", ["network", "discriminator"])
def test_one_update_moves_the_actor_through_the_transition(pools, value):
    gan_reward = small_gan_reward(pools["train"])
    model = DeepExposure("MultiInputPolicy", batched(pools["train"], 8), value=value, n_images=8,
                         gan_reward=gan_reward, seed=1, device="cpu", learning_rate=1e-3)
    model._setup_learn(16)
    rollout = model.collect_rollouts(model._init_callback(None))
    images = {key: rollout.observations[key].float() / 255.0 for key in rollout.observations}

    def critic_of_policy_results() -> float:
        with torch.no_grad():
            return float(gan_reward.critic(after_state(images, model.policy(rollout.observations), model.max_ev)).mean())

    weights_before = [p.detach().clone() for p in model.policy.actor.parameters()]
    critic_before = critic_of_policy_results()
    model.train(rollout)
    gradients = [p.grad for p in model.policy.actor.parameters()]
    assert all(g is not None and g.abs().sum() > 0 for g in gradients)  # a detached transition gives no gradient
    assert any(not torch.equal(a, b) for a, b in zip(weights_before, model.policy.actor.parameters()))
    if value == "discriminator":  # Eq. 24 sign: the update must *increase* D on the batch it was computed on
        assert critic_of_policy_results() > critic_before


def test_value_network_starts_as_the_discriminator_value(pools):
    # value_init="discriminator": V(x, t) = γ^{T−1−t}·D(x) (Eq. 15–19) with the critic after the p-step
    gan_reward = GANReward(pools["train"], p_steps=2, d_steps=1, batch_size=8, update_every=None, seed=0)
    model = DeepExposure("MultiInputPolicy", batched(pools["train"], 4), value="network", n_images=4, gamma=0.9,
                         gan_reward=gan_reward, seed=0, device="cpu")
    model.learn(0)
    assert gan_reward.num_critic_updates == 2  # copied after the p-step, not before
    images = torch.rand(5, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        critic_scores = gan_reward.critic(images)
        for step in range(SEGMENTS):
            values = model.policy.value_net(images, torch.full((5,), step))
            torch.testing.assert_close(values, 0.9 ** (SEGMENTS - 1 - step) * critic_scores, rtol=1e-5, atol=1e-5)
    assert model.policy.value_optimizer.param_groups[0]["lr"] == 1e-4  # it only needs refining
    random_start = DeepExposure("MultiInputPolicy", batched(pools["train"], 4), value="network", n_images=4,
                                value_init="random", gan_reward=gan_reward, seed=0, device="cpu")
    random_start.learn(0)
    with torch.no_grad():
        assert not torch.allclose(random_start.policy.value_net(images, torch.full((5,), SEGMENTS - 1)), critic_scores)
    assert random_start.policy.value_optimizer.param_groups[0]["lr"] == 1e-3  # it must catch up with the policy


def test_save_load_round_trip_gives_identical_actions(tmp_path, pools):
    gan_reward = small_gan_reward(pools["train"])
    model = DeepExposure("MultiInputPolicy", batched(pools["train"], 8), n_images=8, gan_reward=gan_reward, seed=2,
                         device="cpu")
    model.learn(32)
    model.action_noise.noises[0].noise_prev = np.array([0.3])  # mid-episode OU state (episodes just ended: zeros)
    path = tmp_path / "agent.zip"
    model.save(path)
    assert path.is_file() and companion_path(path).is_file()
    loaded = DeepExposure.load(path, device="cpu")
    observation, _ = ExposureRetouchVectorEnv(6, pool=pools["test"], size=SIZE, num_segments=SEGMENTS,
                                              reward="reference").reset(seed=5)
    np.testing.assert_array_equal(model.predict(observation, deterministic=True)[0],
                                  loaded.predict(observation, deterministic=True)[0])
    assert loaded.value == "network" and loaded.num_segments == SEGMENTS
    np.testing.assert_array_equal(loaded.action_noise.noises[0].noise_prev, [0.3])  # the OU state resumes
    # resuming restores the critic from the companion file
    loaded.set_env(batched(pools["train"], 8))
    loaded.learn(16, reset_num_timesteps=False)
    assert loaded.gan_reward.num_critic_updates == gan_reward.num_critic_updates + loaded.gan_reward.d_steps


def test_single_env_with_gan_reward_wrapper_shares_the_critic(tmp_path):
    shared = GANReward("embedded", p_steps=1, d_steps=2, batch_size=8, seed=0)
    env = GANRewardWrapper(gym.make("ExposureRetouch-v0", size=SIZE, num_segments=SEGMENTS), shared)
    model = DeepExposure("MultiInputPolicy", env, value="discriminator", n_images=4, seed=0, device="cpu")
    model.set_logger(configure(str(tmp_path), ["csv"]))
    model.learn(3 * 4 * SEGMENTS)  # three iterations
    assert model.gan_reward is shared and shared.update_every is None
    assert shared.num_critic_updates == 1 + 3 * 2  # p-step, then a d-step after every policy update
    assert shared.memory_size == 0
    header = (tmp_path / "progress.csv").read_text().splitlines()[0].split(",")
    assert {"train/actor_loss", "train/critic_score", "gan_reward/wasserstein", "rollout/ep_rew_mean"} <= set(header)


def test_env_id_builds_the_batched_env():
    model = DeepExposure("MultiInputPolicy", "ExposureRetouch-v0", n_images=3, device="cpu", p_steps=0)
    assert model.n_envs == 3 and isinstance(model.env.unwrapped, SB3VecEnv)
    assert isinstance(model.env.unwrapped.env, ExposureRetouchVectorEnv)


class DiscreteExposure(gym.ActionWrapper):
    def __init__(self, env: gym.Env):
        super().__init__(env)
        self.action_space = gym.spaces.Discrete(3)

    def action(self, action: int) -> np.ndarray:
        return np.array([action - 1.0], np.float32)


@pytest.mark.parametrize("make_env, kwargs, message", [
    (lambda: gym.make("CartPole-v1"), {}, "Dict image observation"),
    (lambda: DiscreteExposure(gym.make("ExposureRetouch-v0", size=SIZE)), {}, "Box action of shape"),
    (lambda: gym.make("ExposureRetouch-v0", size=SIZE), {"value": "q-function"}, "unknown value 'q-function'"),
    (lambda: gym.make("ExposureRetouch-v0", size=SIZE), {"n_images": 0}, "n_images must be an integer >= 1"),
    (lambda: gym.make("ExposureRetouch-v0", size=SIZE), {"value_init": "zeros"}, "unknown value_init 'zeros'"),
])
def test_bad_input_fails_at_construction(make_env, kwargs, message):
    with pytest.raises(ValueError, match=message):
        DeepExposure("MultiInputPolicy", make_env(), device="cpu", **kwargs)
