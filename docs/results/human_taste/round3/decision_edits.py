"""Round 3 diagnostic: the shipped policy's decisions, edited by hand, judged as exposure-retouch renders them.

Not a policy and not a method: it asks what a learner would gain if it learned one of these edits. Each row rolls
out the shipped policy on the 64-px thumbnail, edits its EVs, and renders the edited EVs on the full photo
(train.evaluate.fuse_evs), judged on fivek dev (16 photos, 512 px) and on 64 frames spread over sice dev (256 px).

    OMP_NUM_THREADS=1 python docs/results/human_taste/round3/decision_edits.py > docs/results/human_taste/round3/decision_edits.md

Given a saved DeepExposure model, it edits that model's decisions instead (round 5):

    OMP_NUM_THREADS=1 python docs/results/human_taste/round3/decision_edits.py MODEL.zip > round5/decision_edits.md
"""

import sys
from pathlib import Path

import numpy as np

from agents.packaged import load_packaged_policy
from train import evaluate
from train.arguments import DEVELOPMENT_DATA
from train.experiments.human_taste import judge
from exposure_env.ops.exposure import auto_exposure_ev

MODEL = Path(sys.argv[1]) if len(sys.argv) > 1 else None
policy = evaluate.model_policy(load_packaged_policy() if MODEL is None
                               else evaluate.load_model(MODEL, "deepexposure-discriminator"))
WHOSE = "the shipped policy's" if MODEL is None else f"the model {MODEL}'s"
episodes: dict[tuple[int, int], dict] = {}


def edited(edit):
    """A method: the shipped policy's episode, its EVs ``edit(evs, auto_ev)``, rendered as exposure-retouch does."""
    def method(env, index):
        key = (id(env.unwrapped.pool), index)
        if key not in episodes:
            episodes[key] = evaluate.roll_out(env, policy, index)
        episode = episodes[key]
        original = episode["original"]  # S0, the thumbnail
        auto = auto_exposure_ev(original / np.float32(255.0) if original.dtype == np.uint8 else original)
        evs = [float(ev) for ev in edit(np.asarray(episode["evs"], dtype=float), auto)]
        return evaluate.Outcome(episode["fused"], episode["original"], episode["target"],
                                evaluate.fuse_evs(evs, env.unwrapped.mdp.fusion_weights))
    return method


EDITS = {
    f"{WHOSE} EVs": lambda evs, auto: evs,
    "+ the input itself (an extra 0 EV frame in the fusion)": lambda evs, auto: [*evs, 0.0],
    "the darkest segment's EV at most the next one's + 2": lambda evs, auto: [min(evs[0], evs[1] + 2), *evs[1:]],
    "the darkest segment's EV at most the next one's + 1": lambda evs, auto: [min(evs[0], evs[1] + 1), *evs[1:]],
    "every EV within auto-exposure ± 2": lambda evs, auto: np.clip(evs, auto - 2, auto + 2),
    "every EV within auto-exposure ± 1": lambda evs, auto: np.clip(evs, auto - 1, auto + 1),
    "every EV within ±3": lambda evs, auto: np.clip(evs, -3, 3),
}

if __name__ == "__main__":
    methods = {name: edited(edit) for name, edit in EDITS.items()}
    print("| edit | fivek dev PSNR / ΔE2000 / \\|ΔL*\\| | sice dev (64 frames) PSNR / ΔE2000 / \\|ΔL*\\| |\n|---|---|---|")
    pools = DEVELOPMENT_DATA / "photos_by_people" / "fivek_dev", DEVELOPMENT_DATA / "sice_sequences" / "dev"
    fivek_env, fivek = judge(pools[0], methods, 5.0, 512)
    _, sice = judge(pools[1], methods, 5.0, 256, 64)
    cell = lambda row: f"{row['psnr']:.2f} / {row['delta_e']:.2f} / {row['lightness_error']:.1f}"
    fivek, sice = ({row["method"]: row for row in rows} for rows in (fivek, sice))
    for name in EDITS:
        print(f"| {name} | {cell(fivek[name])} | {cell(sice[name])} |")
    darkest = [episode["evs"][0] for (pool, _), episode in episodes.items() if pool == id(fivek_env.unwrapped.pool)]
    at_limit = sum(ev >= 5.0 - 0.05 for ev in darkest)
    print(f"\n{WHOSE[0].upper()}{WHOSE[1:]} darkest segment is at the +5 EV limit (within 0.05) on {at_limit} of the "
          f"{len(darkest)} fivek dev photos.")
