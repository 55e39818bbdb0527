"""Blown highlights and lightness on real photos: where a policy clips, beside the fixed methods and the oracle.

Issue 13 asks a real-photo policy to clip no more highlights (luma ≥ 254/255) than the ±2 EV
bracket, and says the first shipped policy left low-light photos dark (mean L* near 20). This
experiment shows where a policy clips, how light it leaves the darkest photos, and what holding
its highlights would cost. Every method decides on the 64-pixel thumbnail and is judged rendered
on the photo at --render-side pixels (against the target at that size on paired photos), as
``exposure-eval --render-side`` does.

Rows: identity, both global auto-exposures, the ±2 EV bracket, the policy, the policy with its
darkest exposure capped so that it holds the photo's brightest pixel at a luma level (the cap is
the EV that brings the thumbnail's brightest luma to each --cap-levels value; 253.5 is just
below a blown highlight, lower levels hold the highlights further down; a diagnostic of what
holding the highlights costs, not a method we ship), and on paired photos both oracles; the
targets' own clipped share is in the header.

Writes into --out (default reports/highlights):
  results.md, results.csv   the rows, judged at --render-side pixels
  highlights.png            the photos where the policy clips most: raw | bracket | log-average
                            auto-exposure | policy | best-T-EV oracle | target (the last two on
                            paired photos), clipped pixels red

    python -m train.experiments.highlights --model packaged --pool ../shared/data/sice_sequences/dev
    python -m train.experiments.highlights --model packaged --pool ../shared/data/real_dev/sice
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path
from typing import Any, Callable

import gymnasium as gym
import numpy as np

import exposure_env  # noqa: F401  (registers the env)
from agents.oracle import SET_ORACLE
from exposure_env.metrics import HIGHLIGHT_LEVEL, clipped_shares, lightness, unpaired_metrics
from exposure_env.ops.color import luma, srgb_to_linear
from train import evaluate, policies
from train.common import write_csv, write_report
from train.console import progress

#: frames shown in highlights.png, and their longer side in pixels
PICTURED, PICTURE_SIDE = 6, 192
POLICY = "DeepExposure (the policy)"
#: the columns of highlights.png between raw and the target
PICTURED_METHODS = ("bracket -2..+2 EV", "global auto-exposure, log-average", POLICY, SET_ORACLE)
ROW_METRICS = (("psnr", 2), ("ssim", 3), ("delta_e", 2), ("highlights", 4), ("shadows", 4), ("lightness", 1))
#: the share of the photos, darkest first by the raw photo's mean L*, whose lightness the header reports
DARKEST_SHARE = 1 / 3


def highlight_cap(srgb: np.ndarray, level: float) -> float:
    """The EV (stops) that brings the photo's brightest luma to ``level``.

    Args:
        srgb: ``(H, W, 3)`` float sRGB in ``[0, 1]``.
        level: the luma (sRGB, 0..255) to bring the brightest pixel to; 253.5 is just below a blown
            highlight (254).

    Returns:
        The EV; exposure acts on linear light, so it is the difference of the two luma levels in
        linear stops (luma taken of the sRGB values, then linearised: exact for grey pixels).
    """
    brightest = float(srgb_to_linear(np.float32(luma(srgb).max())))
    return float(np.log2(srgb_to_linear(np.float32(level / 255.0))) - np.log2(max(brightest, 1e-6)))


#: ``episode(env, index) -> roll_out's record`` of one policy (:func:`played`)
Episodes = Callable[[gym.Env, int], dict]


def played(policy: policies.Policy, settings: dict[str, Any] | None = None) -> Episodes:
    """``policy``'s episode of each photo (:func:`~train.evaluate.roll_out`, in the MDP of ``settings``), played
    once and kept: the policy is deterministic, so its row, its capped rows, the per-photo figures and the
    pictures share one decision."""
    return functools.cache(lambda env, index: evaluate.roll_out(env, policy, index, settings))


def capped_method(episodes: Episodes, level: float) -> evaluate.Method:
    """A policy's decisions (``episodes``) with the darkest exposure lowered to :func:`highlight_cap` at ``level``
    where it is brighter, rendered in the MDP the episode was played in."""
    def method(env: gym.Env, index: int) -> evaluate.Outcome:
        episode = episodes(env, index)
        evs = np.asarray(episode["evs"], dtype=float)
        darkest = int(evs.argmin())
        evs[darkest] = min(evs[darkest], highlight_cap(episode["original"], level))
        mdp = episode["mdp"]
        render = evaluate.fuse_evs(evs, mdp.fusion_weights, mdp.fuse_input, mdp.shoulder)
        return evaluate.Outcome(render(episode["original"]), episode["original"], episode["target"], render)

    return method


def capped_name(level: float) -> str:
    """The row of :func:`capped_method` at ``level``."""
    return f"the policy, darkest exposure holding the brightest pixel at {level:g}/255"


def mark_highlights(image: np.ndarray) -> np.ndarray:
    """``image`` ``(H, W, 3)`` float sRGB with its blown pixels (luma ≥ 254/255) painted pure red."""
    marked = np.clip(image, 0.0, 1.0).copy()
    marked[luma(marked) >= HIGHLIGHT_LEVEL] = (1.0, 0.0, 0.0)
    return marked


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.experiments.highlights", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=Path(evaluate.PACKAGED),
                        help="the policy: a model file or packaged (the shipped one, default)")
    parser.add_argument("--pool", default="../shared/data/sice_sequences/dev",
                        help="a folder of photos, or one with raw/ and expert/ for the paired metrics and the oracles "
                             "(default: ../shared/data/sice_sequences/dev)")
    parser.add_argument("--photos", type=int, default=None, help="frames to judge, from the first (default: all)")
    parser.add_argument("--max-ev", type=float, default=None,
                        help="EV range of the env and the oracles (default: the model's own)")
    parser.add_argument("--render-side", type=int, default=256, help="pixels each decision is judged at (default: 256)")
    parser.add_argument("--cap-levels", type=float, nargs="*", default=[253.5, 192.0, 128.0],
                        help="lumas (of 255) at which the capped rows hold the brightest pixel (default: 253.5 192 "
                             "128)")
    parser.add_argument("--out", type=Path, default=Path("reports/highlights"), help="report folder")
    args = parser.parse_args(argv)
    if not Path(args.pool).is_dir():
        parser.error(f"--pool {args.pool}: not a folder")
    if args.render_side < 8 or (args.photos is not None and args.photos < 1):
        parser.error("--render-side must be >= 8 pixels and --photos >= 1")
    if not all(0.0 < level < 255.0 for level in args.cap_levels):
        parser.error(f"--cap-levels {args.cap_levels}: each must be a luma in (0, 255)")
    return args


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    try:
        model = evaluate.load_model(args.model, "deepexposure-discriminator")
        max_ev = args.max_ev or evaluate.trained_max_ev([model])
        env = gym.make("ExposureRetouch-v0", pool=args.pool, max_ev=max_ev)
    except (ValueError, OSError) as error:
        raise SystemExit(f"python -m train.experiments.highlights: error: {error}") from None
    pool = env.unwrapped.pool
    photos = min(args.photos or len(pool), len(pool))
    episodes = played(evaluate.model_policy(model), evaluate.trained_settings(model))
    reference = evaluate.reference_methods(paired=pool.paired)
    methods = {name: reference[name] for name in ("identity", "global auto-exposure",
                                                  "global auto-exposure, log-average", "bracket -2..+2 EV")}
    methods[POLICY] = lambda env, index: evaluate.episode_outcome(episodes(env, index))
    methods.update({capped_name(level): capped_method(episodes, level) for level in args.cap_levels})
    methods.update({name: method for name, method in reference.items() if name.startswith("oracle")})
    rows, _ = evaluate.evaluate(env, methods, photos, render_side=args.render_side)
    write_csv(args.out / "results.csv", rows, ["method", *evaluate.METRICS])

    # per photo: the policy's blown share, the raw photo's and the policy's lightness, the target's blown share
    figures = []
    for index in progress(range(photos), desc=f"highlights: rendering at {args.render_side} px", unit="photo"):
        photo, target = evaluate.grid_photo(pool, index, args.render_side)
        retouched = unpaired_metrics(methods[POLICY](env, index).render(photo))
        figures.append((retouched["highlights"], lightness(photo), retouched["lightness"],
                        np.nan if target is None else clipped_shares(target)["highlights"]))
    blown, raw_lightness, policy_lightness, target_blown = np.asarray(figures).T
    # the photos where the policy blows most pixels, rendered at PICTURE_SIDE, every blown pixel red
    worst = [int(index) for index in np.argsort(blown)[::-1][:PICTURED]]
    pictured = {name: methods[name] for name in PICTURED_METHODS if name in methods}
    images = evaluate.grid_images(env, pictured, worst, side=PICTURE_SIDE)
    images = {name: {row: mark_highlights(image) for row, image in column.items()} for name, column in images.items()}
    evaluate.write_grid(images, len(worst), args.out, name="highlights.png")

    darkest = np.argsort(raw_lightness)[: max(1, round(photos * DARKEST_SHARE))]
    lines = [f"`{args.pool}`: {photos} photos, EVs within ±{max_ev:g}, each decision made on the 64-pixel thumbnail "
             f"and rendered on the photo at {args.render_side} pixels. Highlights: share of pixels with luma ≥ "
             f"254/255; lightness: mean CIE L*. On the darkest third of the photos (raw mean L* "
             f"{raw_lightness[darkest].mean():.1f}) the policy's mean L* is {policy_lightness[darkest].mean():.1f}."]
    if pool.paired:
        lines.append(f"The targets themselves clip {target_blown.mean():.4f}; the policy clips more than its target on "
                     f"{np.mean(blown > target_blown + 0.005):.0%} of the photos (by more than 0.5 % of the pixels) and "
                     f"less on {np.mean(blown < target_blown - 0.005):.0%}.")
    lines += ["", "| method | PSNR dB ↑ | SSIM ↑ | ΔE2000 ↓ | highlights ≥254 ↓ | shadows ≤1 ↓ | mean L* |",
              "|---|---|---|---|---|---|---|"]
    for row in rows:
        cells = ["–" if np.isnan(row[metric]) else f"{row[metric]:.{digits}f}" for metric, digits in ROW_METRICS]
        lines.append(f"| {row['method']} | " + " | ".join(cells) + " |")
    lines.append(f"\nhighlights.png: the {len(worst)} photos where the policy clips most (photos {worst}), blown "
                 "pixels red.")
    table = "\n".join(lines) + "\n"
    write_report(args.out, table)
    return table


if __name__ == "__main__":
    main()
