"""Clean render: the full-resolution defects of Alg. 3's render, measured against real fusions (issue 30).

The shipped policy decides on each frame of ``sice_sequences/dev`` (its 64-px thumbnail, an env
episode as ``exposure-retouch`` runs it); each decision is rendered on the 512-px frame as
``exposure-retouch`` renders the file (:func:`exposure_env.retouch.apply_exposures`), once per
render variant, and judged at full size against the frame's target, the Mertens fusion of its
real sequence, which is less noisy than one lifted frame:

  dark ΔE2000, dark chroma   over the pixels whose input L* is below 25 (pooled over frames):
                             mean CIEDE2000 to the target, and the mean |C*(result) − C*(target)|
  noise, blocks              in flat areas (the target's 7×7 local std of L* below 1.5): the
                             result's mean 7×7 local std of L*, a*, b* and its mean |step| of L*
                             across the 8×8 JPEG block boundaries, each as a ratio to the target's
  halo                       mean ΔE2000 within 12 px of a border of the env's Otsu segments of
                             the frame, over the mean ΔE2000 elsewhere
  clipping                   shares of luma ≥ 254 and ≤ 1 (:func:`exposure_env.metrics.clipped_shares`),
                             mean over frames, against the target's
  pushed highlights          over the pixels the decision's brightest exposure pushes past white (the
                             input's largest linear channel × 2^max(e_t) > 1, pooled over frames): mean
                             CIEDE2000 to the target, and the result's mean 7×7 local std of L* as a ratio
                             to the target's (below 1: detail clipped away)
  L* shift                   mean over frames of the result's mean L* minus the target's
                             (:func:`exposure_env.metrics.lightness`): brighter (+) or darker (−) overall
  PSNR, ΔE2000 @256          result and target shrunk to 256 px (:func:`train.evaluate.judged_pair`)

and the shipped policy's decisions on ``photos_by_people/fivek_dev`` (16 photos, expert C's
retouches as targets), rendered by each variant at the photo's size and judged at 512 px.

Writes into ``--out``: results.md (one row per variant, the target's own row where it has one;
then the fivek dev table), results.csv, evs.json and evs_fivek.json (the decisions, reused by
later runs) and crops_<defect>.jpg: 1:1 crops (input | first variant | last variant | target) of
the worst frames for each defect, worst first (highlights: the frames whose first variant clips most of the
target's detail, the crop where it does).

    python -m train.experiments.clean_render --out docs/results/clean_render
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from skimage.color import deltaE_ciede2000, lab2lch, rgb2lab

from exposure_env.metrics import HIGHLIGHT_LEVEL, clipped_shares, delta_e, lightness, psnr
from exposure_env.ops.color import luma, srgb_to_linear
from exposure_env.ops.exposure import SHOULDER_KNEE
from exposure_env.ops.layout import to_uint8
from exposure_env.ops.segmentation import segment
from train.console import progress
from train.evaluate import judged_pair, shrink

#: input L* below which a pixel counts as dark
DARK_LSTAR = 25.0
#: 7×7 local std of the target's L* below which a pixel counts as flat
FLAT_STD, WINDOW = 1.5, 7
#: half-width in pixels of the band around segment borders (the issue saw 20-40 px glows on larger photos)
HALO_BAND = 12
#: JPEG block size
BLOCK = 8
#: frames per crop sheet and the side of each 1:1 crop
SHEET_ROWS, CROP = 4, 160

#: render variants: name -> apply_exposures keyword arguments (the ablation rows)
VARIANTS: dict[str, dict[str, Any]] = {
    "today": {"denoise": False},
    "saturation weight 0 (changes P_T)": {"denoise": False, "fusion_weights": (1.0, 0.0, 1.0)},
    "noise-aware gain (new default)": {"denoise": True},
    f"noise-aware gain + highlight shoulder, knee {SHOULDER_KNEE} (opt-in)": {"denoise": True,
                                                                             "shoulder": SHOULDER_KNEE},
    "noise-aware gain + highlight shoulder, knee 0.8": {"denoise": True, "shoulder": 0.8},
    "noise-aware gain + highlight shoulder, knee 0.1 (the fusion look's since round 9)": {"denoise": True,
                                                                                          "shoulder": 0.1},
}
#: ``--decider`` values: whose EVs are rendered
POLICY, ORACLE = "policy", "oracle"
#: the crop sheets written, one per defect
DEFECTS = ("dark", "noise", "halo", "clipping", "highlights")


def decisions(pool_dir: Path, cache: Path, decider: str = POLICY) -> list[dict]:
    """The EVs ``decider`` chooses on every frame of ``pool_dir``, cached in ``cache``.

    Args:
        decider: ``"policy"``, the shipped policy (an env episode each, as ``exposure-retouch`` runs it), or
            ``"oracle"``, the best T EVs for the PSNR of P_T to the frame's target
            (:func:`train.evaluate.oracle_evs`): what the render makes of the best decision the action space holds.

    The policy's rows record the SHA-256 of the packaged ``policy.pt`` that decided; rows written before that
    field existed are taken as they are (the historic tables of ``docs/results/clean_render`` reuse them).

    Raises:
        SystemExit: ``cache`` holds another decider's EVs, or another policy's.
    """
    from agents.deep_exposure import file_sha256
    from agents.looks import policy_files

    policy_sha256 = file_sha256(policy_files()[0]) if decider == POLICY else None
    if cache.exists():
        rows = json.loads(cache.read_text())
        if any(row.get("decider", POLICY) != decider for row in rows):
            raise SystemExit(f"clean_render: {cache} holds another decider's EVs than --decider {decider}")
        if any(row.get("policy_sha256", policy_sha256) != policy_sha256 for row in rows):
            raise SystemExit(f"clean_render: {cache} holds the decisions of another policy than the packaged one "
                             f"(agents/weights/policy.pt); delete it to decide again")
        return rows
    import gymnasium as gym

    import exposure_env  # noqa: F401  (registers the env)
    from agents.oracle import SET_ORACLE
    from agents.packaged import load_packaged_policy
    from train.evaluate import model_policy, oracle_evs, roll_out

    policy = load_packaged_policy()
    env = gym.make("ExposureRetouch-v0", pool=str(pool_dir), **policy.env_kwargs)
    pool = env.unwrapped.pool
    rows = []
    for index in progress(range(len(pool)), desc=f"clean_render: {decider} decisions on {pool_dir}", unit="frame"):
        evs = (roll_out(env, model_policy(policy), index)["evs"] if decider == POLICY
               else [float(ev) for ev in oracle_evs(env, index, SET_ORACLE)[2]])
        rows.append({"name": pool.raw_files[index].name, "decider": decider, "evs": evs,
                     **({"policy_sha256": policy_sha256} if decider == POLICY else {})})
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(rows, indent=0))
    return rows


def fivek_table(fivek_dir: Path, cache: Path, variants: list[str], decider: str = POLICY) -> str:
    """Markdown: PSNR, ΔE2000 and L* shift (as the sice table's) at 512 px of each variant's render of
    ``decider``'s decisions (:func:`decisions`) on fivek dev."""
    from exposure_env.data import FolderPool

    pool = FolderPool(fivek_dir / "raw", fivek_dir / "expert")
    chosen = decisions(fivek_dir, cache, decider)
    lines = ["| render | PSNR dB @512 ↑ | ΔE2000 @512 ↓ | L* − target's |", "|---|---|---|---|"]
    for name in variants:
        pairs = [judged_pair(pool, index, lambda raw, evs=chosen[index]["evs"]: render(raw, evs, VARIANTS[name]), 512)
                 for index in range(len(chosen))]
        lines.append(f"| {name} | {np.mean([psnr(*pair) for pair in pairs]):.2f} | "
                     f"{np.mean([delta_e(*pair) for pair in pairs]):.2f} | "
                     f"{np.mean([lightness(result) - lightness(target) for result, target in pairs]):+.2f} |")
    return "\n".join(lines) + "\n"


def local_std(image: np.ndarray) -> np.ndarray:
    """``(H, W[, C])`` float: the std over each pixel's :data:`WINDOW` × :data:`WINDOW` box (reflect-101 borders)."""
    mean = cv2.blur(image, (WINDOW, WINDOW))
    return np.sqrt(np.maximum(cv2.blur(image * image, (WINDOW, WINDOW)) - mean * mean, 0.0))


def block_steps(lightness: np.ndarray, mask: np.ndarray) -> float:
    """Mean |L* step| across the 8×8 block boundaries (columns and rows ``8k−1 | 8k``) where ``mask`` holds on
    both sides."""
    steps, keep = [], []
    for axis in (0, 1):
        before = np.take(lightness, np.arange(BLOCK - 1, lightness.shape[axis] - 1, BLOCK), axis=axis)
        after = np.take(lightness, np.arange(BLOCK, lightness.shape[axis], BLOCK), axis=axis)
        inside = np.take(mask, np.arange(BLOCK - 1, mask.shape[axis] - 1, BLOCK), axis=axis) & np.take(
            mask, np.arange(BLOCK, mask.shape[axis], BLOCK), axis=axis)
        steps.append(np.abs(after - before)[inside])
    values = np.concatenate(steps)
    return float(values.mean()) if values.size else float("nan")


def border_band(image: np.ndarray, num_segments: int = 4) -> np.ndarray:
    """``(H, W)`` bool: within :data:`HALO_BAND` px of a border between the env's Otsu segments of ``image``."""
    labels = segment(image, num_segments).argmax(axis=0).astype(np.uint8)
    kernel = np.ones((3, 3), np.uint8)
    border = cv2.dilate(labels, kernel) != cv2.erode(labels, kernel)
    band = cv2.dilate(border.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * HALO_BAND + 1,) * 2))
    return band.astype(bool)


def pushed_past_white(raw: np.ndarray, evs: list[float]) -> np.ndarray:
    """``(H, W)`` bool: the pixels the brightest of ``evs`` pushes past white (a channel's linear value × 2^e > 1)."""
    return srgb_to_linear(raw).max(axis=-1) * 2.0 ** max(evs) > 1.0


def clipped_detail(result: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``(H, W)`` float32: the target's 7×7 local std of L* where ``result``'s luma is clipped (≥ 254), else 0."""
    target_std = local_std(rgb2lab(target)[..., 0].astype(np.float32))
    return target_std * (luma(result) >= HIGHLIGHT_LEVEL)


def frame_measures(raw: np.ndarray, result: np.ndarray, target: np.ndarray, evs: list[float]) -> dict[str, Any]:
    """Sums and counts of every defect measure on one frame (pooled over frames by :func:`summarise`).

    Args:
        raw, result, target: ``(H, W, 3)`` float32 sRGB in ``[0, 1]``.
        evs: the decision's exposures in stops.
    """
    lab_raw, lab_result, lab_target = rgb2lab(raw), rgb2lab(result), rgb2lab(target)
    error = deltaE_ciede2000(lab_result, lab_target)
    dark = lab_raw[..., 0] < DARK_LSTAR
    chroma_gap = np.abs(lab2lch(lab_result)[..., 1] - lab2lch(lab_target)[..., 1])
    flat = local_std(lab_target[..., 0].astype(np.float32)) < FLAT_STD
    noise_result = local_std(lab_result.astype(np.float32)).mean(axis=-1)
    noise_target = local_std(lab_target.astype(np.float32)).mean(axis=-1)
    pushed = pushed_past_white(raw, evs)
    detail_result = local_std(lab_result[..., 0].astype(np.float32))
    detail_target = local_std(lab_target[..., 0].astype(np.float32))
    band = border_band(raw)
    shares, target_shares = clipped_shares(result), clipped_shares(target)
    small = shrink(result, 256), shrink(target, 256)
    return {
        "dark_n": int(dark.sum()), "dark_de": float(error[dark].sum()), "dark_chroma": float(chroma_gap[dark].sum()),
        "flat_n": int(flat.sum()), "noise": float(noise_result[flat].sum()), "noise_t": float(noise_target[flat].sum()),
        "blocks": block_steps(lab_result[..., 0], flat), "blocks_t": block_steps(lab_target[..., 0], flat),
        "pushed_n": int(pushed.sum()), "pushed_de": float(error[pushed].sum()),
        "pushed_detail": float(detail_result[pushed].sum()), "pushed_detail_t": float(detail_target[pushed].sum()),
        "clipped_detail": float(clipped_detail(result, target).mean()),
        "band_de": float(error[band].mean()) if band.any() else float("nan"),
        "rest_de": float(error[~band].mean()) if (~band).any() else float("nan"),
        "highlights": shares["highlights"], "shadows": shares["shadows"],
        "highlights_t": target_shares["highlights"], "shadows_t": target_shares["shadows"],
        "lightness_shift": lightness(result) - lightness(target),
        "psnr256": psnr(*small), "de256": delta_e(*small),
    }


def frame_scores(m: dict[str, Any]) -> dict[str, float]:
    """The per-frame badness used to pick the worst frames of each defect for the crop sheets."""
    return {
        "dark": m["dark_de"] / m["dark_n"] if m["dark_n"] > 2000 else -1.0,
        "noise": m["noise"] / m["noise_t"] if m["flat_n"] > 2000 and m["noise_t"] > 0 else -1.0,
        "halo": m["band_de"] / m["rest_de"] if m["rest_de"] > 0 else -1.0,
        "clipping": m["highlights"] - m["highlights_t"] + m["shadows"] - m["shadows_t"],
        "highlights": m["clipped_detail"],
    }


def summarise(frames: list[dict[str, Any]]) -> dict[str, float]:
    """Pooled measures over frames: dark means are per dark pixel, ratios of pooled sums, the rest frame means."""
    total = {key: np.nansum([frame[key] for frame in frames]) for key in frames[0]}
    mean = {key: float(np.nanmean([frame[key] for frame in frames])) for key in frames[0]}
    return {
        "dark_de": total["dark_de"] / total["dark_n"], "dark_chroma": total["dark_chroma"] / total["dark_n"],
        "noise_ratio": total["noise"] / total["noise_t"], "block_ratio": mean["blocks"] / mean["blocks_t"],
        "halo_ratio": mean["band_de"] / mean["rest_de"],
        "pushed_de": total["pushed_de"] / total["pushed_n"],
        "pushed_detail": total["pushed_detail"] / total["pushed_detail_t"],
        "highlights": mean["highlights"], "shadows": mean["shadows"],
        "highlights_t": mean["highlights_t"], "shadows_t": mean["shadows_t"],
        "lightness_shift": mean["lightness_shift"], "psnr256": mean["psnr256"], "de256": mean["de256"],
    }


COLUMNS = (("dark_de", "dark ΔE2000 ↓", 2), ("dark_chroma", "dark \\|ΔC*\\| ↓", 2),
           ("noise_ratio", "flat noise ÷ target ↓", 2), ("block_ratio", "8×8 block step ÷ target ↓", 2),
           ("halo_ratio", "border ΔE ÷ elsewhere ↓", 3), ("pushed_de", "pushed ΔE2000 ↓", 2),
           ("pushed_detail", "pushed detail ÷ target ↑", 3), ("highlights", "highlights ≥254", 4),
           ("shadows", "shadows ≤1", 4), ("lightness_shift", "L* − target's", 2), ("psnr256", "PSNR dB @256 ↑", 2),
           ("de256", "ΔE2000 @256 ↓", 2))


def table(rows: dict[str, dict[str, float]]) -> str:
    """Markdown: one row per variant, then the target's own shares."""
    lines = ["| render | " + " | ".join(label for _, label, _ in COLUMNS) + " |", "|---|" + "---|" * len(COLUMNS)]
    for name, row in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{row[key]:.{digits}f}" for key, _, digits in COLUMNS) + " |")
    first = next(iter(rows.values()))
    target = {"noise_ratio": 1.0, "block_ratio": 1.0, "pushed_detail": 1.0, "lightness_shift": 0.0,
              "highlights": first["highlights_t"], "shadows": first["shadows_t"]}
    lines.append("| target (the fusion of the real sequence) | " + " | ".join(
        f"{target[key]:.{digits}f}" if key in target else "–" for key, _, digits in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def crop_at(image: np.ndarray, centre: tuple[int, int]) -> np.ndarray:
    """The :data:`CROP` × :data:`CROP` window of ``image`` around ``centre`` (kept inside the frame)."""
    top = int(np.clip(centre[0] - CROP // 2, 0, image.shape[0] - CROP))
    left = int(np.clip(centre[1] - CROP // 2, 0, image.shape[1] - CROP))
    return image[top:top + CROP, left:left + CROP]


def worst_window(raw: np.ndarray, result: np.ndarray, target: np.ndarray, defect: str) -> tuple[int, int]:
    """Where the defect is worst on one frame: the centre of the :data:`CROP`-px box with the most error of its kind."""
    error = deltaE_ciede2000(rgb2lab(result), rgb2lab(target)).astype(np.float32)
    lab_raw = rgb2lab(raw)
    if defect == "dark":
        error = error * (lab_raw[..., 0] < DARK_LSTAR)
    elif defect == "noise":
        error = local_std(rgb2lab(result).astype(np.float32)).mean(axis=-1) * (
            local_std(rgb2lab(target)[..., 0].astype(np.float32)) < FLAT_STD)
    elif defect == "halo":
        error = error * border_band(raw)
    elif defect == "highlights":
        error = clipped_detail(result, target)
    else:
        error = (np.abs(result - target).mean(axis=-1) * ((result.max(axis=-1) >= 254 / 255) | (
            result.max(axis=-1) <= 1 / 255))).astype(np.float32)
    box = cv2.blur(error, (CROP // 2, CROP // 2))
    return tuple(int(v) for v in np.unravel_index(np.argmax(box), box.shape))


def write_sheet(path: Path, rows: list[list[np.ndarray]]) -> None:
    """Rows of equal crops, 4 px apart, as a JPEG (quality 92)."""
    gap = np.ones((CROP, 4, 3), np.float32)
    lines = [np.concatenate([part for crop in row for part in (crop, gap)][:-1], axis=1) for row in rows]
    sheet = np.concatenate([part for line in lines for part in (line, np.ones((4, line.shape[1], 3), np.float32))][:-1])
    cv2.imwrite(str(path), cv2.cvtColor(to_uint8(sheet), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])


def render(raw: np.ndarray, evs: list[float], options: dict[str, Any]) -> np.ndarray:
    """The decision on the 8-bit frame as ``exposure-retouch`` writes it, float32 ``code / 255``."""
    from exposure_env.retouch import apply_exposures

    return apply_exposures(to_uint8(raw), evs, **options).astype(np.float32) / np.float32(255.0)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m train.experiments.clean_render", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sice", type=Path, default=Path("../shared/data/sice_sequences/dev"),
                        help="raw/ + expert/ frames and their sequences' fusions (default: %(default)s)")
    parser.add_argument("--fivek", type=Path, default=Path("../shared/data/photos_by_people/fivek_dev"),
                        help="raw/ + expert/ photos retouched by a person, judged at 512 px (default: %(default)s)")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS),
                        help="render variants to measure; the sheets show the first and the last (default: all)")
    parser.add_argument("--stride", type=int, default=1, help="only every N-th frame (default: all frames)")
    parser.add_argument("--out", type=Path, default=Path("reports/clean_render"))
    parser.add_argument("--decisions", type=Path, default=None,
                        help="folder of the cached evs.json and evs_fivek.json to reuse (default: --out)")
    parser.add_argument("--decider", choices=(POLICY, ORACLE), default=POLICY,
                        help="whose EVs are rendered: the shipped policy's, or the oracle's best T EVs, which "
                             "know the target (what the render makes of the best decision; default: %(default)s)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from exposure_env.data import FolderPool

    args = parse_args(argv)
    pool = FolderPool(args.sice / "raw", args.sice / "expert")
    cache = args.out if args.decisions is None else args.decisions
    chosen = decisions(args.sice, cache / "evs.json", args.decider)
    frames: dict[str, list[dict]] = {name: [] for name in args.variants}
    indices = range(0, len(chosen), args.stride)
    for index in progress(indices, desc=f"clean_render: rendering {len(args.variants)} variants", unit="frame"):
        sample, decision = pool[index], chosen[index]
        if pool.raw_files[index].name != decision["name"]:
            raise SystemExit(f"clean_render: {args.out / 'evs.json'} is for other frames ({decision['name']})")
        for name in args.variants:
            frames[name].append(frame_measures(sample.raw, render(sample.raw, decision["evs"], VARIANTS[name]),
                                               sample.target, decision["evs"]))
    rows = {name: summarise(per_frame) for name, per_frame in frames.items()}
    args.out.mkdir(parents=True, exist_ok=True)
    fivek = fivek_table(args.fivek, cache / "evs_fivek.json", args.variants, args.decider)
    (args.out / "results.md").write_text(
        f"## sice dev: every {args.stride}. frame of {len(chosen)}, rendered and measured at 512 px\n\n{table(rows)}\n"
        f"## fivek dev: {args.fivek.name}, the same decisions' renders judged at 512 px\n\n{fivek}")
    with open(args.out / "results.csv", "w") as file:
        keys = list(next(iter(rows.values())))
        file.write("variant," + ",".join(keys) + "\n")
        file.writelines(f"{name}," + ",".join(f"{row[key]:.6g}" for key in keys) + "\n" for name, row in rows.items())
    today, new = args.variants[0], args.variants[-1]
    for defect in DEFECTS:
        badness = [frame_scores(frame)[defect] for frame in frames[today]]
        sheet = []
        for rank in np.argsort(badness)[::-1][:SHEET_ROWS]:
            index = indices[int(rank)]
            sample, evs = pool[index], chosen[index]["evs"]
            before, after = render(sample.raw, evs, VARIANTS[today]), render(sample.raw, evs, VARIANTS[new])
            centre = worst_window(sample.raw, before, sample.target, defect)
            sheet.append([crop_at(image, centre) for image in (sample.raw, before, after, sample.target)])
        write_sheet(args.out / f"crops_{defect}.jpg", sheet)
    print(table(rows) + "\n" + fivek)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
