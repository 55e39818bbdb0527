"""Batched ``ExposureRetouch-v0``: one call steps N photos, on CPU or on a GPU.

``gym.make_vec("ExposureRetouch-v0", num_envs=256, vectorization_mode="vector_entry_point")``
returns :class:`ExposureRetouchVectorEnv`; :class:`SB3VecEnv` adapts it to Stable-Baselines3.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import cv2
import gymnasium as gym
import numpy as np
import torch
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from stable_baselines3.common.vec_env import VecEnv as SB3BaseVecEnv

from exposure_env.data import ImagePool, make_pool
from exposure_env.mdp import ExposureMDP, PreparedPhoto, checked_seed, pool_index, reset_options
from exposure_env.ops.exposure import (
    UINT8_CODES,
    expose,
    exposure_tables,
    exposure_tables_torch,
    local_composite,
    local_composite_torch,
)
from exposure_env.ops.fusion import INPUT_EV, mertens_fusion, mertens_fusion_torch
from exposure_env.ops.layout import to_uint8
from exposure_env.rewards.functions import (
    DiscriminatorScore,
    RewardSource,
    make_score_fn,
    negative_rmse,
    reference_score,
)

VECTOR_RESET_OPTIONS = ("reset_mask", "index")
#: what :meth:`SB3VecEnv.set_options` takes per env
SB3_RESET_OPTIONS = ("index",)


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


@dataclass(frozen=True)
class CachedPhoto:
    """A prepared photo as the numpy backend's host cache keeps it, in under half the bytes.

    Attributes:
        original_u8: ``(S, S, 3)`` uint8 S0; its float S0 is ``UINT8_CODES[original_u8]``, bit for bit.
        masks: ``(T, S, S)`` 0/1 uint8 when hard (OpenCV's copy masks), float32 when feathered.
        target: ``(S, S, 3)`` float32 expert retouch, or ``None``.
    """

    original_u8: np.ndarray
    masks: np.ndarray
    target: np.ndarray | None


class DeviceBank:
    """Prepared photos kept on the device, so that a reset gathers rows instead of uploading photos.

    An LRU over ``capacity`` slots keyed by pool index. A miss prepares the photo on CPU and
    uploads it, once while it stays in the bank; its target stays on the host, where host reward
    functions read it. Hard masks are kept as bool (a quarter of float32's bytes).
    """

    def __init__(self, capacity: int, size: int, num_segments: int, hard_masks: bool, device: torch.device):
        self.capacity = int(capacity)
        self.device = device
        self.original_u8 = torch.zeros((capacity, size, size, 3), dtype=torch.uint8, device=device)
        mask_dtype = torch.bool if hard_masks else torch.float32
        self.masks = torch.zeros((capacity, num_segments, size, size), dtype=mask_dtype, device=device)
        self.targets: list[np.ndarray | None] = [None] * capacity
        self._slots: OrderedDict[int, int] = OrderedDict()

    def slots(self, indices: Sequence[int], prepare: Callable[[int], PreparedPhoto]) -> list[int]:
        """The slots of pool ``indices``, preparing the missing photos and uploading them in one copy.

        Needs ``capacity`` >= the number of distinct indices: photos of this call are the most
        recently used, so eviction never takes one of them. Nothing changes if ``prepare`` raises.
        """
        missing = list(dict.fromkeys(index for index in indices if index not in self._slots))
        photos = [prepare(index) for index in missing]  # before any slot is touched: it may raise
        for index in indices:
            if index in self._slots:
                self._slots.move_to_end(index)
        new_slots = []
        for index, photo in zip(missing, photos):
            slot = len(self._slots) if len(self._slots) < self.capacity else self._slots.popitem(last=False)[1]
            self._slots[index] = slot
            self.targets[slot] = photo.target
            new_slots.append(slot)
        if new_slots:
            rows = torch.as_tensor(new_slots, device=self.device)
            self.original_u8[rows] = torch.from_numpy(np.stack([p.original_u8 for p in photos])).to(self.device)
            masks = torch.from_numpy(np.stack([p.masks for p in photos])).to(self.device)
            self.masks[rows] = masks.bool() if self.masks.dtype == torch.bool else masks
        return [self._slots[index] for index in indices]

    def __len__(self) -> int:
        """Photos held."""
        return len(self._slots)

    def nbytes(self) -> int:
        """Device bytes held."""
        return sum(t.element_size() * t.nelement() for t in (self.original_u8, self.masks))


def upload(values: np.ndarray, device: torch.device) -> torch.Tensor:
    """A small host array as a tensor on ``device``, without a device synchronisation."""
    tensor = torch.from_numpy(values)
    if device.type == "cuda":  # a pageable copy would wait for the device to drain
        return tensor.pin_memory().to(device, non_blocking=True)
    return tensor.clone()


def _check_action_count(count: int, shape: Sequence[int], num_envs: int) -> None:
    if count != num_envs:
        raise ValueError(f"actions must have shape ({num_envs}, 1), got {tuple(shape)}")


def host_exposure_values(mdp: ExposureMDP, actions: np.ndarray | torch.Tensor, acting: np.ndarray,
                         num_envs: int) -> np.ndarray:
    """float64 EVs of the ``acting`` envs from N actions on the host, after checking that those are finite.

    Raises:
        ValueError: not one action per env, or a non-finite action of an acting env (named).
    """
    if isinstance(actions, torch.Tensor):
        actions = actions.detach().cpu().numpy()
    actions = np.asarray(actions, dtype=np.float64)  # float32 would make a finite 1e39 infinite
    _check_action_count(actions.size, actions.shape, num_envs)
    acting_actions = actions.reshape(-1)[acting]
    if not np.isfinite(acting_actions).all():
        raise ValueError(f"actions must be finite; env(s) {acting[~np.isfinite(acting_actions)].tolist()} are not")
    return mdp.exposure_values(acting_actions)  # as the single env: float64


class NumpyBackend:
    """The state of N episodes on the host, advanced with numpy and OpenCV.

    Exposure of S0 is a 256-entry table per env and step (``cv2.LUT``), P_T is OpenCV's
    Mertens, the critic scores the batch in one call. Prepared photos are kept in an LRU cache of
    ``cache_size`` :class:`CachedPhoto` shared by the N envs. Arrays are channel-last:
    ``(N, S, S, 3)``.
    """

    name = "numpy"

    def __init__(self, mdp: ExposureMDP, num_envs: int, prepare: Callable[[int], PreparedPhoto], cache_size: int):
        self.mdp, self.num_envs, self.prepare, self.cache_size = mdp, num_envs, prepare, cache_size
        self.hard = mdp.feather == 0
        self._cache: OrderedDict[int, CachedPhoto] = OrderedDict()
        n, t, s = num_envs, mdp.num_segments, mdp.size
        self.original_u8 = np.zeros((n, s, s, 3), np.uint8)
        self.local = np.zeros((n, s, s, 3), np.float32)
        self.local_u8 = np.zeros((n, s, s, 3), np.uint8)  # the `local` observation, kept up to date
        self.globals = np.zeros((n, t + mdp.fuse_input, s, s, 3), np.float32)  # S^g_t, then S0's own frame
        # hard masks as 0/1 uint8 (OpenCV's copy masks), feathered as float32 weights
        self.masks = np.zeros((n, t, s, s), np.uint8 if self.hard else np.float32)
        if not self.hard:  # the feathered blend exposes the float S0
            self.original = np.zeros((n, s, s, 3), np.float32)

    # ------------------------------------------------------------------ photos
    def _cached(self, index: int) -> CachedPhoto:
        photo = self._cache.get(index)
        if photo is None:
            prepared = self.prepare(index)
            masks = prepared.masks.astype(np.uint8) if self.hard else prepared.masks
            photo = self._cache[index] = CachedPhoto(prepared.original_u8, masks, prepared.target)
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(index)
        return photo

    def cached(self) -> tuple[int, int]:
        """Photos in the host cache and their bytes."""
        arrays = [a for p in self._cache.values() for a in (p.original_u8, p.masks, p.target) if a is not None]
        return len(self._cache), sum(a.nbytes for a in arrays)

    def reset_rows(self, envs: np.ndarray, indices: Sequence[int]) -> list[np.ndarray | None]:
        """Start ``envs`` on pool photos ``indices`` (S^l_0 = S0); returns their targets."""
        photos = [self._cached(index) for index in indices]
        original_u8 = np.stack([p.original_u8 for p in photos])
        self.original_u8[envs] = self.local_u8[envs] = original_u8
        self.local[envs] = UINT8_CODES[original_u8]
        self.masks[envs] = np.stack([p.masks for p in photos])
        if not self.hard:
            self.original[envs] = self.local[envs]
        if self.mdp.fuse_input:  # S0's own frame of P_T, as the single env exposes it
            self.globals[envs, -1] = expose(self.local[envs], INPUT_EV)
        return [photo.target for photo in photos]

    # ------------------------------------------------------------------ transition
    def exposure_values(self, actions: np.ndarray | torch.Tensor, acting: np.ndarray) -> np.ndarray:
        """float64 EVs of the ``acting`` envs, as the single env computes them."""
        return host_exposure_values(self.mdp, actions, acting, self.num_envs)

    def advance(self, envs: np.ndarray, steps: np.ndarray, evs: np.ndarray) -> None:
        """S^g_t = expose(S0, e_t) and S^l_{t+1} of ``envs``, each at its own step t."""
        if self.hard:
            self._advance_hard_masks(envs, steps, evs)
            return
        # the usual case, every env at the same step: basic slicing gives views, not copies
        lockstep = bool((steps == steps[0]).all()) and len(envs) == self.num_envs
        rows, step = (slice(None), int(steps[0])) if lockstep else (envs, steps)
        per_env_evs = evs[:, None, None, None]
        shoulder = self.mdp.shoulder
        self.globals[rows, step] = expose(self.original[rows], per_env_evs, shoulder)  # S^g_t = expose(S0, e_t)
        self.local[rows] = local_composite(self.local[rows], per_env_evs, self.masks[rows, step], shoulder)
        self.local_u8[rows] = to_uint8(self.local[rows])

    def _advance_hard_masks(self, envs: np.ndarray, steps: np.ndarray, evs: np.ndarray) -> None:
        """The step for hard, disjoint masks, bitwise equal to the single env's arithmetic.

        S0 is uint8-coded, so S^g_t = expose(S0, e_t) is a 256-entry table per env (``cv2.LUT``)
        instead of two ``pow`` per pixel; segment t of S^l_t still holds S0, so there
        S^l_{t+1} = S^g_t, and elsewhere S^l_t stays: one masked copy (``cv2.copyTo``, several
        times faster than numpy's broadcast ``where=``), no blend arithmetic. The uint8
        observation of S^l comes from a uint8 table the same way.
        """
        tables = exposure_tables(UINT8_CODES, evs, self.mdp.shoulder)  # (n, 256) float32
        tables_u8 = to_uint8(tables)
        for env, step, table, table_u8 in zip(envs, steps, tables, tables_u8):
            exposed = cv2.LUT(self.original_u8[env], table, dst=self.globals[env, step])
            mask = self.masks[env, step]
            cv2.copyTo(exposed, mask, self.local[env])
            cv2.copyTo(cv2.LUT(self.original_u8[env], table_u8), mask, self.local_u8[env])

    def fuse(self, envs: np.ndarray) -> np.ndarray:
        """Eq. 30–31: P_T of ``envs``, ``(len(envs), S, S, 3)`` float32."""
        return np.stack([mertens_fusion(self.globals[env], *self.mdp.fusion_weights) for env in envs])

    # ------------------------------------------------------------------ arrays
    def rows(self, envs: np.ndarray) -> np.ndarray:
        """Index of the sorted, distinct ``envs`` in the state arrays."""
        return envs

    def composites(self, envs: np.ndarray) -> np.ndarray:
        """S^l of ``envs``: ``(len(envs), S, S, 3)`` float32."""
        return self.local[envs]

    def zeros(self) -> np.ndarray:
        """Per-env float64 zeros."""
        return np.zeros(self.num_envs, dtype=np.float64)

    def critic_scores(self, critic: DiscriminatorScore, batch: np.ndarray) -> np.ndarray:
        """The critic's scores of ``batch`` in one call: ``(B,)`` float64."""
        return critic.batch(batch).astype(np.float64)

    def host_images(self, batch: np.ndarray) -> np.ndarray:
        """``batch`` as host ``(B, S, S, 3)`` float32, for host score functions."""
        return batch

    def from_host(self, values: np.ndarray) -> np.ndarray:
        """Host scores in the backend's array type."""
        return values

    def observe(self, steps: np.ndarray, active: np.ndarray) -> dict[str, np.ndarray]:
        """The N observations: S0 masked to each env's segment ``steps`` (zeros where not ``active``), S0, S^l."""
        if self.hard:  # S0 · M_t is the uint8 S0 where the mask is set, else 0
            masks = self.masks[np.arange(self.num_envs), steps] & active[:, None, None]
            # one cv2.copyTo of the batch seen as one tall image: 6x faster than numpy's broadcast product
            seg = cv2.copyTo(self.original_u8.reshape(-1, self.mdp.size, 3), masks.reshape(-1, self.mdp.size))
            seg = seg.reshape(self.original_u8.shape)
        else:
            masks = self.masks[np.arange(self.num_envs), steps] * active[:, None, None].astype(np.float32)
            seg = to_uint8(self.original * masks[..., None])
        return {"seg": seg, "original": self.original_u8.copy(), "local": self.local_u8.copy()}


class TorchBackend:
    """The state of N episodes as tensors on a device, advanced without leaving it.

    The exposure of the uint8-coded S0 is a 256-entry table per env gathered on the device, then
    the composite, the torch Mertens twin and the critic. Prepared photos live in a
    :class:`DeviceBank`, so that a reset gathers rows instead of uploading photos. Images are
    channel-first: ``(N, 3, S, S)``.
    """

    name = "torch"

    def __init__(self, mdp: ExposureMDP, num_envs: int, prepare: Callable[[int], PreparedPhoto], capacity: int,
                 device: torch.device):
        self.mdp, self.num_envs, self.prepare, self.device = mdp, num_envs, prepare, device
        self.hard = mdp.feather == 0
        n, t, s = num_envs, mdp.num_segments, mdp.size
        self.bank = DeviceBank(capacity, s, t, self.hard, device)
        self.code_values = torch.from_numpy(UINT8_CODES).to(device)  # S0 = code / 255, as on the host
        on_device = dict(device=device)
        self.original_u8 = torch.zeros((n, s, s, 3), dtype=torch.uint8, **on_device)
        # S0's codes in channel-first order, the gather index of the per-env exposure tables
        self.original_index = torch.zeros((n, 3 * s * s), dtype=torch.int64, **on_device)
        self.local = torch.zeros((n, 3, s, s), dtype=torch.float32, **on_device)
        self.globals = torch.zeros((n, t + mdp.fuse_input, 3, s, s), dtype=torch.float32, **on_device)
        # hard masks as bool, feathered as float32 weights
        self.masks = torch.zeros((n, t, s, s), dtype=torch.bool if self.hard else torch.float32, **on_device)

    # ------------------------------------------------------------------ photos
    def cached(self) -> tuple[int, int]:
        """Photos in the device bank and their device bytes (their targets stay on the host)."""
        return len(self.bank), self.bank.nbytes()

    def reset_rows(self, envs: np.ndarray, indices: Sequence[int]) -> list[np.ndarray | None]:
        """Start ``envs`` on pool photos ``indices``, gathered from the bank; returns their targets.

        Only photos new to the bank travel to the device.
        """
        slots = self.bank.slots(indices, self.prepare)
        slot_rows, rows, s = self.device_index(np.asarray(slots)), self.rows(envs), self.mdp.size
        original_u8 = self.bank.original_u8[slot_rows]
        self.original_u8[rows] = original_u8
        codes = original_u8.permute(0, 3, 1, 2).reshape(len(envs), -1).long()
        self.original_index[rows] = codes
        self.local[rows] = self.code_values[codes].view(len(envs), 3, s, s)
        self.masks[rows] = self.bank.masks[slot_rows]
        if self.mdp.fuse_input:  # S0's own frame of P_T, by the same tables as the steps' exposures
            tables = exposure_tables_torch(self.code_values, self.code_values.new_full((len(envs),), INPUT_EV))
            self.globals[rows, -1] = tables.gather(1, codes).view(len(envs), 3, s, s)
        return [self.bank.targets[slot] for slot in slots]

    # ------------------------------------------------------------------ transition
    def exposure_values(self, actions: np.ndarray | torch.Tensor, acting: np.ndarray) -> torch.Tensor:
        """float32 EVs of the ``acting`` envs on the device.

        Actions given as a tensor are checked and clipped without leaving the device, but for
        the step's one wait, to check that the acting envs' actions are finite.
        """
        if not isinstance(actions, torch.Tensor):
            return upload(host_exposure_values(self.mdp, actions, acting, self.num_envs).astype(np.float32), self.device)
        actions = actions.detach().to(self.device)  # its own dtype: float32 would make a finite 1e39 infinite
        _check_action_count(actions.numel(), actions.shape, self.num_envs)
        acting_actions = actions.reshape(-1)[self.rows(acting)]
        finite = torch.isfinite(acting_actions)
        if len(acting) and not bool(finite.all()):  # the step's one wait for the device
            raise ValueError(f"actions must be finite; env(s) {acting[~finite.cpu().numpy()].tolist()} are not")
        return self.mdp.exposure_values_torch(acting_actions)

    def advance(self, envs: np.ndarray, steps: np.ndarray, evs: torch.Tensor) -> None:
        """S^g_t gathered from a 256-entry table per env, S^l updated on the device.

        As in :meth:`NumpyBackend._advance_hard_masks`, hard masks make the composite a masked
        copy of S^g_t; feathered ones blend with :func:`local_composite_torch`.
        """
        rows, count, s = self.rows(envs), len(envs), self.mdp.size
        if (steps == steps[0]).all():
            step: int | torch.Tensor = int(steps[0])
        else:  # pair each row with its own step
            step = self.device_index(steps)
            if isinstance(rows, slice):
                rows = torch.arange(count, device=self.device)
        tables = exposure_tables_torch(self.code_values, evs, self.mdp.shoulder)  # (n, 256): S^g_t = expose(S0, e_t)
        exposed = tables.gather(1, self.original_index[rows]).view(count, 3, s, s)
        self.globals[rows, step] = exposed
        if self.hard:
            self.local[rows] = torch.where(self.masks[rows, step].unsqueeze(1), exposed, self.local[rows])
        else:
            self.local[rows] = local_composite_torch(self.local[rows], evs, self.masks[rows, step], self.mdp.shoulder)

    def fuse(self, envs: np.ndarray) -> torch.Tensor:
        """Eq. 30–31: P_T of ``envs``, ``(len(envs), 3, S, S)`` float32 on the device."""
        return mertens_fusion_torch(self.globals[self.rows(envs)], *self.mdp.fusion_weights)

    # ------------------------------------------------------------------ arrays
    def device_index(self, values: np.ndarray) -> torch.Tensor:
        """An int64 index tensor on the device; on CUDA copied from pinned memory without waiting."""
        return upload(np.ascontiguousarray(values, dtype=np.int64), self.device)

    def rows(self, envs: np.ndarray) -> slice | torch.Tensor:
        """Index of the sorted, distinct ``envs`` in the state tensors: a slice when they are all."""
        return slice(None) if len(envs) == self.num_envs else self.device_index(envs)

    def composites(self, envs: np.ndarray) -> torch.Tensor:
        """S^l of ``envs``: ``(len(envs), 3, S, S)`` float32."""
        return self.local[self.rows(envs)]

    def zeros(self) -> torch.Tensor:
        """Per-env float64 zeros on the device."""
        return torch.zeros(self.num_envs, dtype=torch.float64, device=self.device)

    def critic_scores(self, critic: DiscriminatorScore, batch: torch.Tensor) -> torch.Tensor:
        """The critic's scores of ``batch`` on the device: ``(B,)`` float64."""
        return critic.tensor(batch).double()

    def host_images(self, batch: torch.Tensor) -> np.ndarray:
        """``batch`` as host ``(B, S, S, 3)`` float32, for host score functions."""
        return batch.permute(0, 2, 3, 1).cpu().numpy()

    def from_host(self, values: np.ndarray) -> torch.Tensor:
        """Host scores on the device."""
        return torch.from_numpy(values).to(self.device)

    def observe(self, steps: np.ndarray, active: np.ndarray) -> dict[str, torch.Tensor]:
        """The N observations on the device: S0 masked to each env's segment ``steps``, S0, S^l."""
        if (steps == steps[0]).all() and (active == active[0]).all():  # lockstep: views, no index copies
            masks = self.masks[:, int(steps[0])]
            masks = masks if active[0] else torch.zeros_like(masks)
        else:
            masks = self.masks[torch.arange(self.num_envs, device=self.device), self.device_index(steps)]
            on = upload(active, self.device)
            masks = masks & on[:, None, None] if self.hard else masks * on[:, None, None]

        def as_uint8(images: torch.Tensor) -> torch.Tensor:  # (N, 3, H, W) float -> (N, H, W, 3) uint8
            return torch.round(images.clamp(0.0, 1.0) * 255.0).to(torch.uint8).permute(0, 2, 3, 1).contiguous()

        if self.hard:  # as on the host: the uint8 S0 where the mask is set
            seg = self.original_u8 * masks.unsqueeze(-1)
        else:
            original = self.code_values[self.original_index].view(self.local.shape)
            seg = as_uint8(original * masks.unsqueeze(1))
        return {"seg": seg, "original": self.original_u8.clone(), "local": as_uint8(self.local)}


class ExposureRetouchVectorEnv(VectorEnv):
    """N ``ExposureRetouch-v0`` episodes advanced together by batched array math.

    Same arguments, spaces, reward sources/modes and seeding as
    :class:`~exposure_env.env.ExposureRetouchEnv` (the rules come from the same
    :class:`~exposure_env.mdp.ExposureMDP`); with the same seeds and photos it returns the same
    observations and rewards as N single envs (tested). Autoreset follows Gymnasium's default
    (``NEXT_STEP``): the step after an episode ends resets that env and ignores its action
    (which is not checked, as ``SyncVectorEnv`` never passes it on).

    The env keeps the bookkeeping (steps, autoreset, generators, targets, rewards, infos); the
    state lives in ``env.backend``: :class:`NumpyBackend` (numpy and OpenCV on the host) or
    :class:`TorchBackend` (tensors on the device, the default on CUDA); ``env.backend.name`` is
    ``"numpy"`` or ``"torch"``. Photos are shrunk and
    segmented on CPU at reset, once per pool photo, and cached by the backend for all N envs.
    With tensor observations and actions given as a tensor on the device, a step copies nothing
    between host and device but small per-env vectors (the done flags; indices when envs are out
    of step) and waits for the device once, to check that the acting envs' actions are finite.

    Args:
        num_envs: N, the number of parallel episodes.
        device: ``"cpu"`` or ``"cuda[:k]"``; also where the critic runs.
        tensor_observations: return observations, rewards, flags and ``info["score"]`` /
            ``info["fused"]`` as torch tensors on ``device`` instead of numpy arrays.
        backend: ``"numpy"`` or ``"torch"``; default numpy on CPU, torch on CUDA.
        cache_size: prepared photos kept (at 64×64, T=4 and hard masks: ≈ 76 kB each on the
            host for numpy; ≈ 28 kB each on the device for torch, never fewer than ``num_envs``,
            plus its 48 kB target on the host).
        pool, reward: as :class:`~exposure_env.env.ExposureRetouchEnv`.
        render_mode: ``None``; the batched env renders nothing (the single env does).
        **settings: the MDP's settings (``size``, ``num_segments``, ``max_ev``, ...), kept as
            ``env.mdp``, an :class:`~exposure_env.mdp.ExposureMDP`.

    Raises:
        ValueError: a bad ``num_envs``, ``device``, ``backend`` or setting, naming it; a ``render_mode``.
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(
        self,
        num_envs: int,
        device: str | torch.device = "cpu",
        tensor_observations: bool = False,
        backend: str | None = None,
        pool: ImagePool | str | None = None,
        reward: RewardSource = "discriminator",
        cache_size: int = 8192,
        render_mode: str | None = None,
        **settings: Any,
    ):
        if not isinstance(num_envs, (int, np.integer)) or isinstance(num_envs, bool) or num_envs < 1:
            raise ValueError(f"num_envs must be an integer >= 1, got {num_envs!r}")
        if render_mode is not None:
            raise ValueError(f"render_mode={render_mode!r}: the batched env renders nothing; render single envs: "
                             "gym.make('ExposureRetouch-v0', render_mode='rgb_array') or gym.make_vec(..., "
                             "vectorization_mode='sync', render_mode='rgb_array')")
        self.render_mode = None
        self.device = resolve_device(device)
        self.mdp = ExposureMDP.from_settings(settings)
        backend = backend or ("numpy" if self.device.type == "cpu" else "torch")
        if backend not in ("numpy", "torch") or (backend == "numpy" and self.device.type != "cpu"):
            raise ValueError(f"backend must be 'torch', or 'numpy' on a CPU device; got {backend!r} on {self.device}")
        self.num_envs = int(num_envs)
        self.tensor_observations = bool(tensor_observations)
        self.pool = make_pool(pool)
        self.score_fn = make_score_fn(reward, str(self.device))
        self.cache_size = int(cache_size)
        if backend == "numpy":
            self.backend: NumpyBackend | TorchBackend = NumpyBackend(self.mdp, self.num_envs, self._prepare,
                                                                     self.cache_size)
        else:
            capacity = min(len(self.pool), max(self.cache_size, self.num_envs))
            self.backend = TorchBackend(self.mdp, self.num_envs, self._prepare, capacity, self.device)

        self.single_observation_space = self.mdp.observation_space
        self.single_action_space = self.mdp.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)

        self._rngs = [seeding.np_random()[0] for _ in range(self.num_envs)]
        self._photo_index = np.zeros(self.num_envs, dtype=np.int64)
        self._targets: list[np.ndarray | None] = [None] * self.num_envs  # references into the cache
        self._t = np.zeros(self.num_envs, dtype=np.int64)
        self._needs_reset = np.zeros(self.num_envs, dtype=bool)
        self._potential = self.backend.zeros()
        self._started = False

    # ------------------------------------------------------------------ episodes
    def _prepare(self, index: int) -> PreparedPhoto:
        sample = self.pool[index]
        return self.mdp.prepare(sample.raw, sample.target)

    def _reset_envs(self, envs: np.ndarray, pool_indices: Sequence[int] | None) -> None:
        """Start new episodes in ``envs`` (photo drawn with each env's generator, or given)."""
        if pool_indices is None:
            indices = [int(self._rngs[env].integers(len(self.pool))) for env in envs]
        else:
            indices = [pool_index(index, len(self.pool)) for index in pool_indices]
            if len(indices) != len(envs):
                raise ValueError(f"reset: options['index'] must give one pool index per env reset ({len(envs)}), "
                                 f"got {len(indices)}")
        targets = self.backend.reset_rows(envs, indices)
        self._photo_index[envs] = indices
        for env, target in zip(envs, targets):
            self._targets[env] = target
        self._t[envs] = 0
        self._needs_reset[envs] = False
        if self.mdp.shaped:
            self._potential[self.backend.rows(envs)] = self._score(self.backend.composites(envs), envs)

    def _output(self, values: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
        """Per-env values as returned: tensors on the device with tensor observations, else numpy."""
        if isinstance(values, torch.Tensor):
            return values if self.tensor_observations else values.cpu().numpy()
        if not self.tensor_observations:
            return values
        return torch.from_numpy(values) if self.device.type == "cpu" else upload(values, self.device)

    def _score(self, batch: np.ndarray | torch.Tensor, envs: np.ndarray) -> np.ndarray | torch.Tensor:
        """Scores of the images ``batch`` (backend layout) of ``envs``: ``(len(envs),)`` float64.

        numpy for the numpy backend, a tensor on the device for the torch backend.
        """
        if isinstance(self.score_fn, DiscriminatorScore):
            return self.backend.critic_scores(self.score_fn, batch)
        hwc = self.backend.host_images(batch)
        if self.score_fn is reference_score:
            if not self.pool.paired:
                raise ValueError("reward='reference' needs a paired pool: this pool has no targets")
            scores = negative_rmse(hwc, np.stack([self._targets[env] for env in envs]))
        else:
            scores = np.array([
                float(self.score_fn(image, {"name": f"pool[{self._photo_index[env]}]", "target": self._targets[env]}))
                for image, env in zip(hwc, envs)
            ])
        return self.backend.from_host(scores)

    def _fused_info(self, fused: np.ndarray | torch.Tensor, finished: np.ndarray) -> np.ndarray | torch.Tensor:
        """``info["fused"]``: P_T of the finished envs as ``(N, S, S, 3)`` float32, zeros in other rows.

        In lockstep every env finishes at once and the fused batch is returned as it is, without a copy.
        """
        if isinstance(fused, torch.Tensor):
            fused = fused.permute(0, 2, 3, 1)
        if len(finished) == self.num_envs:  # finished is sorted, so its rows are already in env order
            return self._output(fused)
        if isinstance(fused, torch.Tensor):
            full = fused.new_zeros((self.num_envs, *fused.shape[1:]))
        else:
            full = np.zeros((self.num_envs, *fused.shape[1:]), np.float32)
        full[self.backend.rows(finished)] = fused
        return self._output(full)

    # ------------------------------------------------------------------ gym API
    def reset(
        self, *, seed: int | Sequence[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray | torch.Tensor], dict[str, Any]]:
        """Start new episodes: in every env, or in those of ``options["reset_mask"]``.

        Args:
            seed: an int seeds env k with ``seed + k``; a sequence gives one seed per env.
            options: ``"reset_mask"``, ``(N,)`` bool, the envs to reset (all by default);
                ``"index"``, one pool index per env reset (drawn by each env's generator by default).

        Returns:
            The N observations and ``{"t": (N,) steps, "_t": all True}``.

        Raises:
            ValueError: unknown options, a seed or index count that is not one per env, a
                ``reset_mask`` of another shape.
            TypeError, IndexError: an index that is not an integer or outside the pool.
        """
        options = reset_options(options, VECTOR_RESET_OPTIONS)
        if seed is not None:
            self._rngs = [seeding.np_random(s)[0] for s in self._seeds(seed)]
        mask = np.asarray(options.get("reset_mask", np.ones(self.num_envs, bool)), dtype=bool)
        if mask.shape != (self.num_envs,):
            raise ValueError(f"reset: reset_mask must have shape ({self.num_envs},), got {mask.shape}")
        envs = np.flatnonzero(mask)
        if envs.size or "index" in options:  # an all-False mask resets nothing
            self._reset_envs(envs, options.get("index"))
        self._started = True
        return self._observations(), {"t": self._t.copy(), "_t": np.ones(self.num_envs, bool)}

    def _seeds(self, seed: int | Sequence[int]) -> list[int]:
        """One seed per env: ``seed + k`` for env k, or the sequence's k-th.

        Raises:
            TypeError, ValueError: a seed that is not an integer >= 0, or a sequence that is not one per env.
        """
        if isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)):
            first = checked_seed(seed)
            return [first + k for k in range(self.num_envs)]
        if not isinstance(seed, (Sequence, np.ndarray)) or isinstance(seed, str):
            raise TypeError(f"reset: seed must be an integer or one integer per env ({self.num_envs}), got {seed!r}")
        seeds = [checked_seed(value, f"seed[{k}]") for k, value in enumerate(seed)]
        if len(seeds) != self.num_envs:
            raise ValueError(f"reset: {len(seeds)} seeds given for {self.num_envs} envs")
        return seeds

    def step(self, actions: np.ndarray | torch.Tensor) -> tuple[
        dict[str, np.ndarray | torch.Tensor], np.ndarray | torch.Tensor, np.ndarray | torch.Tensor,
        np.ndarray | torch.Tensor, dict[str, Any]
    ]:
        """Advance the N episodes by one exposure each; envs that finished last step start over.

        Args:
            actions: ``(N, 1)`` float32 in ``[-1, 1]`` (clipped there), numpy or a tensor.

        Returns:
            ``(observations, rewards, terminated, truncated, infos)``: per-env arrays (tensors with
            ``tensor_observations``); ``infos`` holds ``t`` and, for the envs that finished,
            ``score``, ``fused`` and (paired pools) ``target`` with their ``_key`` masks.

        Raises:
            RuntimeError: before ``reset()``.
            ValueError: not one action per env, or a non-finite action of an acting env.
        """
        if not self._started:
            raise RuntimeError("step() called before reset()")
        restarting, acting = np.flatnonzero(self._needs_reset), np.flatnonzero(~self._needs_reset)
        evs = self.backend.exposure_values(actions, acting)
        rewards = self.backend.zeros()
        terminated = np.zeros(self.num_envs, dtype=bool)
        infos: dict[str, Any] = {}
        if restarting.size:  # NEXT_STEP autoreset: these envs start over, their action is ignored
            self._reset_envs(restarting, None)
        if acting.size:
            self.backend.advance(acting, self._t[acting], evs)
            self._t[acting] += 1
            finished = acting[self._t[acting] == self.mdp.num_segments]
            if finished.size:
                fused = self.backend.fuse(finished)
                final_scores = self._score(fused, finished)
                rows = self.backend.rows(finished)
                if self.mdp.final_score_rewarded:
                    rewards[rows] += final_scores
                terminated[finished] = True
                self._needs_reset[finished] = True
                scores = self.backend.zeros()
                scores[rows] = final_scores
                infos["score"], infos["_score"] = self._output(scores), terminated.copy()
                infos["fused"], infos["_fused"] = self._fused_info(fused, finished), terminated.copy()
                if self.pool.paired:  # as the single env's info["target"]; host arrays, zeros in other rows
                    targets = np.zeros((self.num_envs, self.mdp.size, self.mdp.size, 3), np.float32)
                    targets[finished] = np.stack([self._targets[env] for env in finished])
                    infos["target"], infos["_target"] = targets, terminated.copy()
            if self.mdp.shaped:
                rows = self.backend.rows(acting)
                next_potential = self._score(self.backend.composites(acting), acting)
                rewards[rows] += self.mdp.shaping(self._potential[rows], next_potential)
                self._potential[rows] = next_potential
        infos["t"], infos["_t"] = self._t.copy(), np.ones(self.num_envs, bool)
        truncated = np.zeros(self.num_envs, dtype=bool)
        return self._observations(), self._output(rewards), self._output(terminated), self._output(truncated), infos

    def _observations(self) -> dict[str, np.ndarray | torch.Tensor]:
        steps = np.minimum(self._t, self.mdp.num_segments - 1)
        observation = self.backend.observe(steps, self._t < self.mdp.num_segments)
        return {key: self._output(value) for key, value in observation.items()}


class SB3VecEnv(SB3BaseVecEnv):
    """Stable-Baselines3 ``VecEnv`` view of an :class:`ExposureRetouchVectorEnv`.

    SB3 resets a finished env within the same step and puts its last observation in
    ``info["terminal_observation"]``; this adapter does that with one partial reset.
    ``set_options`` and ``seed`` apply at the next ``reset()`` only, as SB3's contract says.
    """

    def __init__(self, env: ExposureRetouchVectorEnv | gym.vector.VectorWrapper):
        if env.unwrapped.tensor_observations:
            raise TypeError("SB3VecEnv needs numpy observations: create the env with tensor_observations=False")
        self.env = env
        super().__init__(env.num_envs, env.single_observation_space, env.single_action_space)
        self._actions: np.ndarray | None = None

    def set_options(self, options: list[dict] | dict | None = None) -> None:
        """Options for the next ``reset()`` only (SB3's contract), checked now.

        Args:
            options: ``None`` or ``{}`` (photos drawn as usual); ``{"index": i}`` (every env starts
                on pool photo i); ``{"index": [i_0, ..., i_{N-1}]}`` (env k on photo i_k, as
                :meth:`ExposureRetouchVectorEnv.reset` takes it); or SB3's list of N per-env
                dicts ``{"index": i_k}``, all with an index or all without.

        Raises:
            ValueError: a key other than ``"index"``, a list or an index sequence without one
                entry per env, or some envs with an index and others without.
            TypeError: an index that is not an integer.
            IndexError: an index outside the pool.
        """
        options = {} if options is None else options
        if isinstance(options, dict) and np.ndim(options.get("index")):  # one index per env
            per_env = [{**options, "index": index} for index in options["index"]]
        elif isinstance(options, dict):
            per_env = [dict(options)] * self.num_envs
        else:
            per_env = [dict(env_options or {}) for env_options in options]
        if len(per_env) != self.num_envs:
            raise ValueError(f"set_options: {len(per_env)} option sets given for {self.num_envs} envs")
        reset_options(dict.fromkeys(set().union(*per_env)), SB3_RESET_OPTIONS, "set_options")  # every env's keys
        indexed = sum("index" in env_options for env_options in per_env)
        if 0 < indexed < self.num_envs:
            raise ValueError(f"set_options: {indexed} of {self.num_envs} envs have an 'index'; give all or none")
        pool_size = len(self.env.unwrapped.pool)
        self._options = [{"index": pool_index(env_options["index"], pool_size, f"set_options env {k} 'index'")}
                         if indexed else {} for k, env_options in enumerate(per_env)]

    def reset(self):
        seed = self._seeds[0] if self._seeds and self._seeds[0] is not None else None
        indices = [env_options["index"] for env_options in self._options if "index" in env_options]
        observation, _ = self.env.reset(seed=seed, options={"index": indices} if indices else None)
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
                if "target" in infos:
                    step_infos[i]["target"] = infos["target"][i]
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
