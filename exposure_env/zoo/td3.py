"""RL Zoo hyperparameters: TD3 on ``ExposureRetouch-v0`` (``--conf-file exposure_env.zoo.td3``)."""

from exposure_env.zoo import OFF_POLICY

hyperparams = {
    "ExposureRetouch-v0": {
        **OFF_POLICY,
        "learning_rate": 1e-3,
        "noise_type": "normal",
        "noise_std": 0.2,
    }
}
