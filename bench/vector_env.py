"""Env steps per second of the batched env vs Gymnasium's Sync/AsyncVectorEnv, and the floor.

Default reward (packaged critic, sparse), T=4, 64×64, CPU, side by side in one run. Every env
counts the steps it is called with, autoreset steps included (Gymnasium's NEXT_STEP autoreset:
T + 1 calls per episode). The *floor* is what no implementation can avoid per episode: the
critic on the batch of N fused results plus the fusion of N photos (OpenCV), divided by the T + 1
calls of an episode.

    python bench/vector_env.py --num-envs 64 256 --episodes 3
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

import gymnasium as gym
import numpy as np
import torch

import exposure_env  # noqa: F401  (registers the env)
from exposure_env.data import EmbeddedPool
from exposure_env.ops.exposure import expose
from exposure_env.ops.fusion import mertens_fusion
from exposure_env.rewards.functions import DiscriminatorScore, load_packaged_critic
from exposure_env.vector import ExposureRetouchVectorEnv

NUM_SEGMENTS = 4


def steps_per_second(env, num_envs: int, episodes: int) -> float:
    """Env steps per second over ``episodes`` episodes after one warm-up episode."""
    rng = np.random.default_rng(0)
    calls = (NUM_SEGMENTS + 1) * episodes
    env.reset(seed=0)
    for _ in range(NUM_SEGMENTS + 1):  # warm-up: caches, critic, first allocations
        env.step(rng.uniform(-1, 1, (num_envs, 1)).astype(np.float32))
    start = time.perf_counter()
    for _ in range(calls):
        env.step(rng.uniform(-1, 1, (num_envs, 1)).astype(np.float32))
    return num_envs * calls / (time.perf_counter() - start)


def floor_seconds_per_episode(num_envs: int, repeats: int = 3) -> float:
    """Critic on N fused results + OpenCV fusion of N photos × T exposures, best of ``repeats``."""
    rng = np.random.default_rng(0)
    photos = rng.uniform(0.05, 0.95, (num_envs, 64, 64, 3)).astype(np.float32)
    stacks = [np.stack([expose(p, ev) for ev in rng.uniform(-3, 3, NUM_SEGMENTS)]) for p in photos]
    score = DiscriminatorScore(load_packaged_critic())
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fused = np.stack([mertens_fusion(stack) for stack in stacks])
        score.batch(fused)
        best = min(best, time.perf_counter() - start)
    return best


def async_steps_per_second(num_envs: int, episodes: int, pool_items: int | None) -> float:
    """AsyncVectorEnv measured in a fresh interpreter.

    Its workers are forked; forking a process whose torch (OpenMP) thread pool already ran
    deadlocks the children, so the measuring process forks before any torch work, and each
    worker uses one torch thread (N processes share 2 cores).
    """
    command = [sys.executable, __file__, "--async-worker", "--num-envs", str(num_envs), "--episodes", str(episodes)]
    command += [] if pool_items is None else ["--pool-items", str(pool_items)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return float(output.split("RATE")[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--num-envs", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--episodes", type=int, default=3, help="timed episodes per env kind (default 3)")
    parser.add_argument("--async-max", type=int, default=64,
                        help="largest num_envs for AsyncVectorEnv: one process per env (default 64)")
    parser.add_argument("--pool-items", type=int, default=None,
                        help="photos in the embedded pool, the same for every env kind (default: 4096, so "
                             "a short run prepares nearly every reset's photo afresh; a small pool shows "
                             "the steady state of a long training run, where our shared cache holds them all)")
    parser.add_argument("--async-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    pool = EmbeddedPool("train", n_items=args.pool_items)
    if args.async_worker:
        torch.set_num_threads(1)
        make = lambda: gym.make("ExposureRetouch-v0", num_segments=NUM_SEGMENTS, pool=pool)  # noqa: E731
        env = gym.vector.AsyncVectorEnv([make] * args.num_envs[0], context="fork", shared_memory=True)
        print("RATE", steps_per_second(env, args.num_envs[0], args.episodes))
        env.close()
        return
    print(f"CPU, torch threads={torch.get_num_threads()}, T={NUM_SEGMENTS}, 64x64, reward=discriminator (sparse), "
          f"pool of {len(pool)} photos")
    for num_envs in args.num_envs:
        make = lambda: gym.make("ExposureRetouch-v0", num_segments=NUM_SEGMENTS, pool=pool)  # noqa: E731
        results = {}
        results["SyncVectorEnv"] = steps_per_second(gym.vector.SyncVectorEnv([make] * num_envs), num_envs, args.episodes)
        if num_envs <= args.async_max:
            results["AsyncVectorEnv"] = async_steps_per_second(num_envs, args.episodes, args.pool_items)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        ours = ExposureRetouchVectorEnv(num_envs, num_segments=NUM_SEGMENTS, pool=pool)
        results["ExposureRetouchVectorEnv"] = steps_per_second(ours, num_envs, args.episodes)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        floor = floor_seconds_per_episode(num_envs)
        floor_rate = num_envs * (NUM_SEGMENTS + 1) / floor
        print(f"\nnum_envs={num_envs}")
        if num_envs > args.async_max:
            print(f"  {'AsyncVectorEnv':<26} not run: {num_envs} processes exceed --async-max {args.async_max}")
        for name, rate in results.items():
            print(f"  {name:<26} {rate:9.0f} steps/s   {rate / results['SyncVectorEnv']:5.2f}x Sync")
        print(f"  {'floor (critic + fusion)':<26} {floor_rate:9.0f} steps/s   "
              f"ours costs {floor_rate / results['ExposureRetouchVectorEnv']:.2f}x the floor")
        print(f"  peak RSS growth while building/running ours: {(rss_after - rss_before) / 1024:.0f} MB "
              f"({(rss_after - rss_before) / 1024 / num_envs:.2f} MB per env; state arrays "
              f"{state_bytes(ours) / num_envs / 1024:.0f} kB per env)")


def state_bytes(env: ExposureRetouchVectorEnv) -> int:
    arrays = [env._original_u8, env._original, env._local, env._masks, env._globals]
    if env._targets is not None:
        arrays.append(env._targets)
    return sum(a.nbytes for a in arrays)


if __name__ == "__main__":
    main()
