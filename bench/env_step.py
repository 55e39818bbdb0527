"""Time ``reset`` + T×``step`` per episode of ExposureRetouch-v0 on CPU, and where the time goes.

The segmentation, fusion and critic calls the env makes are wrapped with timers in the same run,
so their shares are of the very episodes being timed.

    python bench/env_step.py --episodes 200 --reward-mode sparse
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np
import torch

from exposure_env import env as env_module
from exposure_env import mdp as mdp_module
from exposure_env.env import ExposureRetouchEnv


def timed(name: str, function, totals: dict):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            totals[name] += time.perf_counter() - start

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--segments", type=int, default=4)
    parser.add_argument("--reward-mode", default="sparse", choices=["sparse", "shaped", "dense"])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1, as one env per core)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    totals: dict[str, float] = defaultdict(float)
    mdp_module.segment = timed("segmentation", mdp_module.segment, totals)  # ExposureMDP.prepare segments S0
    env_module.mertens_fusion = timed("fusion", env_module.mertens_fusion, totals)
    env = ExposureRetouchEnv(num_segments=args.segments, reward_mode=args.reward_mode)
    env.score_fn = timed("critic", env.score_fn, totals)
    rng = np.random.default_rng(0)
    env.reset(seed=0)  # warm-up: loads the critic and the source photos

    totals.clear()
    start = time.perf_counter()
    for episode in range(args.episodes):
        env.reset(seed=episode)
        for _ in range(args.segments):
            env.step(rng.uniform(-1, 1, size=1).astype(np.float32))
    total = time.perf_counter() - start

    per_episode_ms = 1e3 * total / args.episodes
    print(f"ExposureRetouch-v0, T={args.segments}, reward_mode={args.reward_mode}, torch threads={args.threads}")
    print(f"reset + {args.segments} x step: {per_episode_ms:.2f} ms per episode "
          f"({args.episodes * args.segments / total:.0f} env steps/s)")
    for name in ("segmentation", "fusion", "critic"):
        print(f"  {name:<13} {1e3 * totals[name] / args.episodes:6.2f} ms  {100 * totals[name] / total:5.1f} %")
    rest = total - sum(totals.values())
    print(f"  {'rest':<13} {1e3 * rest / args.episodes:6.2f} ms  {100 * rest / total:5.1f} %  (pool, exposure, obs)")


if __name__ == "__main__":
    main()
