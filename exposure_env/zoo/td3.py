"""RL Zoo hyperparameters: TD3 on ``ExposureRetouch-v0`` (``--conf-file exposure_env.zoo.td3``)."""

from exposure_env.zoo import OFF_POLICY

hyperparams = {
    "ExposureRetouch-v0": {
        **OFF_POLICY,
        # the tuning sweep's best (docs/results/benchmark/tuning: python -m train.experiments.sweep --benchmark --algo
        # td3, 4 trials x 2048 env steps, seed 0, Optuna TPE + ASHA; held-out PSNR on 32 sice dev thumbnails): 7.93 dB
        # against 6.84 dB for the previous values (1e-3, batch 64, 64 gradient steps, σ 0.2). It does not cure TD3's
        # collapse: every trial's policy fell from the untrained 14.94 dB to one saturated action (EV spread 0) by
        # 1024 env steps; these collapse to a less harmful one
        "learning_rate": 6.47e-4,
        "batch_size": 32,
        "gradient_steps": 128,
        "noise_type": "normal",
        "noise_std": 0.223,
    }
}
