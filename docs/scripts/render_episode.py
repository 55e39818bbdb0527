"""The Environment page's episode picture: ``env.render()`` after each step of one episode, stacked.

    python docs/scripts/render_episode.py            # writes docs/images/episode.png

One held-out embedded photo (``embedded:test``, seed 0), the shipped policy's actions, and the
env's own ``rgb_array`` panel (original | local composite S^l | fused P_T, or S^l until the last
step | segments) after reset and after each of the T steps. Seconds on one CPU core.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import gymnasium as gym
import numpy as np
from PIL import Image, ImageDraw

import exposure_env  # noqa: F401  (registers ExposureRetouch-v0)
from agents import load_packaged_policy


def episode_panels(seed: int = 0) -> list[tuple[str, np.ndarray]]:
    """``(caption, env.render())`` after reset and after each step of one episode of the shipped policy."""
    policy = load_packaged_policy()
    env = gym.make("ExposureRetouch-v0", pool="embedded:test", render_mode="rgb_array", **policy.env_kwargs)
    observation, info = env.reset(seed=seed)
    panels = [("reset: S0 | S^l_1 = S0 | S^l_1 | segments", env.render())]
    terminated = False
    while not terminated:
        action, _ = policy.predict(observation, deterministic=True)
        observation, reward, terminated, _, info = env.step(action)
        last = "fused P_T" if terminated else f"S^l_{info['t'] + 1}"
        panels.append((f"step {info['t']}: e = {info['evs'][-1]:+.2f} EV | S^l_{info['t'] + 1} | {last} | reward "
                       f"{reward:.2f}", env.render()))
    env.close()
    return panels


def stack(panels: list[tuple[str, np.ndarray]], caption_height: int = 18) -> Image.Image:
    """The panels one under the other, each under its caption."""
    width = max(panel.shape[1] for _, panel in panels)
    sheet = Image.new("RGB", (width, sum(panel.shape[0] + caption_height for _, panel in panels)), "white")
    draw, top = ImageDraw.Draw(sheet), 0
    for caption, panel in panels:
        draw.text((4, top + 3), caption, fill="black")
        sheet.paste(Image.fromarray(panel), (0, top + caption_height))
        top += panel.shape[0] + caption_height
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0, help="reset seed: which held-out photo (default: 0)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "images" / "episode.png")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    stack(episode_panels(args.seed)).save(args.out, optimize=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
