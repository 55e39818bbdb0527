"""RL Zoo hyperparameters: A2C on ``ExposureRetouch-v0`` (``--conf-file exposure_env.zoo.a2c``)."""

from exposure_env.zoo import GAN_REWARD

hyperparams = {
    "ExposureRetouch-v0": {
        **GAN_REWARD,
        # hand-set; the tuning sweep (docs/results/benchmark/tuning: python -m train.experiments.sweep --benchmark
        # --algo a2c, 6 trials x 2048 env steps, seed 0, Optuna TPE + ASHA) found nothing better: its best,
        # learning_rate 1.17e-3, n_steps 128, ent_coef 0.01, ended level with these (11.37 dB held-out on 32 sice dev
        # thumbnails each, under the untrained policy's 14.58 dB)
        "policy": "MultiInputPolicy",
        "n_timesteps": 20_000,
        # 8 episodes of T = 4 steps per update: 256 updates in 8192 env steps (SB3's default n_steps=5 per env
        # would cut an episode between updates)
        "n_steps": 32,
        "gamma": 0.99,
        "learning_rate": 7e-4,
        "ent_coef": 0.0,
    }
}
