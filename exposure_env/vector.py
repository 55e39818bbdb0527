"""Batched ``ExposureRetouch-v0``: one call steps N photos, on CPU or on a GPU.

``gym.make_vec("ExposureRetouch-v0", num_envs=256, vectorization_mode="vector_entry_point")``
returns :class:`ExposureRetouchVectorEnv`; :class:`SB3VecEnv` adapts it to Stable-Baselines3.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Sequence

import cv2
import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from stable_baselines3.common.vec_env import VecEnv as SB3BaseVecEnv

from exposure_env.data import ImagePool, make_pool
from exposure_env.env import PreparedPhoto, check_arguments, prepare_photo
from exposure_env.ops.exposure import expose, expose_torch, local_composite, local_composite_torch
from exposure_env.ops.fusion import mertens_fusion, mertens_fusion_torch
from exposure_env.ops.layout import to_uint8
from exposure_env.ops.segmentation import Segmentation
from exposure_env.rewards.functions import (
    DiscriminatorScore,
    RewardSource,
    make_score_fn,
    negative_rmse,
    reference_score,
)

VECTOR_RESET_OPTIONS = ("reset_mask", "index")
_CODES = np.arange(256, dtype=np.float32) / np.float32(255.0)


def resolve_device(device: str | torch.device) -> torch.device:
    """A torch device from ``"cpu"``, ``"cuda"``, ``"cuda:1"``…, with a clear error when unusable."""
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"unknown device {device!r}: {error}") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but this torch build or machine has no CUDA")
    if resolved.type not in ("cpu", "cuda"):
        raise ValueError(f"device {device!r}: only 'cpu' and 'cuda' devices are supported")
    return resolved


class ExposureRetouchVectorEnv(VectorEnv):
    """N ``ExposureRetouch-v0`` episodes advanced together by batched array math.

    Same arguments, spaces, reward sources/modes and seeding as
    :class:`~exposure_env.env.ExposureRetouchEnv`; with the same seeds and photos it returns
    the same observations and rewards as N single envs (tested). Autoreset follows Gymnasium's
    default (``NEXT_STEP``): the step after an episode ends resets that env and ignores its action.

    Backends: on CPU, numpy and OpenCV (a 256-entry lookup table per env and step for the
    exposure of S0, OpenCV's Mertens, one batched critic call); on CUDA, torch on the device end
    to end (exposure, composite, the torch Mertens twin, critic). Photos are shrunk and segmented
    on CPU at reset, once per pool photo: an LRU cache of prepared photos is shared by all N envs.

    Args:
        num_envs: N, the number of parallel episodes.
        device: ``"cpu"`` or ``"cuda[:k]"``; also where the critic runs.
        tensor_observations: return observations and rewards as torch tensors on ``device``
            (no host copies) instead of numpy arrays.
        backend: ``"numpy"`` or ``"torch"``; default numpy on CPU, torch on CUDA.
        cache_size: prepared photos kept (each ≈ 30 kB at 64×64, T=4).
        Others: as :class:`~exposure_env.env.ExposureRetouchEnv`.
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(
        self,
        num_envs: int,
        device: str | torch.device = "cpu",
        tensor_observations: bool = False,
        backend: str | None = None,
        pool: ImagePool | str | None = None,
        size: int = 64,
        num_segments: int = 4,
        max_ev: float = 3.0,
        segmentation: Segmentation = "otsu",
        feather: float = 0.0,
        reward: RewardSource = "discriminator",
        reward_mode: str = "sparse",
        gamma: float = 0.99,
        fusion_weights: tuple[float, float, float] = (1.0, 1.0, 1.0),
        cache_size: int = 8192,
    ):
        if not isinstance(num_envs, (int, np.integer)) or isinstance(num_envs, bool) or num_envs < 1:
            raise ValueError(f"num_envs must be an integer >= 1, got {num_envs!r}")
        self.device = resolve_device(device)
        check_arguments(size, num_segments, max_ev, segmentation, feather, reward_mode, gamma)
        backend = backend or ("numpy" if self.device.type == "cpu" else "torch")
        if backend not in ("numpy", "torch") or (backend == "numpy" and self.device.type != "cpu"):
            raise ValueError(f"backend must be 'torch', or 'numpy' on a CPU device; got {backend!r} on {self.device}")
        self.num_envs = int(num_envs)
        self.backend = backend
        self.tensor_observations = bool(tensor_observations)
        self.pool = make_pool(pool)
        self.size, self.num_segments, self.max_ev = int(size), int(num_segments), float(max_ev)
        self.segmentation, self.feather = segmentation, float(feather)
        self.reward_mode, self.gamma = reward_mode, float(gamma)
        self.fusion_weights = tuple(float(w) for w in fusion_weights)
        self.score_fn = make_score_fn(reward, str(self.device))
        self.cache_size = int(cache_size)
        self._cache: OrderedDict[int, PreparedPhoto] = OrderedDict()

        image_space = spaces.Box(0, 255, (self.size, self.size, 3), np.uint8)
        self.single_observation_space = spaces.Dict({"seg": image_space, "original": image_space, "local": image_space})
        self.single_action_space = spaces.Box(-1.0, 1.0, (1,), np.float32)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)

        self._rngs = [seeding.np_random()[0] for _ in range(self.num_envs)]
        self._names = [""] * self.num_envs
        self._t = np.zeros(self.num_envs, dtype=np.int64)
        self._needs_reset = np.zeros(self.num_envs, dtype=bool)
        self._potential = np.zeros(self.num_envs, dtype=np.float64)
        self._started = False
        self._allocate()

    # ------------------------------------------------------------------ state
    def _allocate(self) -> None:
        n, t, s = self.num_envs, self.num_segments, self.size
        self._original_u8 = np.zeros((n, s, s, 3), np.uint8)
        self._targets: np.ndarray | None = np.zeros((n, s, s, 3), np.float32) if self.pool.paired else None
        if self.backend == "numpy":
            self._original = np.zeros((n, s, s, 3), np.float32)
            self._local = np.zeros((n, s, s, 3), np.float32)
            self._local_u8 = np.zeros((n, s, s, 3), np.uint8)  # the `local` observation, kept up to date
            self._masks = np.zeros((n, t, s, s), np.float32)
            self._hard_masks = np.zeros((n, t, s, s, 1), bool)
            self._globals = np.zeros((n, t, s, s, 3), np.float32)
        else:
            zeros = dict(device=self.device, dtype=torch.float32)
            self._original = torch.zeros((n, 3, s, s), **zeros)
            self._local = torch.zeros((n, 3, s, s), **zeros)
            self._masks = torch.zeros((n, t, s, s), **zeros)
            self._globals = torch.zeros((n, t, 3, s, s), **zeros)

    def _prepared(self, index: int) -> PreparedPhoto:
        photo = self._cache.get(index)
        if photo is None:
            sample = self.pool[index]
            photo = prepare_photo(sample.raw, sample.target, self.size, self.num_segments, self.segmentation,
                                  self.feather)
            self._cache[index] = photo
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(index)
        return photo

    def _reset_envs(self, envs: np.ndarray, pool_indices: Sequence[int] | None) -> None:
        """Start new episodes in ``envs`` (photo drawn with each env's generator, or given)."""
        photos = []
        for k, env in enumerate(envs):
            index = int(self._rngs[env].integers(len(self.pool))) if pool_indices is None else int(pool_indices[k])
            photos.append(self._prepared(index))
            self._names[env] = f"pool[{index}]"
        originals = np.stack([p.original for p in photos])
        masks = np.stack([p.masks for p in photos])
        self._original_u8[envs] = np.stack([p.original_u8 for p in photos])
        if self._targets is not None:
            self._targets[envs] = np.stack([p.target for p in photos])
        if self.backend == "numpy":
            self._original[envs] = originals
            self._local[envs] = originals
            self._local_u8[envs] = self._original_u8[envs]
            self._masks[envs] = masks
            self._hard_masks[envs] = masks[..., None] > 0.5
        else:  # one host-to-device copy per reset batch
            index = torch.as_tensor(envs, device=self.device)
            originals_on_device = torch.from_numpy(originals).to(self.device).permute(0, 3, 1, 2)
            self._original[index] = originals_on_device
            self._local[index] = originals_on_device
            self._masks[index] = torch.from_numpy(masks).to(self.device)
        self._t[envs] = 0
        self._needs_reset[envs] = False
        if self.reward_mode != "sparse":
            self._potential[envs] = self._score(self._rows(self._local, envs), envs)

    # ------------------------------------------------------------------ rewards
    def _rows(self, images: np.ndarray | torch.Tensor, envs: np.ndarray) -> np.ndarray | torch.Tensor:
        return images[envs] if self.backend == "numpy" else images[torch.as_tensor(envs, device=self.device)]

    def _score(self, batch: np.ndarray | torch.Tensor, envs: np.ndarray) -> np.ndarray:
        """Scores of the images ``batch`` (backend layout) of ``envs`` -> ``(len(envs),)`` float64."""
        if isinstance(self.score_fn, DiscriminatorScore):
            if self.backend == "numpy":
                return self.score_fn.batch(batch).astype(np.float64)
            return self.score_fn.tensor(batch).double().cpu().numpy()
        hwc = batch if self.backend == "numpy" else batch.permute(0, 2, 3, 1).cpu().numpy()
        if self.score_fn is reference_score:
            if self._targets is None:
                raise ValueError("reward='reference' needs a paired pool: this pool has no targets")
            return negative_rmse(hwc, self._targets[envs])
        return np.array([
            float(self.score_fn(image, {"name": self._names[env], "target": None if self._targets is None
                                         else self._targets[env]}))
            for image, env in zip(hwc, envs)
        ])

    # ------------------------------------------------------------------ transition
    def _advance(self, envs: np.ndarray, evs: np.ndarray) -> np.ndarray:
        """One step of the MDP for ``envs``; returns which of them just finished (bool array)."""
        steps = self._t[envs]
        # the usual case, every env at the same step: basic slicing gives views, not copies
        lockstep = len(envs) == self.num_envs and bool((steps == steps[0]).all())
        rows, step = (slice(None), int(steps[0])) if lockstep else (envs, steps)
        if self.backend == "numpy" and self.feather == 0:
            self._advance_hard_masks(envs, steps, evs)
        elif self.backend == "numpy":
            per_env_evs = evs[:, None, None, None]
            self._globals[rows, step] = expose(self._original[rows], per_env_evs)  # S^g_t = expose(S0, e_t)
            self._local[rows] = local_composite(self._local[rows], per_env_evs, self._masks[rows, step])
            self._local_u8[rows] = to_uint8(self._local[rows])
        else:
            if not lockstep:
                rows = torch.as_tensor(envs, device=self.device)
                step = torch.as_tensor(steps, device=self.device)
            ev = torch.as_tensor(evs, device=self.device, dtype=torch.float32)
            self._globals[rows, step] = expose_torch(self._original[rows], ev)
            self._local[rows] = local_composite_torch(self._local[rows], ev, self._masks[rows, step])
        self._t[envs] += 1
        return self._t[envs] == self.num_segments

    def _advance_hard_masks(self, envs: np.ndarray, steps: np.ndarray, evs: np.ndarray) -> None:
        """The numpy step for hard, disjoint masks, bitwise equal to the single env's arithmetic.

        S0 is uint8-coded, so S^g_t = expose(S0, e_t) is a 256-entry table per env (``cv2.LUT``)
        instead of two ``pow`` per pixel; segment t of S^l_t still holds S0, so there
        S^l_{t+1} = S^g_t, and elsewhere S^l_t stays: one masked copy, no blend arithmetic.
        The uint8 observation of S^l comes from a uint8 table the same way.
        """
        tables = expose(_CODES[None, :], evs[:, None])  # (n, 256) float32
        tables_u8 = to_uint8(tables)
        for env, step, table, table_u8 in zip(envs, steps, tables, tables_u8):
            exposed = cv2.LUT(self._original_u8[env], table, dst=self._globals[env, step])
            mask = self._hard_masks[env, step]
            np.copyto(self._local[env], exposed, where=mask)
            np.copyto(self._local_u8[env], cv2.LUT(self._original_u8[env], table_u8), where=mask)

    def _fuse(self, envs: np.ndarray) -> np.ndarray | torch.Tensor:
        """Eq. 30–31: P_T of ``envs`` in the backend's layout."""
        if self.backend == "numpy":
            return np.stack([mertens_fusion(self._globals[env], *self.fusion_weights) for env in envs])
        return mertens_fusion_torch(self._globals[torch.as_tensor(envs, device=self.device)], *self.fusion_weights)

    def _fused_info(self, fused: np.ndarray | torch.Tensor, finished: np.ndarray) -> np.ndarray | torch.Tensor:
        """``info["fused"]``: P_T of the finished envs as ``(N, S, S, 3)`` float32, zeros in other rows.

        Numpy, or a tensor on the device when tensor observations are asked for. In lockstep
        every env finishes at once and the fused batch is returned as it is, without a copy.
        """
        if self.backend == "torch":
            fused = fused.permute(0, 2, 3, 1)
        if len(finished) == self.num_envs:  # finished is sorted, so its rows are already in env order
            full = fused
        else:
            full = fused.new_zeros((self.num_envs, *fused.shape[1:])) if self.backend == "torch" else \
                np.zeros((self.num_envs, *fused.shape[1:]), np.float32)
            full[finished] = fused
        if self.tensor_observations:
            return torch.as_tensor(full)
        return full.cpu().numpy() if self.backend == "torch" else full

    # ------------------------------------------------------------------ gym API
    def reset(self, *, seed: int | Sequence[int] | None = None, options: dict[str, Any] | None = None):
        options = dict(options or {})
        unknown = sorted(set(options) - set(VECTOR_RESET_OPTIONS))
        if unknown:
            raise ValueError(f"reset: unknown option(s) {unknown}; expected any of {VECTOR_RESET_OPTIONS}")
        if seed is not None:
            seeds = [seed + i for i in range(self.num_envs)] if isinstance(seed, (int, np.integer)) else list(seed)
            if len(seeds) != self.num_envs:
                raise ValueError(f"reset: {len(seeds)} seeds given for {self.num_envs} envs")
            self._rngs = [seeding.np_random(s)[0] for s in seeds]
        mask = np.asarray(options.get("reset_mask", np.ones(self.num_envs, bool)), dtype=bool)
        if mask.shape != (self.num_envs,):
            raise ValueError(f"reset: reset_mask must have shape ({self.num_envs},), got {mask.shape}")
        envs = np.flatnonzero(mask)
        self._reset_envs(envs, options.get("index"))
        self._started = True
        return self._observations(), {"t": self._t.copy(), "_t": np.ones(self.num_envs, bool)}

    def step(self, actions: np.ndarray | torch.Tensor):
        if not self._started:
            raise RuntimeError("step() called before reset()")
        if isinstance(actions, torch.Tensor):
            actions = actions.detach().cpu().numpy()
        actions = np.asarray(actions, dtype=np.float32).reshape(self.num_envs, -1)
        if actions.shape[1] != 1:
            raise ValueError(f"actions must have shape ({self.num_envs}, 1), got {actions.shape}")
        if not np.isfinite(actions).all():
            raise ValueError(f"actions must be finite; env(s) {np.flatnonzero(~np.isfinite(actions[:, 0])).tolist()} are not")
        evs = np.clip(actions[:, 0], -1.0, 1.0).astype(np.float64) * self.max_ev  # as the single env: float64

        rewards = np.zeros(self.num_envs, dtype=np.float64)
        terminated = np.zeros(self.num_envs, dtype=bool)
        infos: dict[str, Any] = {}
        restarting, acting = np.flatnonzero(self._needs_reset), np.flatnonzero(~self._needs_reset)
        if restarting.size:  # NEXT_STEP autoreset: these envs start over, their action is ignored
            self._reset_envs(restarting, None)
        if acting.size:
            finished = acting[self._advance(acting, evs[acting])]
            if finished.size:
                fused = self._fuse(finished)
                final_scores = self._score(fused, finished)
                if self.reward_mode != "dense":
                    rewards[finished] += final_scores
                terminated[finished] = True
                self._needs_reset[finished] = True
                infos["score"] = np.zeros(self.num_envs)
                infos["score"][finished] = final_scores
                infos["_score"] = terminated.copy()
                infos["fused"], infos["_fused"] = self._fused_info(fused, finished), terminated.copy()
            if self.reward_mode != "sparse":
                # Eq. 20–23: F = γΦ(s_{t+1}) − Φ(s_t), Φ(s) = score(S^l); terminal potential kept
                next_potential = self._score(self._rows(self._local, acting), acting)
                rewards[acting] += self.gamma * next_potential - self._potential[acting]
                self._potential[acting] = next_potential
        infos["t"], infos["_t"] = self._t.copy(), np.ones(self.num_envs, bool)
        truncated = np.zeros(self.num_envs, dtype=bool)
        if self.tensor_observations:
            return (self._observations(), torch.as_tensor(rewards, device=self.device),
                    torch.as_tensor(terminated, device=self.device), torch.as_tensor(truncated, device=self.device),
                    infos)
        return self._observations(), rewards, terminated, truncated, infos

    def _observations(self) -> dict[str, np.ndarray | torch.Tensor]:
        steps = np.minimum(self._t, self.num_segments - 1)
        active = (self._t < self.num_segments).astype(np.float32)
        if self.backend == "numpy":
            if self.feather == 0:  # hard masks: S0 · M_t is the uint8 S0 where the mask is set
                masks = self._hard_masks[np.arange(self.num_envs), steps] & (active[:, None, None, None] > 0)
                seg = self._original_u8 * masks
            else:
                masks = self._masks[np.arange(self.num_envs), steps] * active[:, None, None]
                seg = to_uint8(self._original * masks[..., None])
            observation = {"seg": seg, "original": self._original_u8.copy(), "local": self._local_u8.copy()}
            if self.tensor_observations:
                return {key: torch.from_numpy(value) for key, value in observation.items()}
            return observation
        rows = torch.arange(self.num_envs, device=self.device)
        masks = self._masks[rows, torch.as_tensor(steps, device=self.device)]
        masks = masks * torch.as_tensor(active, device=self.device)[:, None, None]

        def as_uint8(images: torch.Tensor) -> torch.Tensor:  # (N, 3, H, W) float -> (N, H, W, 3) uint8
            return torch.round(images.clamp(0.0, 1.0) * 255.0).to(torch.uint8).permute(0, 2, 3, 1).contiguous()

        observation = {
            "seg": as_uint8(self._original * masks.unsqueeze(1)),
            "original": as_uint8(self._original),
            "local": as_uint8(self._local),
        }
        if self.tensor_observations:
            return observation
        return {key: value.cpu().numpy() for key, value in observation.items()}


class SB3VecEnv(SB3BaseVecEnv):
    """Stable-Baselines3 ``VecEnv`` view of an :class:`ExposureRetouchVectorEnv`.

    SB3 resets a finished env within the same step and puts its last observation in
    ``info["terminal_observation"]``; this adapter does that with one partial reset.
    """

    def __init__(self, env: ExposureRetouchVectorEnv | gym.vector.VectorWrapper):
        if env.unwrapped.tensor_observations:
            raise TypeError("SB3VecEnv needs numpy observations: create the env with tensor_observations=False")
        self.env = env
        super().__init__(env.num_envs, env.single_observation_space, env.single_action_space)
        self._actions: np.ndarray | None = None

    def reset(self):
        seed = self._seeds[0] if self._seeds and self._seeds[0] is not None else None
        observation, _ = self.env.reset(seed=seed)
        self._reset_seeds()
        self._reset_options()
        return observation

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self):
        observation, rewards, terminated, truncated, infos = self.env.step(self._actions)
        dones = terminated | truncated
        step_infos: list[dict[str, Any]] = [{"TimeLimit.truncated": bool(truncated[i] and not terminated[i])}
                                            for i in range(self.num_envs)]
        if dones.any():
            finished = np.flatnonzero(dones)
            for i in finished:
                step_infos[i]["terminal_observation"] = {key: value[i] for key, value in observation.items()}
                if "score" in infos:
                    step_infos[i]["score"] = float(infos["score"][i])
                    step_infos[i]["fused"] = infos["fused"][i]
            observation, _ = self.env.reset(options={"reset_mask": dones})
        return observation, rewards.astype(np.float32), dones, step_infos

    def close(self) -> None:
        self.env.close()

    def get_attr(self, attr_name: str, indices=None) -> list[Any]:
        return [getattr(self.env, attr_name) for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices=None) -> None:
        setattr(self.env, attr_name, value)

    def env_method(self, method_name: str, *method_args, indices=None, **method_kwargs) -> list[Any]:
        return [getattr(self.env, method_name)(*method_args, **method_kwargs) for _ in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices=None) -> list[bool]:
        return [False for _ in self._get_indices(indices)]
