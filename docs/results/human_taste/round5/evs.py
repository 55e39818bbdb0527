"""Round 5: what each model decides on fivek dev's 16 photos (64-px thumbnails, EVs within ±5): the mean EV of each
segment in step order (darkest first), the share of photos at the +5 EV limit, how many photos get four EVs within
0.2 stops of each other, and the mean distance of the EVs from the photo's auto-exposure (the actor's prior).

    OMP_NUM_THREADS=1 python docs/results/human_taste/round5/evs.py NAME=MODEL.zip ... > docs/results/human_taste/round5/evs.md
"""

import sys
from pathlib import Path

import gymnasium as gym
import numpy as np

import exposure_env  # noqa: F401  (registers the env)
from exposure_env.ops.exposure import auto_exposure_ev
from train import evaluate
from train.arguments import DEVELOPMENT_DATA

if __name__ == "__main__":
    env = gym.make("ExposureRetouch-v0", pool=str(DEVELOPMENT_DATA / "photos_by_people" / "fivek_dev"), max_ev=5.0)
    print("| model | mean EV per segment (darkest first) | share at +5 EV | four EVs within 0.2 stops | "
          "mean \\|EV − auto-exposure\\| |\n|---|---|---|---|---|")
    for argument in sys.argv[1:]:
        name, _, path = argument.partition("=")
        policy = evaluate.model_policy(evaluate.load_model(Path(path), "deepexposure-discriminator"))
        episodes = [evaluate.roll_out(env, policy, index) for index in range(len(env.unwrapped.pool))]
        evs = np.array([episode["evs"] for episode in episodes])
        auto = np.clip([auto_exposure_ev(episode["original"]) for episode in episodes], -5.0, 5.0)
        within = int((evs.max(axis=1) - evs.min(axis=1) <= 0.2 + 1e-6).sum())
        print(f"| {name} | {', '.join(f'{ev:+.2f}' for ev in evs.mean(axis=0))} | "
              f"{', '.join(f'{share:.2f}' for share in (evs >= 4.95).mean(axis=0))} | {within} of {len(evs)} | "
              f"{np.abs(evs - auto[:, None]).mean():.2f} |")
