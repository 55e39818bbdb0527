"""How fast each command-line tool answers ``--help``, beside the cost of importing what training needs.

Each tool parses its arguments before it imports torch, Stable-Baselines3 or OpenCV, so ``--help``
and argument errors should cost a fraction of that import. Every command runs ``--repeats`` times
in a fresh interpreter, interleaved so that machine load hits all alike; the median is printed
with its ratio to the heavy import.

    python bench/cli_start.py --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "exposure-train --help": [sys.executable, "-m", "train.train", "--help"],
    "exposure-eval --help": [sys.executable, "-m", "train.evaluate", "--help"],
    "exposure-retouch --help": [sys.executable, "-m", "train.retouch", "--help"],
    "exposure-demo --help": [sys.executable, "-m", "train.demo", "--help"],
    "import torch, stable_baselines3, cv2": [sys.executable, "-c", "import torch, stable_baselines3, cv2"],
}
REFERENCE = "import torch, stable_baselines3, cv2"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="runs of each command (default: 5)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1, got {args.repeats}")
    seconds: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.repeats):
        for name, command in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            seconds[name].append(time.perf_counter() - start)
    reference = statistics.median(seconds[REFERENCE])
    print(f"| command | median s ({args.repeats} runs) | ÷ `{REFERENCE}` |\n|---|---|---|")
    for name, times in seconds.items():
        print(f"| `{name}` | {statistics.median(times):.2f} | {statistics.median(times) / reference:.2f} |")


if __name__ == "__main__":
    main()
