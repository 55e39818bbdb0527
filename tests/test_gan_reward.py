"""The GAN reward: a critic retrained between roll-outs (Alg. 1–2) under any agent."""

from __future__ import annotations

import copy
import csv
import pickle

import cv2
import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3 import PPO, TD3
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.logger import configure

import exposure_env  # noqa: F401  (registers the env)
from exposure_env import ExposureRetouchVectorEnv, GANReward, GANRewardVectorWrapper, GANRewardWrapper, SB3VecEnv
from exposure_env.callbacks import GANRewardCallback
from exposure_env.data import EmbeddedPool, FolderPool
from exposure_env.rewards import Discriminator, DiscriminatorScore, companion_path
from exposure_env.rewards.functions import RunningMeanStd

SIZE = 40  # SB3's NatureCNN needs at least 36 pixels
ENV_KWARGS = {"size": SIZE, "num_segments": 2}


@pytest.fixture(scope="module")
def pool() -> EmbeddedPool:
    return EmbeddedPool("train", n_items=24, crop_size=48)


def small_reward(pool, seed: int = 0, **kwargs) -> GANReward:
    torch.manual_seed(seed)
    settings = dict(critic=Discriminator(widths=(8, 16)), p_steps=2, d_steps=2, batch_size=8, learning_rate=1e-3,
                    seed=seed)
    settings.update(kwargs)
    return GANReward(pool, **settings)


def make_env(pool, gan_reward: GANReward, **kwargs) -> GANRewardWrapper:
    return GANRewardWrapper(gym.make("ExposureRetouch-v0", pool=pool, **ENV_KWARGS, **kwargs), gan_reward)


def critic_copy(gan_reward: GANReward) -> dict[str, torch.Tensor]:
    return copy.deepcopy(gan_reward.critic.state_dict())


def same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return all(torch.equal(a[key], b[key]) for key in a)


class RecordRollouts(BaseCallback):
    """After the GAN callback: what the critic and M1 look like at each roll-out end."""

    def __init__(self, gan_reward: GANReward):
        super().__init__()
        self.gan_reward = gan_reward
        self.snapshots: list[tuple[int, int, dict]] = []

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        self.snapshots.append((self.gan_reward.memory_size, self.gan_reward.episodes, critic_copy(self.gan_reward)))


def check_critic_moves_between_rollouts(recorder: RecordRollouts) -> None:
    assert len(recorder.snapshots) >= 2
    previous_episodes, previous = 0, None
    for memory_size, episodes, weights in recorder.snapshots:
        assert memory_size == 0  # M1 is emptied by every update
        if previous is not None and episodes > previous_episodes:  # new results came in: the critic learned
            assert not same_weights(previous, weights)
        previous_episodes, previous = episodes, weights


@pytest.mark.parametrize("algo", ["ppo", "td3"])
def test_stock_sb3_trains_and_the_critic_updates_between_rollouts(pool, algo, tmp_path):
    gan_reward = small_reward(pool)
    envs = make_vec_env(lambda: make_env(pool, gan_reward), n_envs=2, seed=0)
    if algo == "ppo":
        model = PPO("MultiInputPolicy", envs, n_steps=8, batch_size=16, n_epochs=1, seed=0, device="cpu")
    else:
        model = TD3("MultiInputPolicy", envs, learning_starts=4, buffer_size=64, batch_size=8, train_freq=2,
                    policy_kwargs={"net_arch": [16]}, seed=0, device="cpu")
    model.set_logger(configure(str(tmp_path), ["csv"]))
    recorder = RecordRollouts(gan_reward)
    pretrained_weights = None

    class AfterPretraining(BaseCallback):
        def _on_training_start(self) -> None:
            nonlocal pretrained_weights
            pretrained_weights = critic_copy(gan_reward)

        def _on_step(self) -> bool:
            return True

    model.learn(32, callback=CallbackList([AfterPretraining(), GANRewardCallback(), recorder]))
    assert model.num_timesteps == 32
    assert gan_reward.update_every is None  # the callback drives the schedule
    assert gan_reward.episodes == 32 // ENV_KWARGS["num_segments"]
    assert gan_reward.num_critic_updates > gan_reward.p_steps
    assert not same_weights(pretrained_weights, critic_copy(gan_reward))
    check_critic_moves_between_rollouts(recorder)
    if algo == "ppo":  # the critic's numbers reach SB3's logger (TensorBoard with tensorboard_log=)
        with open(tmp_path / "progress.csv") as handle:
            rows = list(csv.DictReader(handle))
        updates = [int(row["gan_reward/critic_updates"]) for row in rows]
        assert len(rows) >= 2 and updates == sorted(updates) and updates[-1] > updates[0]
        assert all(row["gan_reward/wasserstein"] for row in rows)


def test_env_scores_with_the_current_critic_and_fills_m1(pool):
    gan_reward = small_reward(pool, update_every=3)
    env = make_env(pool, gan_reward)
    env.reset(seed=0)
    assert gan_reward.pretrained and gan_reward.num_critic_updates == gan_reward.p_steps
    for episode in range(3):
        env.reset(seed=episode)
        for _ in range(2):
            _, reward, terminated, _, info = env.step(np.array([0.3], np.float32))
        assert terminated
        expected = DiscriminatorScore(gan_reward.critic)(info["fused"])  # the critic as it was at the last step
        if episode < 2:
            assert reward == pytest.approx(expected, rel=1e-6)
            assert gan_reward.memory_size == episode + 1
    assert gan_reward.memory_size == 0 and gan_reward.num_critic_updates == gan_reward.p_steps + gan_reward.d_steps


def test_normalised_reward_is_standardised():
    critic = Discriminator(widths=(8, 16))
    with torch.no_grad():  # a critic whose scale has drifted far from 1
        critic.trunk.head.weight.mul_(1000.0)
        critic.trunk.head.bias.fill_(40.0)
    score = DiscriminatorScore(critic, RunningMeanStd(shape=()))
    rng = np.random.default_rng(0)
    images = (rng.uniform(0, 1, (64, 1, 1, 1)) * rng.uniform(0, 1, (64, 24, 24, 3))).astype(np.float32)
    raw = DiscriminatorScore(critic).batch(images)
    normalised = score.batch(images)
    assert raw.std() > 3 and abs(raw.mean()) > 20
    assert abs(normalised.mean()) < 0.05 and abs(normalised.std() - 1.0) < 0.05
    assert np.corrcoef(raw, normalised)[0, 1] > 0.999  # same order, new scale


def test_resumed_run_continues_with_the_same_critic_bitwise(pool, tmp_path):
    actions = np.random.default_rng(0).uniform(-1, 1, (10, 2, 1)).astype(np.float32)

    def run(gan_reward: GANReward, episodes: range) -> None:
        env = make_env(pool, gan_reward)
        for episode in episodes:
            env.reset(seed=episode)
            for action in actions[episode]:
                env.step(action)

    straight = small_reward(pool, update_every=3, normalize=True)
    run(straight, range(10))

    first = small_reward(pool, update_every=3, normalize=True)
    run(first, range(4))  # stops with one result waiting in M1
    path = first.save(companion_path(tmp_path / "model.zip"))
    assert path.name == "model.gan_reward.pt"
    resumed = small_reward(pool, seed=7, update_every=3, normalize=True)  # different seed: the file must restore all
    resumed.restore(path)
    assert resumed.memory_size == 1
    run(resumed, range(4, 10))

    assert same_weights(straight.critic.state_dict(), resumed.critic.state_dict())
    assert straight.last_losses == resumed.last_losses
    assert straight.num_critic_updates == resumed.num_critic_updates
    assert straight.running_stats.mean == resumed.running_stats.mean
    for a, b in zip(straight.trainer.optimizer.state_dict()["state"].values(),
                    resumed.trainer.optimizer.state_dict()["state"].values()):
        assert torch.equal(a["exp_avg"], b["exp_avg"])


def test_one_critic_shared_by_vector_sub_envs(pool):
    gan_reward = small_reward(pool)
    sync = gym.make_vec("ExposureRetouch-v0", num_envs=3, vectorization_mode="sync", pool=pool, **ENV_KWARGS,
                        wrappers=[lambda env: GANRewardWrapper(env, gan_reward)])
    assert all(env.unwrapped.score_fn.critic is gan_reward.critic for env in sync.envs)
    sync.reset(seed=0)
    for _ in range(2):
        sync.step(np.zeros((3, 1), np.float32))
    assert gan_reward.episodes == 3

    batched = GANRewardVectorWrapper(ExposureRetouchVectorEnv(4, pool=pool, **ENV_KWARGS), gan_reward)
    assert batched.unwrapped.score_fn.critic is gan_reward.critic
    sb3 = SB3VecEnv(batched)
    assert sb3.get_attr("gan_reward") == [gan_reward] * 4
    sb3.reset()
    for _ in range(2):
        sb3.step(np.zeros((4, 1), np.float32))
    assert gan_reward.episodes == 7

    with pytest.raises(TypeError, match="sub-process"):  # AsyncVectorEnv / SubprocVecEnv would copy it
        pickle.dumps(gan_reward)


def test_batched_env_with_tensor_observations_feeds_m1(pool):
    gan_reward = small_reward(pool, update_every=None)
    env = GANRewardVectorWrapper(
        ExposureRetouchVectorEnv(3, pool=pool, backend="torch", tensor_observations=True, **ENV_KWARGS), gan_reward)
    env.reset(seed=0)
    for _ in range(2):
        _, rewards, terminated, _, infos = env.step(torch.zeros(3, 1))
    assert terminated.all() and gan_reward.memory_size == 3
    expected = DiscriminatorScore(gan_reward.critic).tensor(infos["fused"].permute(0, 3, 1, 2))
    torch.testing.assert_close(rewards.float(), expected, atol=1e-4, rtol=0)


def test_critic_still_ranks_held_out_experts_above_raw_after_adversarial_training(pool):
    """From scratch: p-step then d-steps against a random agent; the held-out Wasserstein estimate stays positive."""
    gan_reward = small_reward(pool, p_steps=20, d_steps=5, update_every=8, batch_size=16, critic="scratch",
                              learning_rate=3e-4)
    env = make_env(pool, gan_reward)
    env.reset(seed=0)
    env.action_space.seed(0)
    for episode in range(48):
        env.reset(seed=episode)
        for _ in range(2):
            env.step(env.action_space.sample())
    assert gan_reward.num_critic_updates == 20 + 6 * 5
    held_out = EmbeddedPool("test", n_items=48, crop_size=48)
    samples = [held_out[i] for i in range(len(held_out))]
    score = DiscriminatorScore(gan_reward.critic)
    experts = score.batch(np.stack([sample.target for sample in samples]))
    raws = score.batch(np.stack([sample.raw for sample in samples]))
    assert experts.mean() - raws.mean() > 0.3 * raws.std()
    assert (experts > raws).mean() > 0.7


@pytest.mark.parametrize(
    "kwargs, message",
    [({"d_steps": 0}, "d_steps must be an integer >= 1"), ({"p_steps": -1}, "p_steps must be an integer >= 0"),
     ({"update_every": 0}, "update_every"), ({"critic": "imagenet"}, "unknown critic")],
)
def test_bad_schedule_arguments(pool, kwargs, message):
    with pytest.raises(ValueError, match=message):
        GANReward(pool, **kwargs)


def test_expert_pool_without_readable_images(tmp_path):
    raw_dir, expert_dir = tmp_path / "raw", tmp_path / "expert"
    raw_dir.mkdir(), expert_dir.mkdir()
    cv2.imwrite(str(raw_dir / "a.png"), np.full((20, 20, 3), 128, np.uint8))
    with pytest.raises(ValueError, match="no expert photos"):
        GANReward(FolderPool(raw_dir))
    good = cv2.imencode(".png", np.full((20, 20, 3), 128, np.uint8))[1].tobytes()
    (expert_dir / "b.png").write_bytes(good[: len(good) // 2])  # a valid header, truncated pixel data
    with pytest.raises(ValueError, match="expert: no readable image"):
        GANReward(FolderPool(raw_dir, expert_dir, paired=False))


def test_non_image_env_is_refused():
    with pytest.raises(TypeError, match="observation space"):
        GANRewardWrapper(gym.make("CartPole-v1"))
    with pytest.raises(TypeError, match="SyncVectorEnv"):
        GANRewardVectorWrapper(gym.make_vec("CartPole-v1", num_envs=2, vectorization_mode="sync"))
    with pytest.raises(TypeError, match="not both"):
        GANRewardWrapper(gym.make("ExposureRetouch-v0"), GANReward("embedded", p_steps=0), d_steps=3)


def test_callback_without_a_wrapper_is_a_clear_error(pool):
    envs = make_vec_env(lambda: gym.make("ExposureRetouch-v0", pool=pool, **ENV_KWARGS), n_envs=1)
    model = PPO("MultiInputPolicy", envs, n_steps=4, batch_size=4, device="cpu")
    with pytest.raises(ValueError, match="no GANRewardWrapper"):
        model.learn(4, callback=GANRewardCallback())


def test_rl_zoo_trains_with_the_shipped_hyperparameters(tmp_path):
    """``python -m rl_zoo3.train ... --conf-file exposure_env.zoo.ppo`` runs (tiny overrides for time)."""
    import subprocess
    import sys

    wrapper = "[{'exposure_env.wrappers.GANRewardWrapper': {'p_steps': 1, 'batch_size': 4}}]"
    command = [sys.executable, "-m", "rl_zoo3.train", "--algo", "ppo", "--env", "ExposureRetouch-v0",
               "--gym-packages", "exposure_env", "--conf-file", "exposure_env.zoo.ppo", "-n", "32", "--seed", "0",
               "-f", str(tmp_path), "--env-kwargs", f"size:{SIZE}", "num_segments:2",
               "--hyperparams", "n_steps:16", "batch_size:16", "n_epochs:1", f"env_wrapper:{wrapper}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| gan_reward/" in result.stdout and "critic_updates" in result.stdout  # the callback from the hyperparameter file ran
    assert list(tmp_path.glob("ppo/ExposureRetouch-v0_1/ExposureRetouch-v0.zip"))
