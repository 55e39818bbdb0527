"""RL Zoo hyperparameter files for ``ExposureRetouch-v0`` with the GAN reward.

One module per algorithm, each with the ``hyperparams`` dict RL Zoo reads from a Python package::

    python -m rl_zoo3.train --algo ppo --env ExposureRetouch-v0 --gym-packages exposure_env \\
        --conf-file exposure_env.zoo.ppo

Each sub-env is wrapped in :class:`~exposure_env.wrappers.GANRewardWrapper` and
:class:`~exposure_env.callbacks.GANRewardCallback` retrains the critic between roll-outs.
``n_envs`` is 1 because RL Zoo builds every sub-env's wrapper separately, and one critic must
be shared; for several envs, build them in Python with one ``GANReward`` (see the README).
"""

#: The wrapper and callback entries every algorithm's file uses.
GAN_REWARD = {
    "env_wrapper": [{"exposure_env.wrappers.GANRewardWrapper": {"p_steps": 30, "d_steps": 5}}],
    "callback": "exposure_env.callbacks.GANRewardCallback",
    "n_envs": 1,
}
