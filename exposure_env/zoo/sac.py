"""RL Zoo hyperparameters: SAC on ``ExposureRetouch-v0`` (``--conf-file exposure_env.zoo.sac``)."""

from exposure_env.zoo import OFF_POLICY

hyperparams = {
    "ExposureRetouch-v0": {
        **OFF_POLICY,
        # the tuning sweep's best (docs/results/benchmark/tuning: python -m train.experiments.sweep --benchmark --algo
        # sac, 6 trials x 2048 env steps, seed 0, Optuna TPE + ASHA; held-out PSNR on 32 sice dev thumbnails): 14.88 dB
        # against 14.21 dB for the previous values (3e-4, batch 64, 64 gradient steps per 256 env steps), the
        # untrained policy 14.42 dB. One gradient step per env step: 4 times the previous updates' work
        "learning_rate": 3.68e-4,
        "batch_size": 32,
        "train_freq": 128,
        "gradient_steps": 128,
    }
}
