"""The discriminator, its WGAN-GP trainer and the reward (score) functions."""

from exposure_env.rewards.adversarial import GANReward, companion_path, random_policy_results
from exposure_env.rewards.critic_trainer import CriticTrainer, wgan_gp_loss
from exposure_env.rewards.functions import (
    PACKAGED_CRITICS,
    REWARD_SOURCES,
    DiscriminatorScore,
    load_critic,
    load_packaged_critic,
    make_score_fn,
    reference_score,
)
from exposure_env.rewards.networks import ConvTrunk, CriticEnsemble, Discriminator

__all__ = [
    "PACKAGED_CRITICS",
    "REWARD_SOURCES",
    "ConvTrunk",
    "CriticEnsemble",
    "CriticTrainer",
    "Discriminator",
    "DiscriminatorScore",
    "GANReward",
    "companion_path",
    "random_policy_results",
    "load_critic",
    "load_packaged_critic",
    "make_score_fn",
    "reference_score",
    "wgan_gp_loss",
]
