"""The DeepExposure MDP written once: settings, spaces, photo preparation, action → EV, reward.

:class:`~exposure_env.env.ExposureRetouchEnv` (one episode) and
:class:`~exposure_env.vector.ExposureRetouchVectorEnv` (N episodes, numpy or torch) both hold an
:class:`ExposureMDP` and take every rule below from it; they differ only in how they store and
advance the state.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, fields
from typing import Any, TypeVar

import numpy as np
import torch
from gymnasium import spaces

from exposure_env import REWARD_MODES
from exposure_env.ops.exposure import check_knee
from exposure_env.ops.resize import shrink_photo, thumbnail
from exposure_env.ops.segmentation import Segmentation, segment

#: The Dict observation's keys, in the order of the actor's 9 input channels: S0 masked to the
#: segment the next action exposes, S0, and the local composite S^l_t.
OBSERVATION_KEYS = ("seg", "original", "local")

Score = TypeVar("Score", float, np.ndarray, torch.Tensor)


@dataclass(frozen=True)
class PreparedPhoto:
    """A photo ready for an episode: S0 quantised to its uint8 observation, its masks, its target.

    Attributes:
        original_u8: ``(S, S, 3)`` uint8 S0, exactly what the agent observes.
        original: ``(S, S, 3)`` float32 ``original_u8 / 255``: the S0 that is exposed.
        masks: ``(T, S, S)`` float32 segment masks, dark→bright.
        target: ``(S, S, 3)`` float32 expert retouch, or ``None``.
    """

    original_u8: np.ndarray
    original: np.ndarray
    masks: np.ndarray
    target: np.ndarray | None


def pool_index(index: object, pool_size: int, name: str = "options['index']") -> int:
    """``index`` as a pool index: an integer (Python or numpy, any byte order) in ``[0, pool_size)``.

    Raises:
        TypeError: not an integer.
        IndexError: outside the pool.
    """
    if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"{name} must be an integer pool index, got {index!r}")
    if not 0 <= index < pool_size:
        raise IndexError(f"{name} is {index}, outside the pool's [0, {pool_size})")
    return int(index)


def checked_seed(seed: object, name: str = "seed") -> int | None:
    """``seed`` as Gymnasium takes it: ``None`` or a Python integer >= 0 (numpy integers are converted).

    Raises:
        TypeError: not an integer (a float, a string...).
        ValueError: a negative integer.
    """
    if seed is None:
        return None
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"reset: {name} must be an integer >= 0 or None, got {seed!r} ({type(seed).__name__})")
    if seed < 0:
        raise ValueError(f"reset: {name} must be >= 0, got {seed}")
    return int(seed)


def reset_options(options: dict[str, Any] | None, allowed: tuple[str, ...], caller: str = "reset") -> dict[str, Any]:
    """A copy of ``reset(options=...)``, checked to hold only ``allowed`` keys.

    Raises:
        ValueError: an unknown key, named with the ones allowed and ``caller``.
    """
    options = dict(options or {})
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"{caller}: unknown option(s) {unknown}; expected any of {allowed}")
    return options


@dataclass(frozen=True)
class ExposureMDP:
    """The settings of ``ExposureRetouch-v0`` and the rules that follow from them.

    Attributes:
        size: S, the side of the square state S0 in pixels (>= 16).
        num_segments: T, segments per photo and steps per episode (>= 1).
        max_ev: stops of exposure at ``|a| = 1`` (> 0).
        segmentation: ``"otsu"``, ``"felzenszwalb"``, ``"slic"`` or a callable (see
            :func:`~exposure_env.ops.segmentation.segment`).
        feather: mask softening sigma in pixels (>= 0; 0 keeps hard, disjoint masks).
        reward_mode: ``"sparse"`` (the paper), ``"shaped"`` or ``"dense"`` (appendix Eq. 20–23).
        gamma: discount of the shaping potential, in ``[0, 1]``.
        fusion_weights: Mertens exponents (contrast, saturation, well-exposedness) of P_T.
        fuse_input: also fuse the input photo itself, as its 0-EV exposure, into P_T (T + 1 frames,
            :func:`~exposure_env.ops.fusion.fusion_evs`), so the photo's own tones take part in the
            blend; ``False`` (default) fuses the T exposures alone, as the paper.
        shoulder: ``None`` (default) clips each exposure at white, as the paper; a knee in ``(0, 1)``
            (linear light) rolls the highlights an exposure pushes past white off towards white instead
            (:func:`~exposure_env.ops.exposure.highlight_shoulder`), in every exposure of the episode (S^g_t,
            S^l_t, P_T) and so of its render (:func:`~exposure_env.retouch.retouch`).

    Raises:
        ValueError: a setting out of its range, naming the setting.
        TypeError: a number setting that is not a number, or a segmentation that is neither a
            name nor a callable.
    """

    size: int = 64
    num_segments: int = 4
    max_ev: float = 3.0
    segmentation: Segmentation = "otsu"
    feather: float = 0.0
    reward_mode: str = "sparse"
    gamma: float = 0.99
    fusion_weights: tuple[float, float, float] = (1.0, 1.0, 1.0)
    fuse_input: bool = False
    shoulder: float | None = None

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> ExposureMDP:
        """The MDP of an env's ``**settings``, refusing unknown names with the closest known one.

        Raises:
            ValueError: an unknown setting (e.g. ``sise``), or one out of its range.
            TypeError: as the constructor.
        """
        known = [field.name for field in fields(cls)]
        for name in settings:
            if name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise ValueError(f"unknown setting {name!r}: {hint}the settings are {', '.join(known)}")
        return cls(**settings)

    def __post_init__(self) -> None:
        for name in ("size", "num_segments", "max_ev", "feather", "gamma"):
            value = getattr(self, name)
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
        if not isinstance(self.size, (int, np.integer)) or self.size < 16:
            raise ValueError(f"size must be an integer >= 16, got {self.size!r}")
        if not isinstance(self.num_segments, (int, np.integer)) or self.num_segments < 1:
            raise ValueError(f"num_segments must be an integer >= 1, got {self.num_segments!r}")
        if not self.max_ev > 0:
            raise ValueError(f"max_ev must be > 0, got {self.max_ev!r}")
        if self.reward_mode not in REWARD_MODES:
            raise ValueError(f"unknown reward_mode {self.reward_mode!r}; expected one of {REWARD_MODES}")
        if not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {self.gamma!r}")
        if self.feather < 0:
            raise ValueError(f"feather must be >= 0, got {self.feather!r}")
        if not isinstance(self.fuse_input, (bool, np.bool_)):
            raise TypeError(f"fuse_input must be True or False, got {self.fuse_input!r}")
        if not isinstance(self.segmentation, str) and not callable(self.segmentation):
            raise TypeError(f"segmentation must be a method name or a callable, "
                            f"got {type(self.segmentation).__name__}")
        # a bad segmentation name fails now, on a tiny image, not at the first reset
        segment(np.full((4, 4, 3), 0.5, np.float32), 1, self.segmentation)
        for name, kind in (("size", int), ("num_segments", int), ("max_ev", float), ("feather", float),
                           ("gamma", float)):
            object.__setattr__(self, name, kind(getattr(self, name)))
        object.__setattr__(self, "fusion_weights", tuple(float(w) for w in self.fusion_weights))
        object.__setattr__(self, "fuse_input", bool(self.fuse_input))
        if self.shoulder is not None:
            object.__setattr__(self, "shoulder", check_knee(self.shoulder))

    # ------------------------------------------------------------------ spaces
    @property
    def observation_space(self) -> spaces.Dict:
        """``Dict(seg, original, local)``, each ``Box(0, 255, (S, S, 3), uint8)`` (HWC images)."""
        image_space = spaces.Box(0, 255, (self.size, self.size, 3), np.uint8)
        return spaces.Dict({key: image_space for key in OBSERVATION_KEYS})

    @property
    def action_space(self) -> spaces.Box:
        """``Box(-1, 1, (1,), float32)``: the exposure as a fraction of ``max_ev``."""
        return spaces.Box(-1.0, 1.0, (1,), np.float32)

    # ------------------------------------------------------------------ photos
    def prepare(self, raw: np.ndarray, target: np.ndarray | None) -> PreparedPhoto:
        """Alg. 3 stage I: shrink to S×S (S0) and segment into T masks, dark→bright.

        S0 is quantised to uint8 so that the state the env exposes is the observation the agent sees.

        Args:
            raw: ``(H, W, 3)`` float32 sRGB photo in ``[0, 1]``.
            target: its ``(H, W, 3)`` float32 expert retouch, or ``None``.
        """
        original_u8, original = shrink_photo(raw, self.size)
        masks = segment(original, self.num_segments, self.segmentation, self.feather)
        return PreparedPhoto(original_u8, original, masks, None if target is None else thumbnail(target, self.size))

    # ------------------------------------------------------------------ action -> EV
    def exposure_values(self, actions: np.ndarray) -> np.ndarray:
        """``e = clip(a, -1, 1)·max_ev`` in stops: actions of any real dtype -> float64 EVs of the same shape.

        The action is clipped before it is rounded to float32 (the action space's type), so a finite
        number beyond float32's range (1e39) is clipped like any other, not made infinite.
        """
        clipped = np.clip(np.asarray(actions, dtype=np.float64), -1.0, 1.0).astype(np.float32)
        return clipped.astype(np.float64) * self.max_ev

    def exposure_values_torch(self, actions: torch.Tensor) -> torch.Tensor:
        """Torch twin of :meth:`exposure_values`, computed in float64 and returned as float32."""
        return (actions.double().clamp(-1.0, 1.0).float().double() * self.max_ev).float()

    # ------------------------------------------------------------------ reward
    @property
    def final_score_rewarded(self) -> bool:
        """Whether the last step's reward holds score(P_T): in ``"sparse"`` and ``"shaped"`` mode."""
        return self.reward_mode != "dense"

    @property
    def shaped(self) -> bool:
        """Whether each step's reward holds the potential difference: ``"shaped"`` and ``"dense"`` mode."""
        return self.reward_mode != "sparse"

    def shaping(self, potential: Score, next_potential: Score) -> Score:
        """Eq. 20–23: ``F = γ·Φ(s_{t+1}) − Φ(s_t)`` with ``Φ(s) = score(S^l)``, terminal potential kept."""
        return self.gamma * next_potential - potential
