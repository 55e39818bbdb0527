"""RL Zoo hyperparameters: DDPG on ``ExposureRetouch-v0`` (``--conf-file exposure_env.zoo.ddpg``)."""

from exposure_env.zoo import OFF_POLICY

hyperparams = {
    "ExposureRetouch-v0": {
        **OFF_POLICY,
        # the second tuning sweep's best, Adam's ε searched (docs/results/benchmark/tuning/ddpg-adam-eps:
        # python -m train.experiments.sweep --benchmark --algo ddpg, 6 trials x 2048 env steps, seed 0, Optuna TPE +
        # ASHA; held-out PSNR on 32 sice dev thumbnails): 14.94 dB, the untrained policy's, against 7.93 dB for the
        # hand-set values before (learning rate 1e-3, batch 64, 64 gradient steps, OU σ 0.2, Adam's ε 1e-8), which
        # collapse to +5 EV for every segment. Adam's ε 1: see exposure_env/zoo/td3.py
        "learning_rate": 1.27e-4,
        "batch_size": 128,
        "gradient_steps": 32,
        "noise_type": "ornstein-uhlenbeck",
        "noise_std": 0.401,
        "policy_kwargs": {"optimizer_kwargs": {"eps": 1.0}},
    }
}
