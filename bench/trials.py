"""Trials per hour on Ray Tune at 1 and 2 concurrent trials, and Tune's overhead against running them directly.

The trials are the learning ladder's (``learning_ladder.train_run``): DeepExposure II on the
reference rung, seeds 0..N-1, the same arguments everywhere. Three ways, one after the other in
one process:

  direct      each trial called in this process, one after the other, torch on 1 thread
  tune x1     the same trials as Tune trials (train.trials.run_grid), --concurrent 1
  tune x2     the same, --concurrent 2

Ray is started before the clocks run (its start-up is printed apart). Each way's held-out
metrics are compared with the direct ones: the same seeds must give the same numbers.

    OMP_NUM_THREADS=1 python bench/trials.py --trials 4 --steps 1024
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from train.common import EVAL_METRICS
from train.experiments import learning_ladder
from train.trials import run_grid, start_ray


def ladder_args(out: Path, steps: int, concurrent: int) -> argparse.Namespace:
    return learning_ladder.parse_args(["--rungs", "reference", "--agents", "deepexposure-discriminator",
                                       "--steps", str(steps), "--evaluations", "2", "--out", str(out),
                                       "--concurrent", str(concurrent)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=4, help="trials (seeds 0..N-1) (default: 4)")
    parser.add_argument("--steps", type=int, default=1024, help="env steps per trial (default: 1024)")
    options = parser.parse_args()
    trials = [{"rung": "reference", "algo": "deepexposure-discriminator", "variant": "default", "seed": seed}
              for seed in range(options.trials)]
    started = time.perf_counter()
    start_ray(None)
    print(f"Ray start-up: {time.perf_counter() - started:.1f} s (not in the times below)")

    with tempfile.TemporaryDirectory() as folder:
        torch.set_num_threads(1)
        args = ladder_args(Path(folder, "direct"), options.steps, 1)
        started = time.perf_counter()
        direct = []
        for index, trial in enumerate(trials):
            workdir = Path(folder, f"direct-{index}")
            workdir.mkdir()
            direct.append(learning_ladder.train_run(**trial, args=args, reward_states={}, workdir=workdir))
        walls = {"direct": time.perf_counter() - started}
        records = {"direct": direct}
        for concurrent in (1, 2):
            args = ladder_args(Path(folder, f"tune{concurrent}"), options.steps, concurrent)
            started = time.perf_counter()
            records[f"tune x{concurrent}"] = run_grid("bench", learning_ladder.train_run, trials, args, reward_states={})
            walls[f"tune x{concurrent}"] = time.perf_counter() - started

    print(f"{options.trials} trials of DeepExposure II, reference rung, {options.steps} env steps each, "
          f"{torch.get_num_threads()} torch thread per trial")
    print("| way | wall s | trials per hour | wall / direct | largest metric difference to direct |")
    print("|---|---|---|---|---|")
    for way, wall in walls.items():
        difference = max(abs(run[metric] - reference[metric]) for run, reference in zip(records[way], direct)
                         for metric in (*EVAL_METRICS, "ev_spread"))
        print(f"| {way} | {wall:.1f} | {3600 * options.trials / wall:.0f} | {wall / walls['direct']:.2f}x | "
              f"{difference:.2g} |")
    print(f"2 concurrent trials against 1: {walls['tune x1'] / walls['tune x2']:.2f}x the trials per hour")


if __name__ == "__main__":
    main()
