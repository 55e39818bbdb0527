"""RL Zoo hyperparameters: PPO on ``ExposureRetouch-v0`` (``--conf-file exposure_env.zoo.ppo``)."""

from exposure_env.zoo import GAN_REWARD

hyperparams = {
    "ExposureRetouch-v0": {
        **GAN_REWARD,
        "policy": "MultiInputPolicy",
        "n_timesteps": 20_000,
        "n_steps": 256,  # 64 episodes of T = 4 steps per roll-out: one critic batch of M1
        "batch_size": 64,
        "n_epochs": 4,
        "gamma": 0.99,
        "learning_rate": 3e-4,
        "ent_coef": 0.0,
    }
}
