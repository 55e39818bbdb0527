"""exposure-eval: score trained models and reference methods on a set of photos.

Every method turns each photo's thumbnail S0 into a result: a policy plays one episode of
ExposureRetouch-v0 (the result is the fused P_T), CLAHE equalises S0's lightness directly.
Always compared: identity, global auto-exposure (the mean or the log-average of the linear luma
brought to mid-grey), CLAHE on L, and the fixed brackets
−1.5/−0.5/+0.5/+1.5 EV and −2/−⅔/+⅔/+2 EV + Mertens; on paired photos also the two oracles
(best single EV, best T EVs for the PSNR to the target: the ceiling of the action space).
Metrics: packaged-critic score, shares of clipped highlights (luma ≥ 254/255) and crushed
shadows (luma ≤ 1/255), mean lightness (CIE L*, about 50 reads as well exposed), and on paired
sets PSNR, SSIM and CIEDE2000 to the expert target and lightness agreement: |ΔL*|, the mean
|L*(result) − L*(target)| per photo, and r(L*), the correlation over photos of the result's
mean L* with the target's (does a dark scene stay dark?).
They judge the thumbnail result, or with --render-side N each method's decision as
exposure-retouch renders it: on the photo at its full size, then shrunk with the target to N
pixels (the critic score stays on the thumbnail).
The bar a learned policy must clear is global auto-exposure: it lies inside the action space
(all T EVs equal).

Writes into --out (default reports/eval): results.csv, results.md and grid.png (raw |
each method | target, one row per source photo, each method's EVs applied to the photo at its
own size up to 384 pixels). Several --pool get a section each in results.md and a
grid_<folder>.png each: the two yardsticks of real photos side by side, fusion targets and
a professional's retouches (expert C of MIT-Adobe FiveK).

    exposure-eval --model runs/deepexposure-discriminator/model.zip --pool embedded:test --photos 32
    exposure-eval --model runs/ppo/model.zip runs/sac/model.zip --pool ~/photos
    exposure-eval --model my_ppo.zip --algo ppo   # a model saved by plain SB3 save(), which names no algorithm
    exposure-eval --model packaged          # the policy that ships with the package
    exposure-eval --model packaged packaged:people --pool sice_sequences/dev   # both shipped looks
    exposure-eval --model packaged --pool sice_sequences/dev --photos 291 --render-side 256
    exposure-eval --model packaged --pool sice_sequences/dev photos_by_people/fivek_dev --photos 291 \\
        --render-side 256 512
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import re
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, NamedTuple, Sequence

import numpy as np

from agents import algorithms

if TYPE_CHECKING:  # the rest is imported where it is used: --help and argument errors answer before torch loads
    import gymnasium as gym
    import matplotlib.pyplot as plt
    from stable_baselines3.common.base_class import BaseAlgorithm

    from agents.packaged import ActorPolicy
    from train import policies

#: the env's default EV range, used when no model records its own
DEFAULT_MAX_EV = 3.0
#: ``--model`` name of the shipped policy
PACKAGED = "packaged"
METRICS = ("score", "psnr", "ssim", "delta_e", "lightness_error", "lightness_r", "highlights", "shadows", "lightness")
#: longest side of the photos in grid.png
GRID_SIDE = 384


class Outcome(NamedTuple):
    """What a method made of one photo.

    Attributes:
        result: ``(S, S, 3)`` float32 sRGB: the method's result on the thumbnail S0.
        original: S0 itself.
        target: the thumbnail of the expert target, or ``None`` (unpaired photos).
        render: ``render(photo) -> result``: the same decision (EVs, or CLAHE) applied to the photo
            at any size, as ``exposure-retouch`` applies EVs at full resolution (Alg. 3).
    """

    result: np.ndarray
    original: np.ndarray
    target: np.ndarray | None
    render: Callable[[np.ndarray], np.ndarray]


#: ``method(env, index) -> Outcome``
Method = Callable[["gym.Env", int], Outcome]


def roll_out(env: gym.Env, policy: policies.Policy, index: int, settings: dict[str, Any] | None = None) -> dict:
    """One episode on pool photo ``index``; returns the return, P_T, S0 (``original``), target (or ``None``), the
    EVs and the MDP it was played in (``mdp``, which its render follows).

    Args:
        settings: MDP settings that differ from the env's for this episode (:func:`trained_settings`: a model is
            judged in the MDP it was trained in).
    """
    unwrapped = env.unwrapped
    mdp = unwrapped.mdp
    changed = {name: value for name, value in (settings or {}).items() if getattr(mdp, name) != value}
    unwrapped.mdp = dataclasses.replace(mdp, **changed) if changed else mdp
    try:
        observation, info = env.reset(options={"index": index})
        original = observation["original"].astype(np.float32) / 255.0
        episode_return, terminated = 0.0, False
        while not terminated:
            observation, reward, terminated, _, info = env.step(policy(observation, info, env))
            episode_return += reward
        played = unwrapped.mdp
    finally:
        unwrapped.mdp = mdp
    return {"return": episode_return, "fused": info["fused"], "original": original, "target": info.get("target"),
            "evs": list(info["evs"]), "mdp": played}


def fuse_evs(evs: Iterable[float], fusion_weights: tuple[float, float, float], fuse_input: bool = False,
             shoulder: float | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """``render(photo)``: the photo's 8-bit codes exposed at each EV and fused, exactly as ``exposure-retouch``
    renders an 8-bit file (Alg. 3, :func:`exposure_env.retouch.apply_exposures`; ``fuse_input`` and
    ``shoulder`` as the env's).

    ``photo`` is ``(H, W, 3)`` float32 sRGB in ``[0, 1]``, as a pool reads an 8-bit file (``code / 255``,
    so its codes come back exactly); the result is float32 ``code / 255`` of the uint8 output.
    """
    from exposure_env.ops.layout import to_uint8
    from exposure_env.retouch import apply_exposures

    evs = tuple(float(ev) for ev in evs)
    return lambda photo: (apply_exposures(to_uint8(photo), evs, fusion_weights, fuse_input, shoulder=shoulder)
                          .astype(np.float32) / np.float32(255.0))


def episode_outcome(episode: dict) -> Outcome:
    """What a :func:`roll_out` episode made of its photo: its P_T; it renders with the EVs it chose, in the MDP
    it was played in."""
    mdp = episode["mdp"]
    return Outcome(episode["fused"], episode["original"], episode["target"],
                   fuse_evs(episode["evs"], mdp.fusion_weights, mdp.fuse_input, mdp.shoulder))


def policy_method(policy: policies.Policy) -> Method:
    """A policy as a method: its episode's fused result; it renders with the EVs it chose."""
    return lambda env, index: episode_outcome(roll_out(env, policy, index))


def model_method(model: BaseAlgorithm | ActorPolicy) -> Method:  # noqa: F821
    """A trained model as a method (:func:`model_policy`), played and rendered in the MDP it was trained in
    (:func:`trained_settings`)."""
    policy, settings = model_policy(model), trained_settings(model)
    return lambda env, index: episode_outcome(roll_out(env, policy, index, settings))


def model_policy(model: BaseAlgorithm | ActorPolicy) -> policies.Policy:  # noqa: F821
    """An SB3 model (DeepExposure or a stock agent) or the packaged policy, acting deterministically."""
    return lambda observation, info, env: model.predict(observation, deterministic=True)[0]


def clahe(image: np.ndarray, clip_limit: float = 2.0, tiles: int = 8) -> np.ndarray:
    """CLAHE on the L channel of CIELAB (OpenCV): ``(H, W, 3)`` float sRGB -> same."""
    import cv2

    from exposure_env.ops.layout import to_uint8

    lab = cv2.cvtColor(to_uint8(image), cv2.COLOR_RGB2LAB)
    lab[..., 0] = cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=(tiles, tiles)).apply(lab[..., 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB).astype(np.float32) / 255.0


def clahe_method(env: gym.Env, index: int) -> Outcome:
    """CLAHE applied to the photo's thumbnail S0 (no episode)."""
    from exposure_env.ops.resize import thumbnail

    observation, _ = env.reset(options={"index": index})
    original = observation["original"].astype(np.float32) / 255.0
    target = env.unwrapped.pool[index].target
    target = None if target is None else thumbnail(target, env.unwrapped.mdp.size)
    return Outcome(clahe(original), original, target, clahe)


def oracle_evs(env: gym.Env, index: int, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The EVs an oracle of :mod:`agents.oracle` chooses for pool photo ``index``: ``GLOBAL_ORACLE`` or
    ``SET_ORACLE``.

    It knows the target: the best single EV, or the best T EVs, for the PSNR of P_T to the target's thumbnail,
    over the env's ``[-max_ev, max_ev]``. The ceiling of the action space, not a method a user has.

    Returns:
        S0 (``(S, S, 3)`` float32 sRGB, exactly what the env exposes), the target's thumbnail (the same) and the
        ``(T,)`` EVs in stops, dark segment first.
    """
    from agents.oracle import GLOBAL_ORACLE, best_exposure_set, best_global_ev
    from exposure_env.ops.resize import thumbnail

    observation, _ = env.reset(options={"index": index})
    mdp = env.unwrapped.mdp
    original = observation["original"].astype(np.float32) / 255.0
    target = thumbnail(env.unwrapped.pool[index].target, mdp.size)
    global_ev = best_global_ev(original, target, mdp.max_ev)
    evs = np.full(mdp.num_segments, global_ev) if kind == GLOBAL_ORACLE else best_exposure_set(
        original, target, mdp.num_segments, mdp.max_ev, global_ev=global_ev)
    return original, target, evs


def oracle_method(kind: str) -> Method:
    """:func:`oracle_evs` as a method (paired photos): P_T of the oracle's EVs, rendered with them."""
    from exposure_env.ops.fusion import fuse_exposures

    def method(env: gym.Env, index: int) -> Outcome:
        original, target, evs = oracle_evs(env, index, kind)
        mdp = env.unwrapped.mdp
        fused = fuse_exposures(original, evs, mdp.fusion_weights, shoulder=mdp.shoulder)  # P_T of an episode
        return Outcome(fused, original, target, fuse_evs(evs, mdp.fusion_weights, shoulder=mdp.shoulder))

    return method


def reference_methods(paired: bool = False) -> dict[str, Method]:
    """The rows every evaluation shows; with ``paired`` photos also the two oracles."""
    from agents.oracle import GLOBAL_ORACLE, SET_ORACLE
    from train import policies

    oracles = {kind: oracle_method(kind) for kind in (GLOBAL_ORACLE, SET_ORACLE)} if paired else {}
    return {
        "identity": policy_method(policies.identity),
        "global auto-exposure": policy_method(policies.global_auto_exposure),
        "global auto-exposure, log-average": policy_method(policies.log_average_auto_exposure),
        "CLAHE on L": clahe_method,
        "bracket -1.5..+1.5 EV": policy_method(policies.make_bracket((-1.5, -0.5, 0.5, 1.5))),
        "bracket -2..+2 EV": policy_method(policies.make_bracket(policies.WIDE_BRACKET)),
        **oracles,
    }


def evaluate(env: gym.Env, methods: dict[str, Method], num_photos: int | Sequence[int], render_side: int | None = None,
             progress: bool = True) -> tuple[list[dict], dict]:
    """Mean metrics per method over pool photos ``0..num_photos-1`` (or those indices), and the images for a grid.

    :func:`evaluate_sizes` at one size.

    Args:
        env, methods, num_photos, progress: see :func:`evaluate_sizes`.
        render_side: ``None`` judges each method's thumbnail result P_T; a number its decision
            rendered on the photo at that many pixels (see :func:`evaluate_sizes`).

    Returns:
        One row per method (``method`` and :data:`METRICS`), and ``{column: {photo index: thumbnail
        result}}`` with the ``raw`` and ``expert target`` columns.
    """
    rows, images = evaluate_sizes(env, methods, num_photos, (render_side,), progress)
    return rows[render_side], images


def evaluate_sizes(env: gym.Env, methods: dict[str, Method], num_photos: int | Sequence[int],
                   render_sides: tuple[int | None, ...], progress: bool = True) -> tuple[dict, dict]:
    """Mean metrics per method over pool photos ``0..num_photos-1`` (or those indices) at each size, each decision
    made once.

    The score is the packaged critic's (a fixed yardstick, whatever reward ``env`` uses) of the
    thumbnail result, the size the critic was trained at; the paired metrics are NaN where a
    photo has no target.

    Args:
        env: an ``ExposureRetouch-v0`` env over the photos.
        methods: ``name -> method`` (:func:`reference_methods`, :func:`policy_method`).
        num_photos: photos to evaluate, from the pool's first; or the pool indices of the photos.
        render_sides: the sizes to judge at. ``None`` judges each method's thumbnail result P_T
            (``S`` pixels). A number judges its decision as ``exposure-retouch`` renders it
            (Alg. 3): rendered on the photo at its full size, then the result and the target
            shrunk to that many pixels (longer side, area averaging; :func:`judged_pair`).
        progress: report the photos judged, method by method, on stderr (:func:`~train.console.progress`: a
            bar in a terminal, a plain line every tenth or 30 s in a log).

    Returns:
        ``{render side: one row per method (``method`` and :data:`METRICS`)}``; ``lightness_r`` is
        the correlation over photos of the result's mean L* with the target's
        (:func:`~exposure_env.metrics.lightness_correlation`). And ``{column:
        {photo index: thumbnail result}}`` with the ``raw`` and ``expert target`` columns.
    """
    from exposure_env.metrics import lightness_correlation, paired_metrics, unpaired_metrics
    from exposure_env.rewards.functions import DiscriminatorScore, load_packaged_critic
    from train.console import progress as progress_of

    critic = DiscriminatorScore(load_packaged_critic())
    rows: dict[int | None, list[dict]] = {side: [] for side in render_sides}
    images: dict[str, dict[int, np.ndarray]] = {}
    indices = range(num_photos) if isinstance(num_photos, int) else num_photos
    bar = progress_of(total=len(methods) * len(indices), unit="result", enabled=progress,  # one per (method, photo)
                      desc=f"evaluating {len(methods)} methods on {len(indices)} photos")
    for name, method in methods.items():
        per_photo: dict[int | None, list[dict]] = {side: [] for side in render_sides}
        for index in indices:
            result, original, target, render = method(env, index)
            score = float(critic(result))
            for side in render_sides:
                judged, judged_target = result, target
                if side is not None:
                    judged, judged_target = judged_pair(env.unwrapped.pool, index, render, side)
                metrics = {**dict.fromkeys(PAIRED_ONLY, np.nan), **unpaired_metrics(judged)}
                if judged_target is not None:
                    metrics = paired_metrics(judged, judged_target)
                per_photo[side].append({"score": score, **metrics})
            images.setdefault("raw", {})[index] = original
            if target is not None:
                images.setdefault("expert target", {})[index] = target
            images.setdefault(name, {})[index] = result
            bar.update()
        for side, judged_photos in per_photo.items():
            row = {m: float(np.mean([p[m] for p in judged_photos])) for m in METRICS if m != "lightness_r"}
            row["lightness_r"] = lightness_correlation([p["lightness"] for p in judged_photos],
                                                       [p["target_lightness"] for p in judged_photos])
            rows[side].append({"method": name, **row})
    bar.close()
    return rows, images


#: the columns of results.md: (metric, header, digits)
TABLE_COLUMNS = (("score", "critic score ↑", 2), ("psnr", "PSNR dB ↑", 2), ("ssim", "SSIM ↑", 3),
                 ("delta_e", "ΔE2000 ↓", 2), ("lightness_error", "\\|ΔL*\\| ↓", 1), ("lightness_r", "r(L*) ↑", 2),
                 ("highlights", "highlights ≥254 ↓", 3), ("shadows", "shadows ≤1 ↓", 3), ("lightness", "mean L*", 1))


def table_cell(value: float, digits: int) -> str:
    """A number of a results table; "–" where it does not apply (NaN: no target)."""
    return "–" if np.isnan(value) else f"{value:.{digits}f}"


def markdown_table(rows: list[dict]) -> str:
    """The rows of :func:`evaluate` as a markdown table of :data:`TABLE_COLUMNS`."""
    header = ("| method | " + " | ".join(label for _, label, _ in TABLE_COLUMNS) + " |\n"
              "|---|" + "---|" * len(TABLE_COLUMNS) + "\n")
    return header + "\n".join(
        f"| {r['method']} | " + " | ".join(table_cell(r[m], digits) for m, _, digits in TABLE_COLUMNS) + " |"
        for r in rows) + "\n"


def table_intro(rows: list[dict], photos: str | None = None, agent: str | None = None) -> str:
    """The sentences above results.md's table: what a row and a number are, and how to read the rows.

    Args:
        rows: the table's rows (an oracle row adds what the oracles are).
        photos: what the photos are, e.g. ``"16 held-out photos (embedded:test)"``.
        agent: the row of the agent the run trained, if any.
    """
    text = (f"Each row is one method run on the same {photos or 'photos'}, and each number is its mean over "
            "those photos (↑: higher is better, ↓: lower is better).")
    if agent:
        text += f" The row {agent} is the agent this run trained."
    text += (" Global auto-exposure is the bar a learned policy must clear: it lies inside the action space (all "
             "T exposures equal).")
    if any(row["method"].startswith("oracle") for row in rows):
        text += (" The oracles know the target: they mark the best this action space can do, not a method one "
                 "can use.")
    return textwrap.fill(text, 100) + "\n\n"


def write_tables(rows: list[dict], out: Path, photos: str | None = None, agent: str | None = None) -> None:
    """results.csv and results.md of :func:`evaluate`'s rows, written atomically.

    Rows of several pools carry a ``pool`` key: results.csv then has a ``pool`` column and
    results.md a section per pool. results.md opens with :func:`table_intro`.

    Args:
        rows: :func:`evaluate`'s rows.
        out: the folder.
        photos, agent: what the photos are and the trained agent's row, for the opening sentences
            (:func:`table_intro`).
    """
    from exposure_env.atomic import atomic_write
    from train.common import write_csv

    pools = list(dict.fromkeys(row["pool"] for row in rows)) if rows and "pool" in rows[0] else []
    write_csv(out / "results.csv", rows, [*(["pool"] if pools else []), "method", *METRICS])
    note = ("|ΔL*|: the mean |L*(result) − L*(target)| per photo (did the scene keep its key?); r(L*): the "
            "correlation over photos of the result's mean L* with the target's; – where there is no target.\n")
    if len(pools) > 1:
        text = "\n".join(f"## {pool}\n\n{markdown_table([r for r in rows if r['pool'] == pool])}" for pool in pools)
    else:
        text = markdown_table(rows)
    text = table_intro(rows, photos, agent) + text
    atomic_write(out / "results.md", lambda path: Path(path).write_text(text + "\n" + note))


def pyplot():  # noqa: ANN201 - the module matplotlib.pyplot
    """``matplotlib.pyplot`` on the Agg backend (files only, never a window), imported on first use."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure: plt.Figure, path: Path) -> None:
    """Render a matplotlib figure in memory, then write it atomically: PNG, or JPEG (quality 90) for a ``.jpg`` path
    (a grid of many photos is a third of the PNG's size)."""
    from exposure_env.atomic import atomic_write

    plt = pyplot()
    buffer = io.BytesIO()
    jpeg = path.suffix.lower() in (".jpg", ".jpeg")
    figure.savefig(buffer, format="jpg" if jpeg else "png", dpi=100, bbox_inches="tight",
                   **({"pil_kwargs": {"quality": 90}} if jpeg else {}))
    plt.close(figure)
    atomic_write(path, lambda temporary: Path(temporary).write_bytes(buffer.getvalue()))


def draw_fixed_rows(axis: plt.Axes, rows: list[dict], metric: str = "psnr", key: str = "algo",
                    labelled: bool = True) -> None:
    """Each fixed row's ``metric`` as a horizontal line: oracles black, the rest grey, each its own dashes.

    The colour cycle stays with the learners' curves.

    Args:
        axis: the plot.
        rows: the fixed rows, each with ``metric`` and its name under ``key`` (``"algo"`` in the
            experiments' ``baselines.csv``, ``"method"`` in :func:`evaluate`'s rows).
        metric: the value drawn.
        key: the name's field.
        labelled: give the lines legend labels.
    """
    dashes = [(4, 2), (1, 2), (6, 2, 1, 2), (2, 4), (8, 3), (1, 1), (3, 1, 1, 1, 1, 1), (10, 2)]
    for index, row in enumerate(rows):
        colour = "black" if "oracle" in row[key] else str(0.25 + 0.1 * (index % 5))
        axis.axhline(row[metric], color=colour, dashes=dashes[index % len(dashes)], linewidth=1,
                     label=row[key] if labelled else None)


#: the font size of a curve's legend: readable at the figure's own size
LEGEND_FONTSIZE = 9


def side_legend(labelled: plt.Axes | Sequence[plt.Axes], beside: plt.Axes | None = None) -> None:
    """The legend of the labelled lines of one plot or several, outside the plot to the right of ``beside``
    (default: the last of ``labelled``), so that no line lies under it.

    Args:
        labelled: the plot, or plots, whose labelled lines the legend names; a label met twice is named once
            (the first line with it), so plots that draw one learner alike can share one legend.
        beside: the plot it stands beside (the right-most of a row of plots); the figure is saved with
            ``bbox_inches="tight"``, which widens it to hold the legend.
    """
    plots = list(np.atleast_1d(labelled).ravel())  # one plot, a list or a row of plt.subplots' array
    entries: dict[str, Any] = {}
    for plot in plots:
        for handle, label in zip(*plot.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    (beside or plots[-1]).legend(list(entries.values()), list(entries), loc="center left", bbox_to_anchor=(1.02, 0.5),
                                 fontsize=LEGEND_FONTSIZE, frameon=False)


#: the paired metrics, NaN on an unpaired photo
PAIRED_ONLY = ("psnr", "ssim", "delta_e", "lightness_error", "target_lightness")


def shrink(image: np.ndarray, side: int) -> np.ndarray:
    """``image`` with its longer side shrunk to ``side`` pixels (area averaging); as it is when already smaller."""
    import cv2

    scale = min(1.0, side / max(image.shape[:2]))
    if scale == 1.0:
        return image
    size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def judged_pair(pool: Any, index: int, render: Callable[[np.ndarray], np.ndarray],
                side: int) -> tuple[np.ndarray, np.ndarray | None]:
    """A decision as ``exposure-retouch`` writes it, and the target, both at ``side`` pixels (longer side).

    The decision is rendered on photo ``index`` at its full size, as ``exposure-retouch`` renders
    the file, then the result and the target are shrunk to ``side`` pixels (area averaging). An
    embedded pool's crops have no file: its crop is cut at ``side`` pixels (:func:`grid_photo`).

    Returns:
        The rendered result and the target (``None`` for an unpaired pool), float32 sRGB.
    """
    from exposure_env.data import EmbeddedPool

    if isinstance(pool, EmbeddedPool):
        photo, target = grid_photo(pool, index, side)
        return render(photo), target
    sample = pool[index]
    return shrink(render(sample.raw), side), None if sample.target is None else shrink(sample.target, side)


def grid_photo(pool: Any, index: int, side: int = GRID_SIDE) -> tuple[np.ndarray, np.ndarray | None]:
    """Photo ``index`` of ``pool`` and its target (or ``None``) at their own size, shrunk to ``side`` pixels at most.

    An embedded pool's crops are 96 pixels; the grid cuts the same crop (same region, same
    degradation) at ``side`` pixels instead.
    """
    from exposure_env.data import EmbeddedPool

    if isinstance(pool, EmbeddedPool):
        pool = EmbeddedPool(pool.split, pool.n_items, crop_size=side, seed=pool.seed)
    sample = pool[index]
    return shrink(sample.raw, side), None if sample.target is None else shrink(sample.target, side)


def scene(name: str) -> str:
    """The scene of a pool photo, from its name: the name without its suffix and a trailing frame number.

    An embedded crop ``chelsea/3`` is scene ``chelsea``; a frame ``s001_4.jpg`` of a bracketed
    sequence is scene ``s001``; ``a0015.png`` is its own scene.
    """
    return re.sub(r"[/_\-]\d+$", "", str(Path(name).with_suffix("")))


def source_rows(pool: Any, num_photos: int, num_rows: int) -> list[int]:
    """The photos a grid shows: one per scene (:func:`scene`), at most ``num_rows``, spread over photos
    ``0..num_photos-1``.

    Each scene is shown by its first photo. With more scenes than rows, the rows are scenes
    evenly spaced in pool order, so a grid of sequence frames shows sequences from the whole
    pool, not the first few.
    """
    firsts: dict[str, int] = {}
    for index in range(num_photos):
        firsts.setdefault(scene(pool[index].name), index)
    indices = list(firsts.values())
    if len(indices) <= num_rows:
        return indices
    return [indices[round(row * (len(indices) - 1) / max(1, num_rows - 1))] for row in range(num_rows)]


def grid_images(env: gym.Env, methods: dict[str, Method], rows: list[int], side: int = GRID_SIDE) -> dict:
    """The pictures of grid.png: ``{column: {row: image}}``, columns raw | methods | expert target (paired pools).

    Each method decides on photo ``rows[row]``'s thumbnail, as in :func:`evaluate`, and its
    decision is rendered on the photo at :func:`grid_photo` size (``side`` pixels at most), as
    ``exposure-retouch`` renders at full resolution.
    """
    pool = env.unwrapped.pool
    images: dict[str, dict[int, np.ndarray]] = {"raw": {}}
    for row, index in enumerate(rows):
        photo, target = grid_photo(pool, index, side)
        images["raw"][row] = photo
        for name, method in methods.items():
            images.setdefault(name, {})[row] = method(env, index).render(photo)
        if target is not None:
            images.setdefault("expert target", {})[row] = target
    return images


def write_grid(images: dict, num_rows: int, out: Path, name: str = "grid.png") -> None:
    """``out/name``: one row per photo, columns raw | methods | expert target (when in ``images``), at the images'
    size."""
    plt = pyplot()
    ends = ("raw", "expert target")
    columns = ["raw", *[k for k in images if k not in ends], *[k for k in ends[1:] if k in images]]
    side = max(max(image.shape[:2]) for image in images["raw"].values()) / 100  # inches at dpi 100: pixel for pixel
    figure, axes = plt.subplots(num_rows, len(columns), figsize=(1.03 * side * len(columns), (side + 0.45) * num_rows),
                                squeeze=False)
    figure.subplots_adjust(left=0, right=1, bottom=0, top=1 - 0.45 / (side + 0.45) / num_rows, wspace=0.03,
                           hspace=0.45 / side)
    for row in range(num_rows):
        for col, column in enumerate(columns):
            axes[row, col].imshow(np.clip(images[column][row], 0, 1), interpolation="nearest")
            axes[row, col].axis("off")
            if row == 0:  # wrapped to the cell's width (about 6 pixels a character at this size)
                axes[row, col].set_title(textwrap.fill(column, max(8, int(side * 100 / 6))), fontsize=9)
    save_figure(figure, out / name)


def load_model(path: Path, algo: str | None = None) -> BaseAlgorithm | ActorPolicy:
    """A saved model (``packaged``, ``packaged:LOOK``: a shipped policy), with a one-line error naming the file when it
    cannot be loaded.

    Args:
        path: a model file, ``packaged`` (the default look) or ``packaged:LOOK`` (a name of
            :data:`agents.looks.LOOKS`).
        algo: the algorithm (:data:`agents.algorithms.NAMES`), needed only for a file that names none.

    Raises:
        ValueError: ``packaged:LOOK`` names no shipped look, or the file is not a model.
    """
    from agents.looks import DEFAULT_LOOK
    from agents.packaged import load_packaged_policy

    name, _, look = str(path).partition(":")
    if name == PACKAGED and not path.exists():
        try:
            return load_packaged_policy(look or DEFAULT_LOOK)
        except ValueError as error:
            raise ValueError(f"--model {path}: {error}") from None
    return algorithms.load(path, algo, device="cpu")


def row_names(paths: list[Path]) -> dict[str, Path]:
    """Each model's row name: its file's stem, preceded by as few of its folders as tell it from the other models
    of the same stem (``runs/ppo/model.zip`` and ``runs/sac/model.zip`` are the rows ``ppo/model`` and
    ``sac/model``).

    Raises:
        ValueError: the same file is given twice.
    """
    repeated = sorted({str(path) for path in paths if paths.count(path) > 1})
    if repeated:
        raise ValueError(f"--model: {', '.join(repeated)} given twice")

    def folders(path: Path, count: int) -> tuple[str, ...]:  # the last `count` folders of the path
        return path.parent.parts[max(0, len(path.parent.parts) - count):]

    names = {}
    for path in paths:
        others = [other for other in paths if other.stem == path.stem and other != path]
        count = next(count for count in range(len(path.parts) + 1)
                     if all(folders(other, count) != folders(path, count) for other in others))
        names["/".join([*folders(path, count), path.stem])] = path
    return names


def trained_settings(model: BaseAlgorithm | ActorPolicy) -> dict[str, Any]:  # noqa: F821
    """The settings of the MDP the model was trained in that shape its episodes and renders beyond the env's
    spaces: ``fuse_input`` and ``shoulder`` (DeepExposure and the packaged policies record them; stock SB3 models
    record none: the defaults, ``False`` and ``None``)."""
    from agents import DeepExposure
    from agents.packaged import ActorPolicy

    # what retouch is given: the DeepExposure model's retouch settings, which packaging stores as env_kwargs
    recorded = (model.retouch_settings() if isinstance(model, DeepExposure)
                else model.env_kwargs if isinstance(model, ActorPolicy) else {})
    return {"fuse_input": bool(recorded.get("fuse_input", False)), "shoulder": recorded.get("shoulder")}


def trained_max_ev(models: Iterable[BaseAlgorithm | ActorPolicy]) -> float:
    """The EV range the models were trained with (DeepExposure and the packaged policy record it), else
    :data:`DEFAULT_MAX_EV`.

    Raises:
        ValueError: the models were trained with different ranges.
    """
    from agents import DeepExposure
    from agents.packaged import ActorPolicy

    ranges = {float(model.max_ev) if isinstance(model, DeepExposure) else float(model.env_kwargs["max_ev"])
              for model in models if isinstance(model, (DeepExposure, ActorPolicy))}
    if len(ranges) > 1:
        raise ValueError(f"the models were trained with different EV ranges {sorted(ranges)}; evaluate them "
                         "separately or give --max-ev")
    return ranges.pop() if ranges else DEFAULT_MAX_EV


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="exposure-eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, nargs="*", default=[],
                        help=f"saved models to evaluate (each a row named by its file), or {PACKAGED!r} for the "
                             f"policy that ships with the package ({PACKAGED}:people for its people look); none: "
                             "reference rows only")
    parser.add_argument("--algo", default=None, choices=algorithms.NAMES,
                        help="the algorithm that saved the models, for files that do not say it (exposure-train's "
                             "and DeepExposure.save's do)")
    parser.add_argument("--pool", nargs="+", default=["embedded:test"],
                        help="photos: embedded:test (held-out embedded photos, default), embedded, or a folder "
                             "(raw/ + expert/ subfolders for paired metrics); several pools get a section each")
    parser.add_argument("--photos", type=int, default=32, help="photos to evaluate, from the first (default: 32)")
    parser.add_argument("--size", type=int, default=64, help="thumbnail side S the models were trained at (default: 64)")
    parser.add_argument("--num-segments", type=int, default=4, help="T, steps per episode (default: 4)")
    parser.add_argument("--max-ev", type=float, default=None,
                        help="EV range ±max_ev of every policy and of the oracles (default: the range the models "
                             f"were trained with, else {DEFAULT_MAX_EV:g})")
    parser.add_argument("--render-side", type=int, nargs="+", default=None,
                        help="judge each method's decision as exposure-retouch renders it: on the photo at its full "
                             "size, then shrunk with the target to this many pixels (longer side); one value, or one "
                             "per --pool (default: judge the SIZE-pixel result itself); the critic score stays on "
                             "the SIZE-pixel result")
    parser.add_argument("--grid-rows", type=int, default=6,
                        help="photos shown in grid.png, one per source photo (default: 6)")
    parser.add_argument("--out", type=Path, default=Path("reports/eval"), help="report folder (default: reports/eval)")
    args = parser.parse_args(argv)
    if args.photos < 1 or args.grid_rows < 1:
        parser.error("--photos and --grid-rows must be >= 1")
    sides = args.render_side or [None]
    if len(sides) not in (1, len(args.pool)):
        parser.error(f"--render-side: give one value or one per --pool ({len(args.pool)}), got {len(sides)}")
    if any(side is not None and side < 8 for side in sides):
        parser.error(f"--render-side {' '.join(map(str, sides))}: must be >= 8 pixels")
    sides = sides * len(args.pool) if len(sides) == 1 else sides
    import gymnasium as gym

    import exposure_env  # noqa: F401  (registers the env)

    try:
        models = {name: load_model(path, args.algo) for name, path in row_names(args.model).items()}
        max_ev = args.max_ev if args.max_ev is not None else trained_max_ev(models.values())
        envs = {pool: gym.make("ExposureRetouch-v0", pool=pool, size=args.size, num_segments=args.num_segments,
                               max_ev=max_ev) for pool in args.pool}
    except (ValueError, OSError) as error:
        parser.error(str(error))
    rows, grids, counts = [], [], {}
    try:
        for (pool, env), side in zip(envs.items(), sides):
            photos = counts[pool] = min(args.photos, len(env.unwrapped.pool))
            methods = {**reference_methods(env.unwrapped.pool.paired),
                       **{name: model_method(model) for name, model in models.items()}}
            print(f"{pool}: {photos} photos, {len(methods)} methods", file=sys.stderr)
            pool_rows, _ = evaluate(env, methods, photos, side)
            label = {"pool": pool if side is None else f"{pool} ({side} px)"} if len(envs) > 1 else {}
            rows += [{**label, **row} for row in pool_rows]
            images = grid_images(env, methods, source_rows(env.unwrapped.pool, photos, args.grid_rows))
            grids.append("grid.png" if len(envs) == 1 else f"grid_{Path(pool).name or 'pool'}.png")
            write_grid(images, len(images["raw"]), args.out, grids[-1])
    except KeyboardInterrupt as interrupt:  # a stop signal (train.console): say what was done, write no table
        from train.console import stop_reason

        stopped = stop_reason(interrupt)
        written = f"; written: {', '.join(grids)}" if grids else ""
        print(f"\nexposure-eval: stopped by {stopped.signal_name} after {len(grids)} of {len(envs)} pools; "
              f"results.md and results.csv not written in {args.out}{written}", file=sys.stderr)
        return stopped.exit_code
    judged = [f"{photos} photos of {pool} " + ("(each result judged at its thumbnail size)" if side is None else
                                                f"(each decision rendered and judged at {side} px)")
              for (pool, photos), side in zip(counts.items(), sides)]
    write_tables(rows, args.out, judged[0] if len(judged) == 1 else "photos of each pool: " + "; ".join(judged))
    print((args.out / "results.md").read_text())
    print(f"report written to {args.out.resolve()}", file=sys.stderr)
    return 0


def entry_point() -> None:
    """Console script: exit with :func:`main`'s code; a stop signal (:func:`~train.console.run_tool`) says what was
    judged and exits 130 (SIGINT), 143 (SIGTERM) or 129 (SIGHUP)."""
    from train.console import run_tool

    run_tool(main, "exposure-eval")


if __name__ == "__main__":
    entry_point()
