"""DeepExposure (Alg. 1 and 2): learning on a tiny problem, gradients through the transition, save/load, bad input."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3.common.logger import configure

import exposure_env  # noqa: F401  (registers the env)
from agents import DeepExposure
from agents.policies import LOG_LUMA_FLOOR, exposure_statistics
from agents.transition import after_state, segment_mask, unroll
from exposure_env import GANReward, GANRewardWrapper
from exposure_env.data import EmbeddedPool
from exposure_env.data.pool import ImagePool, Sample
from exposure_env.ops.exposure import MID_GREY, auto_exposure_ev, expose
from exposure_env.rewards.adversarial import companion_path
from exposure_env.vector import ExposureRetouchVectorEnv, SB3VecEnv

SIZE, SEGMENTS = 32, 2


class MisexposedPool(ImagePool):
    """Clean embedded crops (targets and experts) shown ``evs`` stops off: a problem with a clear answer.

    The default errors span −2..+1.5 EV, so the right action differs from photo to photo: an
    actor that does not read its input cannot solve it.
    """

    paired = True
    has_experts = True

    def __init__(self, split: str, n: int, low: float = -2.0, high: float = 1.5, key: float | None = None):
        base = EmbeddedPool(split, n_items=n)
        self.targets = [base[i].target for i in range(n)]
        if key is not None:  # every target re-exposed so that auto-exposure would bring it to `key`, not mid-grey
            self.targets = [expose(t, np.log2(key / MID_GREY) + auto_exposure_ev(t)) for t in self.targets]
        self.evs = np.random.default_rng(0 if split == "train" else 1).uniform(low, high, n)

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> Sample:
        raw = expose(self.targets[index], self.evs[index]).astype(np.float32)
        return Sample(raw, self.targets[index], f"misexposed/{index}")

    def expert(self, rng: np.random.Generator) -> np.ndarray:
        return self.targets[int(rng.integers(len(self)))]


@pytest.fixture(scope="module")
def pools() -> dict[str, MisexposedPool]:
    return {"train": MisexposedPool("train", 32), "test": MisexposedPool("test", 16)}


def batched(pool: ImagePool, num_envs: int = 16, **kwargs) -> SB3VecEnv:
    return SB3VecEnv(ExposureRetouchVectorEnv(num_envs, pool=pool, size=SIZE, num_segments=SEGMENTS, **kwargs))


def held_out_episodes(policy, pool: ImagePool) -> tuple[float, np.ndarray]:
    """Mean return (reference reward: −RMSE) and ``(photos, T)`` chosen EVs of ``policy(observation)`` on ``pool``."""
    env = ExposureRetouchVectorEnv(len(pool), pool=pool, size=SIZE, num_segments=SEGMENTS, reward="reference")
    observation, _ = env.reset(options={"index": np.arange(len(pool))})
    total, evs = np.zeros(env.num_envs), []
    for _ in range(SEGMENTS):
        action = policy(observation)
        evs.append(np.clip(action[:, 0], -1, 1) * env.mdp.max_ev)
        observation, reward, *_ = env.step(action)
        total += reward
    return float(total.mean()), np.stack(evs, axis=1)


def held_out_return(model: DeepExposure, pool: ImagePool) -> float:
    return held_out_episodes(lambda observation: model.predict(observation, deterministic=True)[0], pool)[0]


def small_gan_reward(pool: ImagePool) -> GANReward:
    return GANReward(pool, p_steps=0, d_steps=1, batch_size=16, update_every=None, seed=0)


@pytest.fixture(scope="module")
def learned(pools):
    """``learned(value, objective, steps) -> (model, (return, EVs) before training)``: the paper's plain actor
    (no auto-exposure prior) trained on the tiny problem with the reference reward.

    Each setting is trained once per module: the tests that check different things of the same training share it.
    """
    trained = {}

    def train(value: str, objective: str, steps: int):
        if (value, objective, steps) not in trained:
            model = DeepExposure("MultiInputPolicy", batched(pools["train"], reward="reference"), value=value,
                                 objective=objective, n_images=16, batch_size=16, seed=0, device="cpu",
                                 policy_kwargs={"ev_prior": "none"})
            before = held_out_episodes(lambda observation: model.predict(observation, deterministic=True)[0],
                                       pools["test"])
            model.learn(steps)
            trained[value, objective, steps] = model, before
        return trained[value, objective, steps]

    return train


@pytest.mark.parametrize("value, objective, steps, margin", [
    # measured (held-out return before → after; random EVs −0.164): −0.113 → −0.054, −0.055, and −0.076 at 960 steps
    ("discriminator", "fused", 640, 0.04),  # the reference reward itself is the value of P_T
    ("discriminator", "local", 640, 0.04),  # ... of its stand-in S^l_{t+1}
    ("network", "fused", 960, 0.02),  # V_ω(P_T), fitted to the rewards from random weights: slower, noisier
])
def test_every_variant_learns_the_tiny_problem_and_beats_random(pools, learned, value, objective, steps, margin):
    # the held-out reference return rises by a clear margin, and ends above random EVs on the same photos
    # the paper's plain actor (no auto-exposure prior): the RL machinery must learn the whole mapping
    model, (before, _) = learned(value, objective, steps)
    after = held_out_return(model, pools["test"])
    rng = np.random.default_rng(0)
    random_return = np.mean([held_out_episodes(lambda o: rng.uniform(-1, 1, (len(o["seg"]), 1)).astype(np.float32),
                                               pools["test"])[0] for _ in range(4)])
    assert after > before + margin
    assert after > random_return + margin


def test_the_actor_reads_its_input(pools, learned):
    # photos shown −2..+1.5 EV off need different exposures: the chosen EVs must spread across photos and undo
    # each photo's error (a constant action has spread 0; the ideal one has the errors' spread, ~1 EV).
    # Measured: spread 0.00 → 0.85 EV, correlation with the errors 0.91
    # (the discriminator value and the fused objective, the defaults: the model of the first variant above)
    model, (_, evs_before) = learned("discriminator", "fused", 640)
    spread_before = evs_before.std(axis=0).mean()
    evs = held_out_episodes(lambda observation: model.predict(observation, deterministic=True)[0], pools["test"])[1]
    assert spread_before < 0.05
    assert evs.std(axis=0).mean() > 0.5
    assert np.corrcoef(evs[:, 0], -pools["test"].evs)[0, 1] > 0.8


def test_the_actor_starts_at_auto_exposure_and_learns_what_it_misses():
    # targets brighter than mid-grey (auto-exposure would bring them to 0.30, not 0.18): auto-exposure is then
    # log2(0.30/0.18) = 0.74 EV short on every photo. The default actor starts exactly at auto-exposure and must
    # learn that residual from the reward alone. Measured: −0.119 (auto-exposure) → −0.035 after 640 steps, the
    # learned EVs 0.61 above auto-exposure's on average
    train, test = MisexposedPool("train", 32, key=0.30), MisexposedPool("test", 16, key=0.30)
    model = DeepExposure("MultiInputPolicy", batched(train, reward="reference"), value="discriminator", n_images=16,
                         batch_size=16, seed=0, device="cpu")
    auto = lambda observation: np.stack([[np.clip(auto_exposure_ev(o / 255.0) / 3.0, -1, 1)]  # noqa: E731
                                         for o in observation["original"]]).astype(np.float32)
    auto_return, auto_evs = held_out_episodes(auto, test)
    start_return, start_evs = held_out_episodes(lambda o: model.predict(o, deterministic=True)[0], test)
    np.testing.assert_allclose(start_evs, auto_evs, atol=0.1)  # the untrained actor is auto-exposure (± its 1/10 init)
    model.learn(640)
    after_return, after_evs = held_out_episodes(lambda o: model.predict(o, deterministic=True)[0], test)
    assert after_return > auto_return + 0.04
    assert 0.3 < (after_evs - auto_evs).mean() < 1.2  # it learned to expose brighter than auto-exposure


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
                         gan_reward=gan_reward, seed=1, device="cpu", gradient_steps=1)
    model._setup_learn(16)
    rollout = model.collect_rollouts(model._init_callback(None))
    episodes, _ = model._whole_episodes(rollout)
    original = rollout.observations["original"][episodes[:, 0]].float() / 255.0
    seg = rollout.observations["seg"][episodes.reshape(-1)].float() / 255.0
    masks = segment_mask(seg, original.repeat_interleave(SEGMENTS, 0)).view(len(episodes), SEGMENTS, SIZE, SIZE)

    def critic_of_policy_results() -> float:  # D(P_T) of the deterministic policy's episodes
        with torch.no_grad():
            return float(gan_reward.critic(unroll(model.policy.actor, original, masks, model.max_ev)[0]).mean())

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
    model.learn(16)  # one roll-out (8 photos × T = 2 steps), its update and d-step: a trained actor and critic to save
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


def test_a_model_saved_before_the_ev_prior_loads_with_the_plain_actor(tmp_path, pools):
    import json
    import zipfile

    model = DeepExposure("MultiInputPolicy", batched(pools["train"], 4, reward="reference"), n_images=4, seed=0,
                         device="cpu", policy_kwargs={"ev_prior": "none"})
    model.save(tmp_path / "new.zip")
    assert DeepExposure.load(tmp_path / "new.zip").policy.actor.ev_prior == "none"  # recorded
    old = tmp_path / "old.zip"  # the same file as an earlier version wrote it: no ev_prior in policy_kwargs
    with zipfile.ZipFile(tmp_path / "new.zip") as source, zipfile.ZipFile(old, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "data":
                data = json.loads(content)
                data["policy_kwargs"] = {key: value for key, value in data["policy_kwargs"].items() if key != "ev_prior"}
                content = json.dumps(data).encode()
            target.writestr(item, content)
    loaded = DeepExposure.load(old, device="cpu")
    assert loaded.policy.actor.ev_prior == "none"
    observation, _ = ExposureRetouchVectorEnv(4, pool=pools["test"], size=SIZE, num_segments=SEGMENTS,
                                              reward="reference").reset(seed=5)
    np.testing.assert_array_equal(model.predict(observation, deterministic=True)[0],
                                  loaded.predict(observation, deterministic=True)[0])


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
    assert {"train/actor_loss", "train/value", "train/exposure_std", "gan_reward/wasserstein",
            "rollout/ep_rew_mean"} <= set(header)


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
    (lambda: gym.make("ExposureRetouch-v0", size=SIZE), {"objective": "q"}, "unknown objective 'q'"),
    (lambda: gym.make("ExposureRetouch-v0", size=SIZE), {"gradient_steps": 0}, "gradient_steps must be an integer"),
    (lambda: gym.make("ExposureRetouch-v0", size=SIZE), {"batch_size": 2.5}, "batch_size must be an integer"),
])
def test_bad_input_fails_at_construction(make_env, kwargs, message):
    with pytest.raises(ValueError, match=message):
        DeepExposure("MultiInputPolicy", make_env(), device="cpu", **kwargs)


def test_unrolled_episode_is_the_env_episode_and_differentiable(pools):
    # unroll() replays an episode as the env plays it: same S^l_T and (OpenCV vs torch twin) the same P_T
    env = gym.make("ExposureRetouch-v0", pool=pools["test"], size=SIZE, num_segments=SEGMENTS, reward="reference")
    evs = torch.tensor([0.4, -0.3])
    observation, info = env.reset(options={"index": 3})
    masks = []
    for step in range(SEGMENTS):
        masks.append(info["mask"])
        observation, _, _, _, info = env.step(evs[step : step + 1].numpy())
    original = torch.from_numpy(env.unwrapped._original).permute(2, 0, 1)[None]
    calls = iter(range(SEGMENTS))
    actor = lambda state: evs[next(calls)].view(1, 1).expand(len(state), 1)  # noqa: E731
    fused, local, actions = unroll(actor, original, torch.from_numpy(np.stack(masks))[None], env.unwrapped.mdp.max_ev)
    np.testing.assert_allclose(fused[0].permute(1, 2, 0).numpy(), info["fused"], atol=2e-3)
    np.testing.assert_allclose(local[0].permute(1, 2, 0).numpy(), observation["local"] / 255.0, atol=1 / 255 + 1e-6)
    np.testing.assert_array_equal(actions.numpy(), evs[None].numpy())
    # the gradient of the fused brightness reaches every action (finite differences agree)
    action = torch.tensor([0.2, 0.1], requires_grad=True)
    brightness = lambda a: unroll(lambda state, k=iter(range(SEGMENTS)): a[next(k)].view(1, 1), original,  # noqa: E731
                                  torch.from_numpy(np.stack(masks))[None], 3.0)[0].mean()
    (gradient,) = torch.autograd.grad(brightness(action), action)
    for step in range(SEGMENTS):
        bumped = action.detach().clone()
        bumped[step] += 1e-3
        finite_difference = (brightness(bumped) - brightness(action.detach())) / 1e-3
        assert gradient[step] > 0
        np.testing.assert_allclose(gradient[step].item(), finite_difference.item(), rtol=0.05)


def test_exposure_statistics_move_with_exposure():
    # one stop brighter in linear light raises the mean log2 luminance by exactly one stop, in the photo and segment
    image = torch.rand(2, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(0)) * 0.3 + 0.05
    seg = image.clone()
    seg[:, :, : SIZE // 2] = 0.0  # the segment is the lower half
    brighter = torch.from_numpy(expose(image.permute(0, 2, 3, 1).numpy(), 1.0)).permute(0, 3, 1, 2)
    before = exposure_statistics(torch.cat([seg, image, image], dim=1))
    after = exposure_statistics(torch.cat([seg, image, brighter], dim=1))  # only S^l_t changed
    scale = -LOG_LUMA_FLOOR
    torch.testing.assert_close(before[:, 0], torch.full((2,), 0.5))  # the segment's area
    torch.testing.assert_close(after[:, 1:7], before[:, 1:7])  # S0's statistics stay
    torch.testing.assert_close((after[:, 7] - before[:, 7]) * scale, torch.ones(2), atol=1e-3, rtol=0)
    torch.testing.assert_close((after[:, 9] - before[:, 9]) * scale, torch.ones(2), atol=1e-3, rtol=0)
    for histogram in (after[:, -32:-16], after[:, -16:]):  # S^l's histograms (photo, segment) are distributions
        torch.testing.assert_close(histogram.sum(dim=1), torch.ones(2))


def test_d_steps_zero_values_with_the_envs_critic_kept_fixed(pools):
    venv = batched(pools["train"], 8)  # the default reward: the packaged critic
    env_critic = venv.env.score_fn.critic
    before = {name: tensor.clone() for name, tensor in env_critic.state_dict().items()}
    model = DeepExposure("MultiInputPolicy", venv, value="discriminator", n_images=8, d_steps=0, seed=0, device="cpu")
    model.learn(3 * 8 * SEGMENTS)
    assert model.gan_reward is None and model.critic is env_critic and venv.env.score_fn.critic is env_critic
    assert all(torch.equal(before[name], tensor) for name, tensor in env_critic.state_dict().items())
    with pytest.raises(ValueError, match="no discriminator"):  # nothing to value with
        DeepExposure("MultiInputPolicy", batched(pools["train"], 8, reward=lambda image, info: 0.0),
                     value="discriminator", n_images=8, d_steps=0, device="cpu").learn(8)
