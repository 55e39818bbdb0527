"""Env steps per second of the batched env vs Gymnasium's Sync/AsyncVectorEnv, and the floor.

Default reward (packaged critic, sparse), T=4, 64×64. Every env counts the steps it is called
with, autoreset steps included (Gymnasium's NEXT_STEP autoreset: T + 1 calls per episode). The
*floor* is what no implementation can avoid per episode: the critic on the batch of N fused
results plus the fusion of N pool photos × T exposures, divided by the T + 1 calls of an episode.

On CPU (default) all kinds run side by side. Ours runs twice: *cold*, as the other kinds, where
most resets prepare a photo afresh (pool sample, shrink, segmentation), and *warm*, with every
pool photo already prepared: the steady state of a long training run, where the shared cache
holds the whole pool (the Sync/Async kinds prepare every reset's photo, always). The floor uses
OpenCV's fusion.

With ``--device cuda`` ours runs with tensor observations, actions drawn on the GPU and a warm
photo bank; the floor is the torch Mertens twin plus the critic on the GPU. Sync/Async are not
run there: their single envs compute on CPU.

    python bench/vector_env.py --num-envs 64 256 --episodes 3
    python bench/vector_env.py --device cuda --num-envs 1024 4096 16384
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import gymnasium as gym
import numpy as np
import torch

import exposure_env  # noqa: F401  (registers the env)
from exposure_env.data import EmbeddedPool
from exposure_env.ops.exposure import expose, expose_torch
from exposure_env.ops.fusion import mertens_fusion, mertens_fusion_torch
from exposure_env.ops.resize import shrink_photo
from exposure_env.rewards.functions import DiscriminatorScore, load_packaged_critic
from exposure_env.vector import ExposureRetouchVectorEnv

NUM_SEGMENTS = 4
#: the floor's batch is drawn from this many pool photos (prepared before timing, not timed)
FLOOR_PHOTOS = 1024


def synchronize(device: torch.device | None) -> None:
    """Wait for queued device work, so that a host clock measures it."""
    if device is not None and device.type == "cuda":
        torch.cuda.synchronize(device)


def steps_per_second(env, num_envs: int, episodes: int, device: torch.device | None = None) -> float:
    """Env steps per second over ``episodes`` episodes after one warm-up episode.

    Actions are numpy, or, with ``device``, tensors drawn on it (nothing crosses to the host).
    """
    if device is None:
        rng = np.random.default_rng(0)
        draw = lambda: rng.uniform(-1, 1, (num_envs, 1)).astype(np.float32)  # noqa: E731
    else:
        generator = torch.Generator(device).manual_seed(0)
        draw = lambda: torch.rand((num_envs, 1), generator=generator, device=device) * 2 - 1  # noqa: E731
    calls = (NUM_SEGMENTS + 1) * episodes
    env.reset(seed=0)
    for _ in range(NUM_SEGMENTS + 1):  # warm-up: caches, critic, first allocations
        env.step(draw())
    synchronize(device)
    start = time.perf_counter()
    for _ in range(calls):
        env.step(draw())
    synchronize(device)
    return num_envs * calls / (time.perf_counter() - start)


def warm(env: ExposureRetouchVectorEnv) -> None:
    """Prepare every pool photo into ``env``'s cache (or device bank), by resets naming them."""
    for start in range(0, len(env.pool), env.num_envs):
        indices = list(range(start, min(start + env.num_envs, len(env.pool))))
        env.reset(options={"reset_mask": np.arange(env.num_envs) < len(indices), "index": indices})


def floor_photos(pool: EmbeddedPool, num_envs: int) -> tuple[np.ndarray, np.ndarray]:
    """The floor's batch: S0 of N photos drawn from the pool's first :data:`FLOOR_PHOTOS`.

    Real photos, as the envs fuse: a third of the embedded pool is grey, which OpenCV fuses on
    one channel. Returns the distinct photos ``(K, 64, 64, 3)`` and which of them each env has.
    """
    rng = np.random.default_rng(0)
    indices = rng.integers(min(len(pool), FLOOR_PHOTOS), size=num_envs)
    distinct, which = np.unique(indices, return_inverse=True)
    return np.stack([shrink_photo(pool[int(i)].raw, 64)[1] for i in distinct]), which


def floor_seconds_per_episode(pool: EmbeddedPool, num_envs: int, repeats: int = 3) -> float:
    """Critic on N fused results + OpenCV fusion of N photos × T exposures, best of ``repeats``."""
    photos, which = floor_photos(pool, num_envs)
    rng = np.random.default_rng(1)
    stacks = [np.stack([expose(photos[k], ev) for ev in rng.uniform(-3, 3, NUM_SEGMENTS)]) for k in which]
    score = DiscriminatorScore(load_packaged_critic())
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fused = np.stack([mertens_fusion(stack) for stack in stacks])
        score.batch(fused)
        best = min(best, time.perf_counter() - start)
    return best


def device_floor_seconds_per_episode(pool: EmbeddedPool, num_envs: int, device: torch.device,
                                     repeats: int = 5) -> float:
    """Critic on N fused results + the torch Mertens twin of N photos × T exposures, on ``device``."""
    photos, which = floor_photos(pool, num_envs)
    photos = torch.from_numpy(photos).to(device).permute(0, 3, 1, 2)[torch.from_numpy(which).to(device)]
    evs = torch.rand((num_envs * NUM_SEGMENTS,), generator=torch.Generator(device).manual_seed(1), device=device)
    stacks = expose_torch(photos.repeat_interleave(NUM_SEGMENTS, dim=0), evs * 6 - 3)
    stacks = stacks.view(num_envs, NUM_SEGMENTS, 3, 64, 64)
    score = DiscriminatorScore(load_packaged_critic(str(device)))
    score.tensor(mertens_fusion_torch(stacks))  # loads the kernels: not timed
    best = float("inf")
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        score.tensor(mertens_fusion_torch(stacks))
        synchronize(device)
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


def nbytes(array: np.ndarray | torch.Tensor | None) -> int:
    if array is None:
        return 0
    return array.nbytes if isinstance(array, np.ndarray) else array.element_size() * array.nelement()


def memory_report(env: ExposureRetouchVectorEnv) -> str:
    """The env's per-env state arrays, and its prepared-photo cache (host) or bank (device), shared by all envs."""
    arrays = [*vars(env).values(), *vars(env.backend).values()]
    state = sum(nbytes(value) for value in arrays if isinstance(value, (np.ndarray, torch.Tensor)))
    photos, cache = env.backend.cached()  # on the device, the bank's bytes: its targets stay on the host
    return (f"state {state / env.num_envs / 1024:.0f} kB per env; photo cache {cache / 2**20:.0f} MiB for "
            f"{photos} photos ({cache / max(photos, 1) / 1024:.0f} kB each), shared by the {env.num_envs} envs")


def print_rate(name: str, rate: float, reference: float | None) -> None:
    ratio = "" if reference is None else f"   {rate / reference:5.2f}x Sync"
    print(f"  {name:<34} {rate:9.0f} steps/s{ratio}")


def run_cpu(args: argparse.Namespace, pool: EmbeddedPool) -> None:
    print(f"CPU, torch threads={torch.get_num_threads()}, T={NUM_SEGMENTS}, 64x64, reward=discriminator (sparse), "
          f"pool of {len(pool)} photos")
    for num_envs in args.num_envs:
        make = lambda: gym.make("ExposureRetouch-v0", num_segments=NUM_SEGMENTS, pool=pool)  # noqa: E731
        results = {}
        results["SyncVectorEnv"] = steps_per_second(gym.vector.SyncVectorEnv([make] * num_envs), num_envs, args.episodes)
        if num_envs <= args.async_max:
            results["AsyncVectorEnv"] = async_steps_per_second(num_envs, args.episodes, args.pool_items)
        ours = ExposureRetouchVectorEnv(num_envs, num_segments=NUM_SEGMENTS, pool=pool)
        results["ours, cold cache"] = steps_per_second(ours, num_envs, args.episodes)
        warm(ours)
        results["ours, warm cache"] = steps_per_second(ours, num_envs, args.episodes)
        floor_rate = num_envs * (NUM_SEGMENTS + 1) / floor_seconds_per_episode(pool, num_envs)
        print(f"\nnum_envs={num_envs}")
        if num_envs > args.async_max:
            print(f"  {'AsyncVectorEnv':<34} not run: {num_envs} processes exceed --async-max {args.async_max}")
        for name, rate in results.items():
            print_rate(name, rate, results["SyncVectorEnv"])
        print_rate("floor (critic + OpenCV fusion)", floor_rate, None)
        for name in ("ours, cold cache", "ours, warm cache"):
            print(f"  {name} costs {floor_rate / results[name]:.2f}x the floor")
        print(f"  memory: {memory_report(ours)}")


def run_device(args: argparse.Namespace, pool: EmbeddedPool, device: torch.device) -> None:
    print(f"{torch.cuda.get_device_name(device)}, T={NUM_SEGMENTS}, 64x64, reward=discriminator (sparse), "
          f"pool of {len(pool)} photos, tensor observations, actions on the device, warm photo bank")
    for num_envs in args.num_envs:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
        allocated_before = torch.cuda.memory_allocated(device)
        ours = ExposureRetouchVectorEnv(num_envs, device=device, tensor_observations=True,
                                        num_segments=NUM_SEGMENTS, pool=pool)
        start = time.perf_counter()
        warm(ours)
        warm_seconds = time.perf_counter() - start
        rate = steps_per_second(ours, num_envs, args.episodes, device)
        peak = torch.cuda.max_memory_allocated(device) - allocated_before
        memory = memory_report(ours)
        del ours
        torch.cuda.empty_cache()
        floor_rate = num_envs * (NUM_SEGMENTS + 1) / device_floor_seconds_per_episode(pool, num_envs, device)
        print(f"\nnum_envs={num_envs}   (bank warmed with {len(pool)} photos in {warm_seconds:.1f} s)")
        print_rate("ExposureRetouchVectorEnv", rate, None)
        print_rate("floor (critic + torch fusion)", floor_rate, None)
        print(f"  ours costs {floor_rate / rate:.2f}x the floor")
        print(f"  GPU memory: {memory}; peak allocated while running {peak / 2**20:.0f} MiB "
              f"({peak / num_envs / 1024:.0f} kB per env, fusion and critic temporaries included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda[:k]")
    parser.add_argument("--num-envs", type=int, nargs="+", default=None,
                        help="default 64 256 on CPU, 1024 4096 16384 on CUDA")
    parser.add_argument("--episodes", type=int, default=3, help="timed episodes per env kind (default 3)")
    parser.add_argument("--async-max", type=int, default=64,
                        help="largest num_envs for AsyncVectorEnv: one process per env (default 64)")
    parser.add_argument("--pool-items", type=int, default=None,
                        help="photos in the embedded pool, the same for every env kind (default: 4096, so "
                             "a short cold run prepares nearly every reset's photo afresh)")
    parser.add_argument("--async-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    device = torch.device(args.device)
    if args.num_envs is None:
        args.num_envs = [64, 256] if device.type == "cpu" else [1024, 4096, 16384]
    pool = EmbeddedPool("train", n_items=args.pool_items)
    if args.async_worker:
        torch.set_num_threads(1)
        make = lambda: gym.make("ExposureRetouch-v0", num_segments=NUM_SEGMENTS, pool=pool)  # noqa: E731
        env = gym.vector.AsyncVectorEnv([make] * args.num_envs[0], context="fork", shared_memory=True)
        print("RATE", steps_per_second(env, args.num_envs[0], args.episodes))
        env.close()
        return
    if device.type == "cpu":
        run_cpu(args, pool)
    else:
        run_device(args, pool, device)


if __name__ == "__main__":
    main()
