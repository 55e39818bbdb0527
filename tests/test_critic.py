"""The critic: network shapes, WGAN-GP trainer (M1/M2), save/resume."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from exposure_env.data import EmbeddedPool, FolderPool
from exposure_env.rewards import ConvTrunk, CriticTrainer, Discriminator, make_score_fn
from exposure_env.rewards.functions import DiscriminatorScore


def small_trainer(seed: int = 0) -> CriticTrainer:
    torch.manual_seed(seed)
    return CriticTrainer(EmbeddedPool("train", n_items=32), Discriminator(widths=(8, 16)), batch_size=4, learning_rate=1e-3,
                         image_size=32, seed=seed)


def dark_results(n: int = 6) -> np.ndarray:
    return np.stack([EmbeddedPool("train", n_items=32)[i].target * 0.2 for i in range(n)])


def test_networks_shapes():
    assert ConvTrunk(9, 1)(torch.rand(2, 9, 64, 64)).shape == (2, 1)
    assert Discriminator()(torch.rand(3, 3, 64, 64)).shape == (3,)
    assert Discriminator()(torch.rand(1, 3, 96, 80)).shape == (1,)  # any size: global pooling


def test_update_learns_trains_on_m1_and_empties_it():
    trainer = small_trainer()
    before = copy.deepcopy(trainer.critic.state_dict())
    fakes = dark_results()
    gaps = []
    for _ in range(15):
        trainer.add_results(fakes)
        assert len(trainer.memory) == len(fakes)
        gaps.append(trainer.update(2)["wasserstein"])
        assert trainer.memory == []
    assert trainer.num_updates == 30
    assert any(not torch.equal(before[k], v) for k, v in trainer.critic.state_dict().items())
    experts = trainer.expert_batch(8)
    assert trainer.score(experts).mean() > trainer.score(dark_results(8)).mean()  # learned to tell them apart
    assert np.mean(gaps[-3:]) > np.mean(gaps[:3])


def test_resume_from_state_dict_is_bitwise():
    trainer = small_trainer()
    trainer.add_results(dark_results())
    trainer.update(2)
    trainer.add_results(dark_results(3))  # M1 is part of the state
    state = copy.deepcopy(trainer.state_dict())

    resumed = small_trainer(seed=99)
    resumed.load_state_dict(state)
    for run in (trainer, resumed):
        run.update(3)
    for key, value in trainer.critic.state_dict().items():
        assert torch.equal(value, resumed.critic.state_dict()[key])
    assert trainer.last_losses == resumed.last_losses


def test_score_function_reads_the_live_critic():
    trainer = small_trainer()
    score = make_score_fn(trainer.critic)
    assert isinstance(score, DiscriminatorScore)
    image = dark_results(1)[0]
    before = score(image, {})
    trainer.add_results(dark_results())
    trainer.update(3)
    assert score(image, {}) != before  # the env's reward follows the trainer's updates


def test_bad_arguments(tmp_path):
    (tmp_path / "raw").mkdir()
    from PIL import Image

    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "raw" / "a.png")
    with pytest.raises(ValueError, match="no expert photos"):
        CriticTrainer(FolderPool(tmp_path / "raw"))
    trainer = small_trainer()
    with pytest.raises(RuntimeError, match="M1 is empty"):
        trainer.update(1)
    trainer.add_results(dark_results(2))
    with pytest.raises(ValueError, match="n_steps"):
        trainer.update(0)
