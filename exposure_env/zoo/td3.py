"""RL Zoo hyperparameters: TD3 on ``ExposureRetouch-v0`` (``--conf-file exposure_env.zoo.td3``)."""

from exposure_env.zoo import GAN_REWARD

hyperparams = {
    "ExposureRetouch-v0": {
        **GAN_REWARD,
        "policy": "MultiInputPolicy",
        "n_timesteps": 20_000,
        "learning_starts": 256,
        "buffer_size": 20_000,  # Dict of three 64×64×3 uint8 images: about 0.7 GB with next observations
        "batch_size": 64,
        "train_freq": 4,  # one episode per roll-out, so the critic updates once per episode
        "gradient_steps": 4,
        "gamma": 0.99,
        "learning_rate": 1e-3,
        "noise_type": "normal",
        "noise_std": 0.2,
    }
}
