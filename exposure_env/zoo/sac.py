"""RL Zoo hyperparameters: SAC on ``ExposureRetouch-v0`` (``--conf-file exposure_env.zoo.sac``)."""

from exposure_env.zoo import OFF_POLICY

hyperparams = {
    "ExposureRetouch-v0": {
        **OFF_POLICY,
        "learning_rate": 3e-4,
    }
}
