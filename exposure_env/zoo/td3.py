"""RL Zoo hyperparameters: TD3 on ``ExposureRetouch-v0`` (``--conf-file exposure_env.zoo.td3``)."""

from exposure_env.zoo import OFF_POLICY

hyperparams = {
    "ExposureRetouch-v0": {
        **OFF_POLICY,
        # the second tuning sweep's best, Adam's ε searched (docs/results/benchmark/tuning/td3-adam-eps:
        # python -m train.experiments.sweep --benchmark --algo td3, 6 trials x 2048 env steps, seed 0, Optuna TPE +
        # ASHA; held-out PSNR on 32 sice dev thumbnails): 14.94 dB, the untrained policy's, against 7.93 dB for the
        # first sweep's values (learning rate 6.47e-4, batch 32, 128 gradient steps, σ 0.223, Adam's ε 1e-8), which
        # collapse to +5 EV for every segment by 1024 env steps. Adam's ε 1 makes an actor step about proportional to
        # its gradient instead of following a flat critic's sign into the tanh's saturation; it stops the collapse,
        # it does not make TD3 learn within 2048 env steps
        "learning_rate": 3.55e-4,
        "batch_size": 128,
        "gradient_steps": 32,
        "noise_type": "normal",
        "noise_std": 0.385,
        "policy_kwargs": {"optimizer_kwargs": {"eps": 1.0}},
    }
}
