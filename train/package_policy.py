"""Ship a trained DeepExposure actor as one of the package's looks (agents/weights).

    exposure-train --pool sice_sequences/train --reward critic --max-ev 5 --out runs/packaged
    python -m train.package_policy --model runs/packaged/model.zip --command "exposure-train ..." \\
        --training-data "sice_sequences/train (CC BY-NC 4.0: research, non-commercial)" \\
        --results docs/results/real_sequences/results.md
    python -m train.package_policy --look people --model runs/people/model.zip ...

--look names the look it replaces (default: fusion, the default of exposure-retouch),
--command records the exact training command, --training-data what it was trained on and
under which terms, --results the evaluation to cite (default: the run's own results.md).

Writes the look's policy.pt (actor weights) and policy_provenance.json (the command, steps,
seed, env settings and the held-out results table) into its folder (agents.looks.LOOKS),
both atomically.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from agents import DeepExposure, algorithms, looks
from exposure_env.atomic import atomic_write


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m train.package_policy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--look", default=looks.DEFAULT_LOOK, choices=list(looks.LOOKS),
                        help=f"the look to write (default: {looks.DEFAULT_LOOK}, exposure-retouch's default)")
    parser.add_argument("--model", type=Path, required=True, help="a DeepExposure model.zip saved by exposure-train")
    parser.add_argument("--command", required=True, help="the exposure-train command that produced it (provenance)")
    parser.add_argument("--training-data", required=True,
                        help="the photos it was trained on and their terms of use (provenance)")
    parser.add_argument("--results", type=Path, default=None,
                        help="results table to record (default: results.md beside the model)")
    args = parser.parse_args(argv)
    if not args.model.is_file():
        parser.error(f"{args.model}: no such model file")
    model = DeepExposure.load(args.model, device="cpu")
    results = args.results or args.model.with_name("results.md")
    if args.results is not None and not results.is_file():
        parser.error(f"--results {results}: no such file")
    provenance = {
        "command": args.command,
        "algorithm": algorithms.name_of(model),
        "training_data": args.training_data,
        "env_steps": int(model.num_timesteps),
        "seed": model.seed,
        "actor_widths": list(model.policy.actor_widths),
        "actor_hidden": model.policy.actor_hidden,
        "ev_prior": model.policy.ev_prior,
        "segment_place": model.policy.segment_place,
        "ev_window": model.policy.ev_window,
        "env_kwargs": model.retouch_settings(),
        "held_out_results": results.read_text() if results.is_file() else None,
    }
    weights, provenance_file = looks.policy_files(args.look)
    weights.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(weights, lambda path: torch.save(model.policy.actor.state_dict(), path))
    atomic_write(provenance_file, lambda path: Path(path).write_text(json.dumps(provenance, indent=2)))
    print(f"wrote {weights} and {provenance_file}")


if __name__ == "__main__":
    main()
