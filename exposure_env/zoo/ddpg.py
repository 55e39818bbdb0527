"""RL Zoo hyperparameters: DDPG on ``ExposureRetouch-v0`` (``--conf-file exposure_env.zoo.ddpg``)."""

from exposure_env.zoo import OFF_POLICY

hyperparams = {
    "ExposureRetouch-v0": {
        **OFF_POLICY,
        # hand-set; the tuning sweep (docs/results/benchmark/tuning: python -m train.experiments.sweep --benchmark
        # --algo ddpg, 4 trials x 2048 env steps, seed 0, Optuna TPE + ASHA) found nothing better: every trial's policy
        # fell from the untrained 14.94 dB to one saturated action (7.93 or 6.84 dB held-out on 32 sice dev thumbnails,
        # EV spread 0) by 1024 env steps, these values' among them
        "learning_rate": 1e-3,
        "noise_type": "ornstein-uhlenbeck",
        "noise_std": 0.2,
    }
}
