"""``ExposureRetouch-v0``: the DeepExposure MDP as a Gymnasium environment.

``gym.make_vec(..., vectorization_mode="async")`` works as Gymnasium users call it: its workers are
forked (Linux), and a forked child inherits torch's thread pool in a state that deadlocks at the
child's first critic call, so every child forked after this module is imported runs torch on one
thread (a 64-pixel critic call needs no more).
"""

from __future__ import annotations

import os
from typing import Any

import cv2
import gymnasium as gym
import numpy as np
import torch

from exposure_env.data import ImagePool, make_pool
from exposure_env.mdp import ExposureMDP, checked_seed, pool_index, reset_options
from exposure_env.ops.exposure import expose, local_composite
from exposure_env.ops.fusion import INPUT_EV, mertens_fusion
from exposure_env.ops.layout import as_float_rgb, to_uint8
from exposure_env.rewards.functions import RewardSource, make_score_fn

RESET_OPTIONS = ("image", "target", "index")


def _one_torch_thread() -> None:
    """In a forked child: torch on one thread, since the parent's thread pool did not come along (see above)."""
    torch.set_num_threads(1)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_one_torch_thread)


class ExposureRetouchEnv(gym.Env[dict, np.ndarray]):
    """Expose a photo segment by segment; a GAN critic judges the fused result.

    ## Description
    DeepExposure (Yu et al., NeurIPS 2018). A photo is shrunk to ``size``×``size`` (S0) and
    split into T segments ordered dark→bright. At step t the agent picks one exposure value
    e_t for segment t. It yields a *global* image ``S^g_t = expose(S0, e_t)`` and updates the
    *local* composite ``S^l_{t+1} = S^l_t·(1−M_t) + expose(S^l_t, e_t)·M_t``. After T steps the
    T global images are blended by Mertens exposure fusion (appendix Eq. 30–31) into P_T.

    ## Action Space
    ``Box(-1, 1, (1,), float32)``; the exposure is ``e = a·max_ev`` stops in linear light.
    Out-of-range actions are clipped; NaN or infinite actions raise ``ValueError``.

    ## Observation Space
    ``Dict(seg, original, local)``, each ``Box(0, 255, (size, size, 3), uint8)`` (HWC, so SB3's
    ``MultiInputPolicy`` treats them as images): ``seg`` is S0 masked to the segment the next
    action exposes (zeros after the last step), ``original`` is S0, ``local`` is S^l_t.
    ``exposure_env.wrappers.StackedObservation`` turns them into one 9-channel float tensor.

    ## Rewards
    A score function ``score(image, info)`` (``reward=``) judges images: the packaged WGAN
    critic D (default), the negative RMSE to a paired target (``"reference"``), or a callable.
    ``reward_mode``:

    - ``"sparse"`` (the paper): ``score(P_T)`` at the last step, 0 before.
    - ``"shaped"``: sparse plus ``γ·Φ(s_{t+1}) − Φ(s_t)`` with ``Φ(s) = score(S^l)``
      (appendix Eq. 20–23).
    - ``"dense"``: the potential difference alone.

    Terminal-potential convention: Φ(s_T) = score(S^l_T) is *kept* (not zeroed), so in the
    discounted return ``Σ_t γ^t·r_t`` the shaping terms telescope to ``γ^T·Φ(s_T) − Φ(s_0)`` per
    episode. Zeroing it would make the dense return the constant ``−Φ(s_0)``; keeping it rewards
    a good local composite, the paper's stand-in for P_T (appendix B, after Eq. 19). The
    undiscounted sums that SB3's ``ep_rew_mean`` and ``RecordEpisodeStatistics`` report do not
    telescope: their shaping terms add ``(γ − 1)·Σ_{t=1}^{T−1} Φ(s_t)``.

    ## Starting State
    A photo drawn from ``pool`` with the env's seeded generator; ``local`` equals ``original``.
    ``reset(options=...)`` takes ``{"index": i}`` (pool photo i, an integer in ``[0, len(pool))``)
    or ``{"image": array}`` (any ``(H, W[, 1|3|4])`` array that
    :func:`~exposure_env.ops.layout.as_float_rgb` takes, any sample type and byte order) with an
    optional paired ``"target"`` of the same height and width. Other keys, ``"image"`` with
    ``"index"``, ``"target"`` without ``"image"`` or of another size raise ``ValueError``, an
    index outside the pool ``IndexError``.

    ## Episode End
    Exactly T steps (an empty segment is still a step), then ``terminated=True``;
    ``truncated`` is always False.

    ## Info
    ``t``, ``T``, ``evs`` (stops chosen so far), ``mask`` (the segment ``seg`` shows; the
    last one after the final step), ``name``; with a potential, ``potential``; after the last
    step ``fused`` (P_T, float32 HWC), ``score`` (score of P_T) and ``target`` when paired.

    ## Arguments
    - ``pool``: ``None``/``"embedded"`` (default data), ``"embedded:test"``, a folder path or
      an :class:`~exposure_env.data.ImagePool`.
    - ``reward``: the score function's source (see Rewards).
    - ``render_mode``: ``"rgb_array"`` gives a panel original | local | fused | segments.
    - ``device``: torch device of the packaged critic.
    - ``**settings``: the MDP's settings, checked and kept as ``env.mdp``, an
      :class:`~exposure_env.mdp.ExposureMDP`: ``size`` (64), ``num_segments`` T (4),
      ``max_ev`` (3.0), ``segmentation`` (``"otsu"``, ``"felzenszwalb"``, ``"slic"`` or a
      callable), ``feather`` (mask softening sigma in pixels, 0), ``reward_mode``
      (``"sparse"``), ``gamma`` (0.99, used for shaping), ``fusion_weights`` (Mertens
      exponents: contrast, saturation, well-exposedness), ``fuse_input`` (``False``; ``True``
      also fuses S0's own 0-EV exposure into P_T) and ``shoulder`` (``None``: each exposure clips at
      white; a knee in ``(0, 1)`` rolls the highlights off instead).

    ## Version History
    - v0: first release.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 2}

    def __init__(
        self,
        pool: ImagePool | str | None = None,
        reward: RewardSource = "discriminator",
        render_mode: str | None = None,
        device: str = "cpu",
        **settings: Any,
    ):
        self.mdp = ExposureMDP.from_settings(settings)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"unknown render_mode {render_mode!r}; expected one of {self.metadata['render_modes']}")

        self.pool = make_pool(pool)
        self.render_mode = render_mode
        self.score_fn = make_score_fn(reward, device)
        # one OpenCV thread keeps seeded CPU runs bitwise repeatable
        cv2.setNumThreads(1)

        self.observation_space = self.mdp.observation_space
        self.action_space = self.mdp.action_space

        self._original: np.ndarray | None = None

    # ------------------------------------------------------------------ gym API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start an episode on a pool photo (drawn or ``options["index"]``) or on ``options["image"]``.

        Args:
            seed: seeds the env's generator, which draws the pool photos.
            options: ``{"index": i}``, or ``{"image": array}`` with an optional paired ``"target"``
                (see the class docstring, Starting State).

        Returns:
            The observation (see Observation Space) and the info (see Info).

        Raises:
            ValueError: unknown options, ``"image"`` with ``"index"``, ``"target"`` without
                ``"image"`` or of another size, or an image that is not a photo.
            TypeError: an index that is not an integer.
            IndexError: an index outside the pool.
        """
        super().reset(seed=checked_seed(seed))
        options = reset_options(options, RESET_OPTIONS)
        if "image" in options:
            if "index" in options:
                raise ValueError("reset: give options['image'] or options['index'], not both")
            raw = as_float_rgb(options["image"], "options['image']")
            target = options.get("target")
            target = None if target is None else as_float_rgb(target, "options['target']")
            if target is not None and target.shape != raw.shape:
                raise ValueError(f"reset: options['target'] is {target.shape[1]}x{target.shape[0]} but options['image'] "
                                 f"is {raw.shape[1]}x{raw.shape[0]}; a paired target must be the photo's size")
            name = "options['image']"
        elif "target" in options:
            raise ValueError("reset: options['target'] needs options['image'], the photo it is the target of")
        else:
            if "index" in options:
                index = pool_index(options["index"], len(self.pool))
            else:
                index = int(self.np_random.integers(len(self.pool)))
            sample = self.pool[index]
            raw, target, name = sample.raw, sample.target, sample.name

        photo = self.mdp.prepare(raw, target)
        self._original, self._original_u8, self._masks, self._target = (
            photo.original, photo.original_u8, photo.masks, photo.target
        )
        self._local = self._original.copy()
        self._globals: list[np.ndarray] = []
        self._evs: list[float] = []
        self._t = 0
        self._fused: np.ndarray | None = None
        self._score_info = {"name": name, "target": self._target}
        self._potential = self._score(self._local) if self.mdp.shaped else None
        return self._observation(), self._info()

    def step(self, action: np.ndarray) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """Expose segment t by ``e_t = clip(a, -1, 1)·max_ev``; after T steps fuse and score P_T.

        Args:
            action: one number, ``(1,)`` float32 in ``[-1, 1]`` (clipped there).

        Returns:
            ``(observation, reward, terminated, truncated, info)``; see Rewards and Info.

        Raises:
            RuntimeError: before ``reset()`` or after the episode's T steps.
            ValueError: an action that is not one finite number.
        """
        if self._original is None:
            raise RuntimeError("step() called before reset()")
        if self._t >= self.mdp.num_segments:
            raise RuntimeError(f"step() called after the episode's {self.mdp.num_segments} steps; call reset()")
        action = np.asarray(action, dtype=np.float64)  # float32 would make a finite 1e39 infinite
        if action.size != 1:
            raise ValueError(f"action must hold one exposure value, got shape {action.shape}")
        if not np.isfinite(action).all():
            raise ValueError(f"action must be finite, got {action.reshape(-1)[0]!r}")
        ev = float(self.mdp.exposure_values(action.reshape(-1))[0])

        mask = self._masks[self._t]
        shoulder = self.mdp.shoulder
        self._globals.append(expose(self._original, ev, shoulder))  # S^g_t = global_filter(e_t, S0)
        self._local = local_composite(self._local, ev, mask, shoulder)  # S^l_{t+1} = local_filter(e_t, S^l_t)
        self._evs.append(ev)
        self._t += 1
        terminated = self._t == self.mdp.num_segments

        reward = 0.0
        if terminated:
            # Eq. 30–31: Mertens fusion of the T global exposures (and S0's own with fuse_input) gives P_T
            frames = [*self._globals, *([expose(self._original, INPUT_EV)] if self.mdp.fuse_input else [])]
            self._fused = mertens_fusion(np.stack(frames), *self.mdp.fusion_weights)
            self._final_score = self._score(self._fused)
            if self.mdp.final_score_rewarded:
                reward += self._final_score
        if self.mdp.shaped:
            next_potential = self._score(self._local)
            reward += self.mdp.shaping(self._potential, next_potential)
            self._potential = next_potential
        return self._observation(), float(reward), terminated, False, self._info()

    def render(self) -> np.ndarray | None:
        """Panel ``original | local composite | fused (or local until the end) | segments``, ×4."""
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='rgb_array'")
            return None
        if self._original is None:
            raise RuntimeError("render() called before reset()")
        fused = self._fused if self._fused is not None else self._local
        panel = np.concatenate(
            [self._original, self._local, fused, segment_overlay(self._original, self._masks)], axis=1
        )
        panel = to_uint8(panel)
        return cv2.resize(panel, None, fx=4, fy=4, interpolation=cv2.INTER_NEAREST)

    # ------------------------------------------------------------------ helpers
    def _score(self, image: np.ndarray) -> float:
        return float(self.score_fn(image, self._score_info))

    def _observation(self) -> dict[str, np.ndarray]:
        if self._t < self.mdp.num_segments:
            seg = to_uint8(self._original * self._masks[self._t][..., None])
        else:
            seg = np.zeros_like(self._original_u8)
        return {"seg": seg, "original": self._original_u8.copy(), "local": to_uint8(self._local)}

    def _info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "t": self._t,
            "T": self.mdp.num_segments,
            "evs": list(self._evs),
            "mask": self._masks[min(self._t, self.mdp.num_segments - 1)].copy(),
            "name": self._score_info["name"],
        }
        if self._potential is not None:
            info["potential"] = self._potential
        if self._fused is not None:
            info["fused"] = self._fused
            info["score"] = self._final_score
            if self._target is not None:
                info["target"] = self._target
        return info


_SEGMENT_COLOURS = np.array(
    [[0.12, 0.47, 0.71], [1.0, 0.5, 0.05], [0.17, 0.63, 0.17], [0.84, 0.15, 0.16], [0.58, 0.4, 0.74],
     [0.55, 0.34, 0.29], [0.89, 0.47, 0.76], [0.5, 0.5, 0.5]],
    dtype=np.float32,
)


def segment_overlay(image: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Blend a colour per segment over ``image``: ``(H, W, 3)``, ``(T, H, W)`` -> ``(H, W, 3)``."""
    colours = _SEGMENT_COLOURS[np.arange(len(masks)) % len(_SEGMENT_COLOURS)]
    tint = np.einsum("thw,tc->hwc", masks, colours)
    return (0.5 * image + 0.5 * tint).astype(np.float32)
