"""Round 5 diagnostic: a model's decisions with the photo itself added to the fusion by hand, without retraining.

As round 3's decision_edits.py: each row rolls the model out on the 64-px thumbnail, edits its EVs, and renders them
on the full photo as exposure-retouch does (train.evaluate.fuse_evs), judged on fivek dev (16 photos, 512 px) and on
64 frames spread over sice dev (256 px).

    OMP_NUM_THREADS=1 python docs/results/human_taste/round5/input_edit.py \
        runs/taste3/ensemble-auto-place-32k_seed0/model.zip > docs/results/human_taste/round5/input_edit.md
"""

import sys
from pathlib import Path

from train import evaluate
from train.arguments import DEVELOPMENT_DATA
from train.experiments.human_taste import judge

EDITS = {
    "the model's EVs": lambda evs: evs,
    "+ the input itself (an extra 0 EV frame in the fusion)": lambda evs: [*evs, 0.0],
}

if __name__ == "__main__":
    policy = evaluate.model_policy(evaluate.load_model(Path(sys.argv[1]), "deepexposure-discriminator"))
    episodes: dict[tuple[int, int], dict] = {}

    def edited(edit):
        def method(env, index):
            key = (id(env.unwrapped.pool), index)
            if key not in episodes:
                episodes[key] = evaluate.roll_out(env, policy, index)
            episode = episodes[key]
            evs = [float(ev) for ev in edit(list(episode["evs"]))]
            return evaluate.Outcome(episode["fused"], episode["original"], episode["target"],
                                    evaluate.fuse_evs(evs, env.unwrapped.mdp.fusion_weights))
        return method

    methods = {name: edited(edit) for name, edit in EDITS.items()}
    pools = DEVELOPMENT_DATA / "photos_by_people" / "fivek_dev", DEVELOPMENT_DATA / "sice_sequences" / "dev"
    _, fivek = judge(pools[0], methods, 5.0, 512)
    _, sice = judge(pools[1], methods, 5.0, 256, 64)
    cell = lambda row: f"{row['psnr']:.2f} / {row['delta_e']:.2f} / {row['lightness_error']:.1f}"
    fivek, sice = ({row["method"]: row for row in rows} for rows in (fivek, sice))
    print(f"Model: {sys.argv[1]}\n")
    print("| edit | fivek dev PSNR / ΔE2000 / \\|ΔL*\\| | sice dev (64 frames) PSNR / ΔE2000 / \\|ΔL*\\| |\n|---|---|---|")
    for name in EDITS:
        print(f"| {name} | {cell(fivek[name])} | {cell(sice[name])} |")
