"""Why TD3 (and DDPG: ``--algo ddpg``) collapses to one saturated action on ``ExposureRetouch-v0``: its actor's mean
action and its critic's Q-value over the action range, after each update, in the benchmark's setting (issue 31).

TD3 is built by ``exposure-train``'s own code (``train.train.build`` and ``new_model``: the zoo's values, the fixed
``ensemble`` critic as the reward, the raw frames of ``sice_sequences/train``) and trained in chunks of env steps;
after each chunk the script prints, on the first 64 observations of the replay buffer, the deterministic actor's
mean and standard deviation (the action is the EV as a fraction of ``max_ev``) and the critic's mean Q₁ at 9 actions
from −1 to 1. ``--normalize-reward`` trains under SB3's ``VecNormalize`` (rewards scaled by the running standard
deviation of the discounted return; observations left alone).

    python docs/results/benchmark/tuning/collapse.py [--normalize-reward] [exposure-train arguments ...]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from train import train as exposure_train

#: the development data, beside the repository
S = "../shared/data/sice_sequences"


def probe(model) -> str:
    """The actor's mean ± std action and the critic's mean Q₁ at 9 actions, on the buffer's first 64 observations."""
    count = min(model.replay_buffer.pos, 64)
    observations = {key: value[:count, 0] for key, value in model.replay_buffer.observations.items()}
    with torch.no_grad():
        tensors = model.policy.obs_to_tensor(observations)[0]
        actions = model.actor(tensors)
        q = [float(model.critic.q1_forward(tensors, torch.full((count, 1), a)).mean()) for a in np.linspace(-1, 1, 9)]
    values = " ".join(f"{v:.2f}" for v in q)
    return f"action {float(actions.mean()):+.3f} ± {float(actions.std()):.3f} | Q₁ at −1…+1: {values}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--normalize-reward", action="store_true", help="train under VecNormalize(norm_reward=True)")
    parser.add_argument("--chunks", type=int, nargs="+", default=[512, 256, 256, 256],
                        help="env steps of each chunk (the first: the zoo's learning_starts, random actions)")
    args, rest = parser.parse_known_args()
    train_args = exposure_train.parse_args(
        ["--algo", "td3", "--pool", f"{S}/train", "--reward", "critic", "--critic", "ensemble", "--max-ev", "5",
         "--steps", str(sum(args.chunks)), "--seed", "0", "--out", "/tmp/collapse", *rest])
    envs, _, _ = exposure_train.build(train_args)
    if args.normalize_reward:
        from stable_baselines3.common.vec_env import VecNormalize, VecTransposeImage

        # transposed first: SB3 reads the original observations through VecNormalize, which must be channel-first
        envs = VecNormalize(VecTransposeImage(envs), norm_obs=False, norm_reward=True, gamma=train_args.gamma)
    model = exposure_train.new_model(train_args, envs)
    print(f"{train_args.algo.upper()}, {'rewards normalized' if args.normalize_reward else 'raw rewards'}: "
          f"learning rate {model.learning_rate}, batch {model.batch_size}, {model.gradient_steps} gradient steps "
          f"every {model.train_freq.frequency} steps of each of {model.n_envs} envs, policy delay {model.policy_delay}")
    for chunk in args.chunks:
        model.learn(chunk, reset_num_timesteps=False)
        print(f"after {model.num_timesteps:5d} env steps: {probe(model)}", flush=True)


if __name__ == "__main__":
    main()
