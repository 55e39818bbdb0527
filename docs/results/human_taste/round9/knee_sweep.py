"""Round 9: what the highlight shoulder's knee does to models' results on a paired pool, rendered as
``exposure-retouch`` renders the file and judged at 256 px (PSNR, ΔE2000, |ΔL*| and highlights).

Each model decides in the MDP it was trained in (its own ``shoulder``, or the clip); each ``--knees`` value then
renders those decisions with that knee (``clip``: no shoulder), or ``as-trained`` with the model's own. A knee other
than the model's own changes the render alone, not the decisions.

    python docs/results/human_taste/round9/knee_sweep.py --models runs/taste9/clip_seed0/model.zip \\
        --knees clip 0.5 0.3 0.2 0.1 0.05 --pool ../shared/data/sice_sequences/train --photos 200
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

from train import evaluate
from train.experiments.human_taste import judge

#: ``--knees`` values that are not numbers
CLIP, AS_TRAINED = "clip", "as-trained"


def rendered_with(model, knee: str) -> evaluate.Method:
    """``model``'s decisions, played in its own MDP, rendered with ``knee``."""
    policy, settings = evaluate.model_policy(model), evaluate.trained_settings(model)

    def method(env, index: int) -> evaluate.Outcome:
        episode = evaluate.roll_out(env, policy, index, settings)
        if knee != AS_TRAINED:  # the render alone takes the other knee; the decisions and P_T stay the model's
            episode["mdp"] = dataclasses.replace(episode["mdp"], shoulder=None if knee == CLIP else float(knee))
        return evaluate.episode_outcome(episode)

    return method


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=Path, nargs="+", required=True, help="DeepExposure model.zip files")
    parser.add_argument("--knees", nargs="+", default=[AS_TRAINED], help="clip, as-trained or a knee in (0, 1)")
    parser.add_argument("--pool", type=Path, required=True, help="a paired pool (raw/ + expert/)")
    parser.add_argument("--photos", type=int, default=None, help="this many photos spread over the pool (default: all)")
    parser.add_argument("--side", type=int, default=256, help="judged at this long side in pixels (fivek dev: 512)")
    args = parser.parse_args()
    models = {str(path.parent.name): evaluate.load_model(path) for path in args.models}
    methods = {f"{name}, render knee {knee}": rendered_with(model, knee)
               for name, model in models.items() for knee in args.knees}
    _, rows = judge(args.pool, methods, 5.0, args.side, args.photos)
    print(f"{args.pool} ({args.photos or 'all'} photos), judged at {args.side} px\n")
    print("| model (its decisions), render | PSNR dB ↑ | ΔE2000 ↓ | \\|ΔL*\\| ↓ | highlights ≥254 ↓ |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['method']} | {row['psnr']:.2f} | {row['delta_e']:.2f} | {row['lightness_error']:.1f} | "
              f"{row['highlights']:.3f} |")
    print("\nmean PSNR over the rows of each knee: " + "; ".join(
        f"{knee} {np.mean([r['psnr'] for r in rows if r['method'].endswith(f'knee {knee}')]):.2f}" for knee in args.knees))


if __name__ == "__main__":
    main()
