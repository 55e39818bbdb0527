"""One trial of the learning ladder's reference rung, run directly (no Ray) from the code of any checkout.

Used to tell a move of the code from a move of the machine: the same trial from an older commit's code and
from today's, on the same machine, one torch thread each.

    git worktree add /tmp/ladder_2b79e9a 2b79e9a
    OMP_NUM_THREADS=1 python docs/results/learning_ladder/one_trial.py /tmp/ladder_2b79e9a deepexposure-value default
    OMP_NUM_THREADS=1 python docs/results/learning_ladder/one_trial.py . deepexposure-value default

Prints the trial's held-out PSNR (16 embedded test photos, seed 0, 8192 env steps) and its wall seconds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkout", type=Path, help="the repository checkout whose code runs the trial")
    parser.add_argument("agent", help="deepexposure-value, deepexposure-discriminator or ppo")
    parser.add_argument("variant", help="'default' or an ablation's name, as in the ladder's results.md")
    args = parser.parse_args()
    root = str(args.checkout.resolve())
    sys.path.insert(0, root)
    import torch

    from train.experiments import learning_ladder

    if not learning_ladder.__file__.startswith(root):
        parser.error(f"the ladder was imported from {learning_ladder.__file__}, not from {root}")
    torch.set_num_threads(1)
    ladder_args = learning_ladder.parse_args(["--rungs", "reference", "--agents", args.agent])  # the ladder's defaults
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:  # the trial's model.zip, not kept
        record = learning_ladder.train_run("reference", args.agent, args.variant, 0, ladder_args, {}, Path(workdir))
    print(f"{root}: {args.agent}, {args.variant}: held-out PSNR {record['psnr']:.4f} dB, "
          f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
