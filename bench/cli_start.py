"""How fast each command-line tool answers ``--help``, beside the cost of importing what training needs.

Each tool parses its arguments before it imports torch, Stable-Baselines3 or OpenCV, so ``--help``
and argument errors should cost a fraction of that import. Covered: every console script of
pyproject.toml (run as its script runs: its entry point called with ``--help``), and with
``--modules`` every ``python -m train.…`` command too (the critic builders and the experiments).
Every command runs ``--repeats`` times in a fresh interpreter, interleaved so that machine load
hits all alike; the median is printed with its ratio to the heavy import.

    python bench/cli_start.py --repeats 5 --modules
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = "import torch, stable_baselines3, cv2"
#: the console scripts of pyproject.toml: ``name -> "module:function"``
SCRIPTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]


def script_commands() -> dict[str, list[str]]:
    """``<script> --help`` for each console script of pyproject.toml: its entry point, called as the script calls it."""
    commands = {}
    for name, target in SCRIPTS.items():
        module, function = target.split(":")
        code = f"import sys; sys.argv = [{name!r}, '--help']; from {module} import {function}; {function}()"
        commands[f"{name} --help"] = [sys.executable, "-c", code]
    return commands


def module_commands() -> dict[str, list[str]]:
    """``python -m <module> --help`` for each module of train/ and train/experiments/ that runs as a command."""
    paths = sorted([*ROOT.glob("train/*.py"), *ROOT.glob("train/experiments/*.py")])
    modules = [".".join(path.relative_to(ROOT).with_suffix("").parts) for path in paths
               if 'if __name__ == "__main__":' in path.read_text()]
    scripts = {target.split(":")[0] for target in SCRIPTS.values()}
    return {f"python -m {module} --help": [sys.executable, "-m", module, "--help"]
            for module in modules if module not in scripts}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="runs of each command (default: 5)")
    parser.add_argument("--modules", action="store_true",
                        help="also the python -m commands of train/ and train/experiments/")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1, got {args.repeats}")
    commands = {**script_commands(), **(module_commands() if args.modules else {}),
                REFERENCE: [sys.executable, "-c", REFERENCE]}
    seconds: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.repeats):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
            seconds[name].append(time.perf_counter() - start)
    reference = statistics.median(seconds[REFERENCE])
    print(f"| command | median s ({args.repeats} runs) | ÷ `{REFERENCE}` |\n|---|---|---|")
    for name, times in seconds.items():
        print(f"| `{name}` | {statistics.median(times):.2f} | {statistics.median(times) / reference:.2f} |")


if __name__ == "__main__":
    main()
