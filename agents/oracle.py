"""Oracle exposure choices for paired photos: upper bounds for the agents of ``ExposureRetouch-v0``.

An episode of ``ExposureRetouch-v0`` chooses T exposure values ``e_1..e_T`` in
``[-max_ev, max_ev]`` and ends with ``P_T = mertens_fusion([expose(S0, e_t) for t])``, where
S0 is ``ExposureMDP(size, T).prepare(raw, target).original``. P_T depends only on S0 and the
multiset of EVs (not on their order, nor on the segmentation), so with the expert target in
hand the best episode is a small search over T numbers. Two oracles:

- :func:`best_global_ev`: the single EV for the whole photo (an episode that picks the same
  e every step: fusing T copies of one exposure gives that exposure, to ~6e-8).
- :func:`best_exposure_set`: the T EVs whose fused result is closest to the target. Coordinate
  descent over each ``e_k`` on a coarse grid of ``[-max_ev, max_ev]`` from two starts (the best
  global EV repeated T times and a bracket spread around it), then on a finer grid around the
  best point. It only accepts improvements from the repeated global EV, so its P_T is never
  further from the target (in MSE, hence PSNR) than the global oracle's P_T.

"Closest" is the mean squared error over pixels and channels, i.e. the highest PSNR
(:func:`exposure_env.metrics.psnr`, data range 1).

:func:`oracle_results` runs both on the first photos of a paired pool, as the env prepares
them.

Cost (``EmbeddedPool("test", n_items=16)``, 64×64, T=4, max_ev 3, the defaults, one core:
``OMP_NUM_THREADS=1``, ``cv2.setNumThreads(1)``, on a shared 2-core machine): ≈0.24 s per photo
for both oracles together (best of 3 runs; up to ≈0.45 s while other jobs share the core), of
which ≈0.025 s is the global oracle. The T-EV search makes ≈295 Mertens fusions at ≈0.63 ms
(≈0.95 ms on a shared core) of OpenCV each. Its mean PSNR there is 0.04 dB (at most 0.15 dB)
below a far costlier search (9 starts, 0.1 then 0.01 stop grids, 10 sweeps).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from exposure_env.data.pool import ImagePool
from exposure_env.mdp import ExposureMDP
from exposure_env.ops.exposure import expose
from exposure_env.ops.fusion import mertens_fusion

#: key of :func:`oracle_results` for the single-EV oracle
GLOBAL_ORACLE = "oracle: best global EV"
#: key of :func:`oracle_results` for the T-EV oracle
SET_ORACLE = "oracle: best T EVs"

_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0  # 0.618...
#: defaults of :func:`best_exposure_set`: sweeps per descent, coarse and fine grid steps in stops
DEFAULT_SWEEPS, COARSE_STEP, FINE_STEP = 2, 0.25, 0.05
#: half-width, in stops, of the bracket :func:`best_exposure_set` also starts from (T=4: ±1.5 EV)
_BRACKET_HALF_WIDTH = 1.5


# ----------------------------------------------------------------------------- validation


def _check_pair(original: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``original`` as float32 and ``target`` as float64, both ``(H, W, 3)``, or ValueError."""
    original, target = np.asarray(original), np.asarray(target)
    if original.ndim != 3 or original.shape[-1] != 3 or 0 in original.shape:
        raise ValueError(f"original must be an (H, W, 3) RGB image, got shape {original.shape}")
    if target.shape != original.shape:
        raise ValueError(f"target must have the shape of original {original.shape}, got {target.shape}")
    for name, image in (("original", original), ("target", target)):
        if not np.issubdtype(image.dtype, np.floating):
            raise ValueError(f"{name} must be float sRGB in [0, 1], got dtype {image.dtype}")
    return original.astype(np.float32, copy=False), target.astype(np.float64, copy=False)


def _check_max_ev(max_ev: float) -> float:
    """``max_ev`` as a finite float > 0, or ValueError."""
    if not (isinstance(max_ev, (int, float, np.integer, np.floating)) and math.isfinite(max_ev) and max_ev > 0):
        raise ValueError(f"max_ev must be a finite number > 0, got {max_ev!r}")
    return float(max_ev)


def _check_positive_int(value: int, name: str) -> int:
    """``value`` as an int >= 1, or ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def _check_step(step: float, name: str, max_ev: float) -> float:
    """A grid step in ``(0, 2·max_ev]``, or ValueError naming ``name``."""
    if not (isinstance(step, (int, float, np.integer, np.floating)) and 0 < step <= 2 * max_ev):
        raise ValueError(f"{name} must be in (0, 2*max_ev] = (0, {2 * max_ev}], got {step!r}")
    return float(step)


# ----------------------------------------------------------------------------- objectives


def _mse(image: np.ndarray, target: np.ndarray) -> float:
    """Mean squared error of ``(H, W, 3)`` images in float64 (PSNR = −10·log10 of it)."""
    difference = image.astype(np.float64) - target
    return float(np.mean(difference * difference))


class _FusionObjective:
    """MSE of P_T = ``fuse_exposures(original, evs)`` to the target, memoised.

    It fuses with :func:`~exposure_env.ops.fusion.mertens_fusion` itself, as ``fuse_exposures``
    does, so that each exposure is computed once over the whole search instead of once per fusion.

    Exposures are cached per EV (rounded to 1e-9 stops) and fused results per multiset of EVs,
    so revisiting a point costs nothing. ``fusions`` counts the Mertens calls.
    """

    def __init__(self, original: np.ndarray, target: np.ndarray):
        self.original, self.target = original, target
        self._exposures: dict[float, np.ndarray] = {}
        self._errors: dict[tuple[float, ...], float] = {}
        self.fusions = 0

    @staticmethod
    def _key(ev: float) -> float:
        return round(float(ev), 9)

    def exposure(self, ev: float) -> np.ndarray:
        """``(H, W, 3)`` float32 ``expose(original, ev)``, cached."""
        key = self._key(ev)
        if key not in self._exposures:
            self._exposures[key] = expose(self.original, key)
        return self._exposures[key]

    def fused(self, evs: np.ndarray) -> np.ndarray:
        """``(H, W, 3)`` float32 P_T of ``(T,)`` EVs (the env's fusion, default weights)."""
        return mertens_fusion(np.stack([self.exposure(ev) for ev in evs]))

    def __call__(self, evs: np.ndarray) -> float:
        """MSE of the fused result of ``(T,)`` EVs to the target."""
        key = tuple(sorted(self._key(ev) for ev in evs))
        if key not in self._errors:
            self.fusions += 1
            self._errors[key] = _mse(self.fused(np.asarray(key)), self.target)
        return self._errors[key]


def _coordinate_descent(
    objective: Callable[[np.ndarray], float],
    start: np.ndarray,
    candidates: Callable[[float], np.ndarray],
    sweeps: int,
) -> tuple[np.ndarray, float]:
    """Minimise ``objective`` over ``(T,)`` EVs one coordinate at a time.

    Each sweep sets every ``e_k`` in turn to its best value among ``candidates(e_k)`` (the
    others fixed), accepting only strict improvements; stops after ``sweeps`` sweeps or a sweep
    without change. Returns the best ``(T,)`` EVs and their objective, never worse than ``start``.
    """
    evs = np.array(start, dtype=np.float64)
    error = objective(evs)
    for _ in range(sweeps):
        improved = False
        for k in range(len(evs)):
            current = evs[k]
            for value in candidates(current):
                if value == current:
                    continue
                evs[k] = value
                trial = objective(evs)
                if trial < error:
                    error, current, improved = trial, value, True
            evs[k] = current
        if not improved:
            break
    return evs, error


# ----------------------------------------------------------------------------- oracles


def best_global_ev(original: np.ndarray, target: np.ndarray, max_ev: float = 3.0) -> float:
    """The single EV in ``[-max_ev, max_ev]`` whose ``expose(original, ev)`` has the best PSNR to ``target``.

    A grid of 61 EVs, then a golden-section search (to 1e-4 stops) between the grid neighbours
    of the best one; the better of the two is returned.

    Args:
        original: ``(H, W, 3)`` float sRGB in ``[0, 1]``, S0.
        target: ``(H, W, 3)`` float sRGB in ``[0, 1]``, the expert retouch.
        max_ev: the EV range is ``[-max_ev, max_ev]`` (the env's ``max_ev``).

    Returns:
        The EV in stops.

    Raises:
        ValueError: mismatched or non-RGB shapes, or ``max_ev <= 0``.
    """
    original, target = _check_pair(original, target)
    max_ev = _check_max_ev(max_ev)

    def error(ev: float) -> float:
        return _mse(expose(original, ev), target)

    grid = np.linspace(-max_ev, max_ev, 61)
    grid_errors = [error(ev) for ev in grid]
    best = int(np.argmin(grid_errors))
    best_ev, best_error = float(grid[best]), grid_errors[best]

    low, high = float(grid[max(best - 1, 0)]), float(grid[min(best + 1, len(grid) - 1)])
    left, right = high - _GOLDEN * (high - low), low + _GOLDEN * (high - low)
    left_error, right_error = error(left), error(right)
    while high - low > 1e-4:
        if left_error <= right_error:
            high, right, right_error = right, left, left_error
            left = high - _GOLDEN * (high - low)
            left_error = error(left)
        else:
            low, left, left_error = left, right, right_error
            right = low + _GOLDEN * (high - low)
            right_error = error(right)
    for ev, ev_error in ((left, left_error), (right, right_error)):
        if ev_error < best_error:
            best_ev, best_error = ev, ev_error
    return best_ev


def _bracket(centre: float, num_segments: int, max_ev: float) -> np.ndarray:
    """``(T,)`` EVs spread ±1.5 stops around ``centre``, shifted to fit ``[-max_ev, max_ev]``."""
    half_width = min(_BRACKET_HALF_WIDTH, max_ev)
    centre = float(np.clip(centre, -max_ev + half_width, max_ev - half_width))
    return centre + np.linspace(-half_width, half_width, num_segments)


def _search_exposure_set(
    objective: _FusionObjective, num_segments: int, max_ev: float, global_ev: float, sweeps: int,
    coarse_step: float, fine_step: float,
) -> tuple[np.ndarray, float]:
    """The search of :func:`best_exposure_set` on a prepared objective: sorted ``(T,)`` EVs and their MSE."""
    coarse_grid = np.linspace(-max_ev, max_ev, round(2 * max_ev / coarse_step) + 1)
    starts = [np.full(num_segments, global_ev)]
    if num_segments > 1:
        starts.append(_bracket(global_ev, num_segments, max_ev))
    best_evs, best_error = starts[0], objective(starts[0])
    for start in starts:
        evs, error = _coordinate_descent(objective, start, lambda _: coarse_grid, sweeps)
        if error < best_error:
            best_evs, best_error = evs, error

    # finer grid within one coarse step of the current value
    reach = math.ceil(coarse_step / fine_step - 1e-9)
    offsets = fine_step * np.arange(-reach, reach + 1)

    def fine_candidates(current: float) -> np.ndarray:
        return np.unique(np.clip(current + offsets, -max_ev, max_ev))

    evs, error = _coordinate_descent(objective, best_evs, fine_candidates, sweeps)
    if error < best_error:
        best_evs, best_error = evs, error
    return np.sort(best_evs), best_error


def best_exposure_set(
    original: np.ndarray,
    target: np.ndarray,
    num_segments: int,
    max_ev: float = 3.0,
    sweeps: int = DEFAULT_SWEEPS,
    *,
    coarse_step: float = COARSE_STEP,
    fine_step: float = FINE_STEP,
    global_ev: float | None = None,
) -> np.ndarray:
    """The T EVs whose Mertens fusion (the env's P_T) has the best PSNR to ``target`` found by the search.

    Coordinate descent over each ``e_k`` on the grid of step ``coarse_step`` over
    ``[-max_ev, max_ev]``, from the best global EV repeated T times and from a bracket spread
    ±1.5 stops around it (at most ``sweeps`` sweeps each), then from the better result on a
    grid of step ``fine_step`` within ``coarse_step`` of each value. A local search: the
    result is never worse than the best global EV repeated T times (the global oracle's P_T),
    but it need not be the global optimum.

    Args:
        original: ``(H, W, 3)`` float sRGB in ``[0, 1]``, S0.
        target: ``(H, W, 3)`` float sRGB in ``[0, 1]``, the expert retouch.
        num_segments: T, the number of EVs (steps of an episode).
        max_ev: the EV range is ``[-max_ev, max_ev]``.
        sweeps: the most sweeps over the T coordinates per descent.
        coarse_step: grid step in stops of the first stage.
        fine_step: grid step in stops of the refinement.
        global_ev: the best global EV when already known (else :func:`best_global_ev` finds it).

    Returns:
        ``(T,)`` float64 EVs, sorted ascending.

    Raises:
        ValueError: mismatched or non-RGB shapes, ``num_segments < 1``, ``max_ev <= 0``,
            ``sweeps < 1``, or a step outside ``(0, 2·max_ev]``.
    """
    original, target = _check_pair(original, target)
    num_segments = _check_positive_int(num_segments, "num_segments")
    max_ev = _check_max_ev(max_ev)
    sweeps = _check_positive_int(sweeps, "sweeps")
    coarse_step = _check_step(coarse_step, "coarse_step", max_ev)
    fine_step = _check_step(fine_step, "fine_step", max_ev)
    if global_ev is None:
        global_ev = best_global_ev(original, target, max_ev)
    elif not -max_ev <= global_ev <= max_ev:
        raise ValueError(f"global_ev must be in [-max_ev, max_ev] = [{-max_ev}, {max_ev}], got {global_ev!r}")
    objective = _FusionObjective(original, target)
    evs, _ = _search_exposure_set(objective, num_segments, max_ev, float(global_ev), sweeps, coarse_step, fine_step)
    return evs


def oracle_results(
    pool: ImagePool,
    num_photos: int,
    size: int = 64,
    num_segments: int = 4,
    max_ev: float = 3.0,
) -> dict[str, list[dict]]:
    """Both oracles on photos ``0..num_photos-1`` of a paired pool, prepared as the env does.

    Each photo becomes S0 = ``ExposureMDP(size, T).prepare(raw, target).original`` and
    its target thumbnail; the result of an EV sequence is the env's P_T, the Mertens fusion of
    ``expose(S0, e_t)`` (for the global oracle: of T copies of one exposure).

    Args:
        pool: an :class:`~exposure_env.data.ImagePool` whose samples have targets.
        num_photos: how many photos, from index 0, at most ``len(pool)``.
        size: S0 side in pixels (the env's ``size``).
        num_segments: T.
        max_ev: the EV range is ``[-max_ev, max_ev]``.

    Returns:
        ``{GLOBAL_ORACLE: [...], SET_ORACLE: [...]}`` (keys ``"oracle: best global EV"`` and
        ``"oracle: best T EVs"``), each a list with one dict per photo, in pool order:

        - ``name``: the sample's name;
        - ``evs``: ``(T,)`` float64 EVs, sorted (T copies of the one EV for the global oracle);
        - ``fused``: ``(size, size, 3)`` float32 P_T;
        - ``target``: ``(size, size, 3)`` float32 target thumbnail;
        - ``original``: ``(size, size, 3)`` float32 S0, the photo that was exposed;
        - ``seconds``: search time for this photo (the T-EV search includes the global one,
          which it starts from).

    Raises:
        ValueError: a pool without targets, ``num_photos`` outside ``[1, len(pool)]``,
            ``size < 16``, ``num_segments < 1`` or ``max_ev <= 0``.
    """
    if not getattr(pool, "paired", False):
        raise ValueError(f"pool must be paired (samples with targets), got unpaired {type(pool).__name__}")
    num_photos = _check_positive_int(num_photos, "num_photos")
    if num_photos > len(pool):
        raise ValueError(f"num_photos must be <= len(pool) = {len(pool)}, got {num_photos}")
    max_ev = _check_max_ev(max_ev)
    # the env's S0 and target; hard Otsu masks (the segmentation does not change P_T); checks size and T
    mdp = ExposureMDP(size, num_segments, max_ev)
    size, num_segments = mdp.size, mdp.num_segments
    results: dict[str, list[dict]] = {GLOBAL_ORACLE: [], SET_ORACLE: []}
    for index in range(num_photos):
        sample = pool[index]
        if sample.target is None:
            raise ValueError(f"pool sample {sample.name!r} (index {index}) has no target")
        photo = mdp.prepare(sample.raw, sample.target)
        original, target = photo.original, photo.target
        objective = _FusionObjective(original, target.astype(np.float64))

        started = time.perf_counter()
        global_ev = best_global_ev(original, target, max_ev)
        global_evs = np.full(num_segments, global_ev)
        global_fused = objective.fused(global_evs)
        global_seconds = time.perf_counter() - started
        set_evs, _ = _search_exposure_set(
            objective, num_segments, max_ev, global_ev, DEFAULT_SWEEPS, COARSE_STEP, FINE_STEP
        )
        set_fused = objective.fused(set_evs)
        set_seconds = time.perf_counter() - started

        common = {"name": sample.name, "target": target, "original": original}
        results[GLOBAL_ORACLE].append({**common, "evs": global_evs, "fused": global_fused, "seconds": global_seconds})
        results[SET_ORACLE].append({**common, "evs": set_evs, "fused": set_fused, "seconds": set_seconds})
    return results
