"""RL Zoo hyperparameter files for ``ExposureRetouch-v0`` with the GAN reward.

One module per algorithm (ppo, a2c, sac, td3, ddpg), each with the ``hyperparams`` dict RL Zoo reads from a Python package::

    python -m rl_zoo3.train --algo ppo --env ExposureRetouch-v0 --gym-packages exposure_env \\
        --conf-file exposure_env.zoo.ppo

Each sub-env is wrapped in :class:`~exposure_env.wrappers.GANRewardWrapper` and
:class:`~exposure_env.callbacks.GANRewardCallback` retrains the critic between roll-outs.
``n_envs`` is 1 because RL Zoo builds every sub-env's wrapper separately, and one critic must
be shared; for several envs, build them in Python with one ``GANReward`` (``docs/environment.md``,
the GAN reward wrapper).
"""

#: The wrapper and callback entries every algorithm's file uses.
GAN_REWARD = {
    "env_wrapper": [{"exposure_env.wrappers.GANRewardWrapper": {"p_steps": 30, "d_steps": 5}}],
    "callback": "exposure_env.callbacks.GANRewardCallback",
    "n_envs": 1,
}

#: What TD3, SAC and DDPG share.
OFF_POLICY = {
    **GAN_REWARD,
    "policy": "MultiInputPolicy",
    "n_timesteps": 20_000,
    "learning_starts": 512,
    # every transition holds its observation and the next (SB3's DictReplayBuffer cannot share them), each a Dict of
    # three 64×64×3 uint8 images: 2 × 36,864 B = 73,728 B, so SB3's default 1e6 transitions would take 74 GB; 8192
    # (the benchmark's whole run) takes 0.60 GB
    # (tests/test_benchmark.py holds it under 1 GiB)
    "buffer_size": 8192,
    "batch_size": 64,
    # a roll-out of 256 steps = 64 episodes, then 64 gradient steps and one critic d-step: the same
    # critic schedule as PPO's; train_freq 4 would run the d-step after every episode (5 critic updates each)
    "train_freq": 256,
    "gradient_steps": 64,
    "gamma": 0.99,
}
