"""Roll out ``ExposureRetouch-v0`` with fixed policies on held-out photos and write a report.

Writes into ``--out`` (default ``reports/demo``):
  results.csv / results.md  per-policy mean critic reward, PSNR, SSIM, CIEDE2000, clipped share
  grid.png                  before/after grid: raw | each policy | expert target
  episode.png               the env's own render of one episode, step by step

    exposure-demo --photos 24 --out reports/demo
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import gymnasium as gym
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

import exposure_env  # noqa: E402,F401  (registers the env)
from exposure_env.files import atomic_write  # noqa: E402
from exposure_env.metrics import paired_metrics  # noqa: E402
from train import policies  # noqa: E402

METRICS = ("reward", "psnr", "ssim", "delta_e", "clipped")


def default_policies(seed: int) -> dict[str, policies.Policy]:
    """The fixed policies every report compares."""
    return {
        "identity": policies.identity,
        "random": policies.make_random(seed),
        "bracket -1.5..+1.5 EV": policies.make_bracket((-1.5, -0.5, 0.5, 1.5)),
        "global auto-exposure": policies.global_auto_exposure,
        "segment auto-exposure": policies.segment_auto_exposure,
    }


def roll_out(env: gym.Env, policy: policies.Policy, index: int) -> dict:
    """One episode on pool photo ``index``; returns the return, P_T, raw and target."""
    observation, info = env.reset(options={"index": index})
    raw = observation["original"].astype(np.float32) / 255.0
    episode_return, terminated = 0.0, False
    while not terminated:
        observation, reward, terminated, _, info = env.step(policy(observation, info, env))
        episode_return += reward
    return {"return": episode_return, "fused": info["fused"], "raw": raw, "target": info["target"]}


def evaluate(env: gym.Env, named_policies: dict[str, policies.Policy], num_photos: int) -> tuple[list[dict], dict]:
    """Mean metrics per policy over the first ``num_photos`` pool photos, and the fused images."""
    rows, images = [], {}
    for name, policy in tqdm(named_policies.items(), desc="policies", unit="policy"):
        per_photo = []
        for index in range(num_photos):
            episode = roll_out(env, policy, index)
            per_photo.append({"reward": episode["return"], **paired_metrics(episode["fused"], episode["target"])})
            images.setdefault("raw", {})[index] = episode["raw"]
            images.setdefault("expert target", {})[index] = episode["target"]
            images.setdefault(name, {})[index] = episode["fused"]
        rows.append({"policy": name, **{m: float(np.mean([p[m] for p in per_photo])) for m in METRICS}})
    return rows, images


def write_tables(rows: list[dict], out: Path) -> None:
    """results.csv and results.md, written atomically."""

    def write_csv(path: str) -> None:
        with open(path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["policy", *METRICS])
            writer.writeheader()
            writer.writerows(rows)

    atomic_write(out / "results.csv", write_csv)
    header = "| policy | critic reward ↑ | PSNR dB ↑ | SSIM ↑ | ΔE2000 ↓ | clipped ↓ |\n|---|---|---|---|---|---|\n"
    lines = [
        f"| {r['policy']} | {r['reward']:.3f} | {r['psnr']:.2f} | {r['ssim']:.3f} | {r['delta_e']:.2f} | {r['clipped']:.3f} |"
        for r in rows
    ]
    atomic_write(out / "results.md", lambda path: Path(path).write_text(header + "\n".join(lines) + "\n"))


def save_figure(figure: plt.Figure, path: Path) -> None:
    """Render a matplotlib figure to PNG in memory, then write it atomically."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    atomic_write(path, lambda temporary: Path(temporary).write_bytes(buffer.getvalue()))


def write_grid(images: dict, num_rows: int, out: Path) -> None:
    """grid.png: one row per photo, columns raw | policies | expert target."""
    columns = ["raw", *[k for k in images if k not in ("raw", "expert target")], "expert target"]
    figure, axes = plt.subplots(num_rows, len(columns), figsize=(1.6 * len(columns), 1.6 * num_rows), squeeze=False)
    for row in range(num_rows):
        for col, name in enumerate(columns):
            axes[row, col].imshow(np.clip(images[name][row], 0, 1))
            axes[row, col].axis("off")
            if row == 0:
                axes[row, col].set_title(name, fontsize=7)
    save_figure(figure, out / "grid.png")


def write_episode(env: gym.Env, policy: policies.Policy, out: Path) -> None:
    """episode.png: the env's rgb_array render after reset and after every step."""
    observation, info = env.reset(options={"index": 0})
    frames, terminated = [env.render()], False
    while not terminated:
        observation, _, terminated, _, info = env.step(policy(observation, info, env))
        frames.append(env.render())
    figure, axes = plt.subplots(len(frames), 1, figsize=(8, 2.2 * len(frames)), squeeze=False)
    for step, (axis, frame) in enumerate(zip(axes[:, 0], frames)):
        axis.imshow(frame)
        axis.axis("off")
        evs = ", ".join(f"{ev:+.2f}" for ev in info["evs"][:step])
        axis.set_title(f"t={step}  EVs [{evs}]   original | local S^l | fused P_T | segments", fontsize=8)
    save_figure(figure, out / "episode.png")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="exposure-demo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=24, help="held-out photos to evaluate (default: 24)")
    parser.add_argument("--grid-rows", type=int, default=6, help="photos shown in grid.png (default: 6)")
    parser.add_argument("--out", type=Path, default=Path("reports/demo"), help="report folder (default: reports/demo)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random policy (default: 0)")
    args = parser.parse_args(argv)
    if args.photos < 1:
        parser.error(f"--photos must be >= 1, got {args.photos}")

    env = gym.make("ExposureRetouch-v0", pool="embedded:test", render_mode="rgb_array")
    if args.photos > len(env.unwrapped.pool):
        parser.error(f"--photos {args.photos} exceeds the {len(env.unwrapped.pool)} held-out photos")
    rows, images = evaluate(env, default_policies(args.seed), args.photos)
    write_tables(rows, args.out)
    write_grid(images, min(args.grid_rows, args.photos), args.out)
    write_episode(env, policies.segment_auto_exposure, args.out)
    print((args.out / "results.md").read_text())
    print(f"report written to {args.out.resolve()}")


if __name__ == "__main__":
    main()
