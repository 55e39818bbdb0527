"""Fixed (non-learned) policies for ``ExposureRetouch-v0``: ``policy(observation, info, env) -> action``.

They are the reference rows of every report: what doing nothing, acting at random, a fixed
exposure bracket and a hand-written auto-exposure reach in this action space.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from exposure_env.env import ExposureRetouchEnv
from exposure_env.ops.exposure import auto_exposure_ev

Policy = Callable[[dict, dict, ExposureRetouchEnv], np.ndarray]
#: the ±2 EV bracket, spread evenly over T = 4 steps (cycled for other T)
WIDE_BRACKET = (-2.0, -2.0 / 3.0, 2.0 / 3.0, 2.0)


def identity(observation: dict, info: dict, env: ExposureRetouchEnv) -> np.ndarray:
    """Expose nothing: every e_t = 0, so P_T = S0."""
    return np.zeros(1, np.float32)


def make_random(seed: int = 0) -> Policy:
    """Uniform random actions from a generator seeded once."""
    rng = np.random.default_rng(seed)
    return lambda observation, info, env: rng.uniform(-1.0, 1.0, size=1).astype(np.float32)


def make_bracket(evs: tuple[float, ...]) -> Policy:
    """A fixed exposure bracket, one EV per step (cycled when T exceeds its length)."""

    def bracket(observation: dict, info: dict, env: ExposureRetouchEnv) -> np.ndarray:
        return np.array([evs[info["t"] % len(evs)] / env.unwrapped.mdp.max_ev], np.float32)

    return bracket


def global_auto_exposure(observation: dict, info: dict, env: ExposureRetouchEnv) -> np.ndarray:
    """Global auto-exposure of S0: the same EV every step.

    ``e = log2(0.18 / mean(srgb_to_linear(luma(S0))))`` over the 8-bit thumbnail ``observation["original"]``
    (:func:`~exposure_env.ops.exposure.auto_exposure_ev`: the Rec. 709 luma of the sRGB values, decoded
    to linear light, averaged; the mean floored at 1e-4), as the action ``e / max_ev`` clipped to ``[-1, 1]``.
    """
    return _ev_action(auto_exposure_ev(observation["original"].reshape(-1, 3) / 255.0), env)


def log_average_auto_exposure(observation: dict, info: dict, env: ExposureRetouchEnv) -> np.ndarray:
    """:func:`global_auto_exposure` with the log-average (geometric mean) luma brought to mid-grey.

    The scene key of Reinhard et al. 2002 (:func:`~exposure_env.ops.exposure.auto_exposure_ev` with
    ``statistic="log-average"``): dark pixels weigh more, so dark photos are brightened more.
    """
    return _ev_action(auto_exposure_ev(observation["original"].reshape(-1, 3) / 255.0, "log-average"), env)


def _ev_action(ev: float, env: ExposureRetouchEnv) -> np.ndarray:
    """An EV in stops as the action ``e / max_ev``, clipped to ``[-1, 1]``: ``(1,)`` float32."""
    return np.array([np.clip(ev / env.unwrapped.mdp.max_ev, -1.0, 1.0)], np.float32)


def segment_auto_exposure(observation: dict, info: dict, env: ExposureRetouchEnv) -> np.ndarray:
    """Auto-exposure of segment t: :func:`global_auto_exposure`'s EV, over the segment's pixels only.

    The pixels are those of ``observation["seg"]`` (S0·M_t in 8 bits) that are not black (0, 0, 0):
    pixels of a feathered mask's edge enter darkened by their weight, black pixels of S0 not at
    all, and an empty segment gets 0 EV. The action is ``e / max_ev`` clipped to ``[-1, 1]``.
    """
    seg = observation["seg"].reshape(-1, 3)
    return _ev_action(auto_exposure_ev(seg[seg.any(axis=1)] / 255.0), env)
