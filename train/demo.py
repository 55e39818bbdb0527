"""exposure-demo: roll out ExposureRetouch-v0 with fixed policies on held-out photos and write a report.

No training: seconds. Writes into --out (default reports/demo):
  results.csv / results.md  per-method packaged-critic score, PSNR, SSIM, CIEDE2000, |ΔL*| and r(L*) against the
                            targets, clipped highlight and shadow shares, mean L*
  grid.png                  before/after grid: raw | each method | expert target, one row per source photo
  episode.png               the env's own render of one episode of the segment auto-exposure policy, step by step

    exposure-demo --photos 24 --out reports/demo
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported in the functions: --help answers before OpenCV and torch load
    import gymnasium as gym

    from train import policies
    from train.evaluate import Method

#: the policy whose episode episode.png shows
EPISODE_POLICY = "segment auto-exposure"


def demo_methods(seed: int) -> dict[str, Method]:
    """The reference rows of every evaluation, plus a random and a per-segment auto-exposure policy."""
    from train import policies
    from train.evaluate import policy_method, reference_methods

    return {**reference_methods(), "random": policy_method(policies.make_random(seed)),
            EPISODE_POLICY: policy_method(policies.segment_auto_exposure)}


def write_episode(env: gym.Env, policy: policies.Policy, name: str, out: Path) -> None:
    """episode.png: the env's rgb_array render after reset and after every step, titled with the policy's ``name``."""
    from train.evaluate import pyplot, save_figure

    plt = pyplot()
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
    figure.suptitle(f"one episode of the {name} policy on {env.unwrapped.pool[0].name}")
    save_figure(figure, out / "episode.png")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="exposure-demo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=24, help="held-out photos to evaluate (default: 24)")
    parser.add_argument("--grid-rows", type=int, default=6,
                        help="photos shown in grid.png, one per source photo (default: 6)")
    parser.add_argument("--out", type=Path, default=Path("reports/demo"), help="report folder (default: reports/demo)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random policy (default: 0)")
    args = parser.parse_args(argv)
    if args.photos < 1:
        parser.error(f"--photos must be >= 1, got {args.photos}")
    import gymnasium as gym

    import exposure_env  # noqa: F401  (registers the env)
    from train import policies
    from train.evaluate import evaluate, grid_images, source_rows, write_grid, write_tables

    env = gym.make("ExposureRetouch-v0", pool="embedded:test", render_mode="rgb_array")
    if args.photos > len(env.unwrapped.pool):
        parser.error(f"--photos {args.photos} exceeds the {len(env.unwrapped.pool)} held-out photos")
    methods = demo_methods(args.seed)
    rows, _ = evaluate(env, methods, args.photos)
    write_tables(rows, args.out, f"{args.photos} held-out photos (embedded:test)")
    images = grid_images(env, methods, source_rows(env.unwrapped.pool, args.photos, args.grid_rows))
    write_grid(images, len(images["raw"]), args.out)
    write_episode(env, policies.segment_auto_exposure, EPISODE_POLICY, args.out)
    print((args.out / "results.md").read_text())
    print(f"report written to {args.out.resolve()}")


def entry_point() -> None:
    """Console script: a stop signal (:func:`~train.console.run_tool`) is reported in one line and exits 130 (SIGINT),
    143 (SIGTERM) or 129 (SIGHUP); the report is written atomically at the end, so nothing half-written stays."""
    from train.console import run_tool

    run_tool(lambda: main() or 0, "exposure-demo")


if __name__ == "__main__":
    entry_point()
