"""The DeepExposure policy that ships with the package (the default of ``exposure-retouch``).

Only the actor's weights ship (``weights/policy.pt``, about 100 kB), with a provenance record
(``weights/policy_provenance.json``: the training command, steps, seed, held-out metrics). Both
are written by ``python -m train.package_policy`` from a model that ``exposure-train`` saved.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from agents.policies import Actor
from exposure_env.mdp import OBSERVATION_KEYS

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
PACKAGED_POLICY = WEIGHTS_DIR / "policy.pt"
PACKAGED_POLICY_PROVENANCE = WEIGHTS_DIR / "policy_provenance.json"


class ActorPolicy:
    """A trained actor as a policy: ``predict(observation, deterministic=True) -> (action, None)``.

    ``observation`` is the env's Dict of ``(S, S, 3)`` uint8 images (or a batch ``(N, S, S, 3)``);
    the action is ``(1,)`` (or ``(N, 1)``) in ``[-1, 1]``. The actor is deterministic.
    """

    def __init__(self, actor: Actor, env_kwargs: dict[str, Any]):
        self.actor = actor.eval()
        self.env_kwargs = dict(env_kwargs)  # size, num_segments, max_ev... the actor was trained with

    @torch.no_grad()
    def predict(self, observation: dict[str, np.ndarray], deterministic: bool = True) -> tuple[np.ndarray, None]:
        """The actor's action for one observation or a batch, as SB3's ``predict``.

        Args:
            observation: the env's Dict observation, each key ``(S, S, 3)`` uint8 or ``(N, S, S, 3)``.
            deterministic: ignored: the actor is deterministic.

        Returns:
            ``((1,) or (N, 1) float32 action in [-1, 1], None)``.

        Raises:
            ValueError: not the env's observation: a key missing, another shape (channel-first, another
                size), another dtype than uint8, or keys of different batch sizes (see :meth:`observation_batch`).
        """
        images = self.observation_batch(observation)
        single = np.asarray(observation["seg"]).ndim == 3
        state = torch.from_numpy(np.concatenate(images, axis=-1)).permute(0, 3, 1, 2).float() / 255.0
        action = self.actor(state).numpy()
        return (action[0] if single else action), None

    def observation_batch(self, observation: Mapping[str, Any]) -> list[np.ndarray]:
        """The images of :data:`~exposure_env.mdp.OBSERVATION_KEYS` as ``(N, S, S, 3)`` uint8, checked as SB3 checks
        an observation against its space (S is ``env_kwargs["size"]``).

        Raises:
            ValueError: see :meth:`predict`; the message names the key and what was expected.
        """
        if not isinstance(observation, Mapping):
            raise ValueError(f"predict: the observation must be the env's Dict of {', '.join(OBSERVATION_KEYS)}, "
                             f"got {type(observation).__name__}")
        missing = [key for key in OBSERVATION_KEYS if key not in observation]
        if missing:
            raise ValueError(f"predict: the observation lacks {', '.join(missing)}; the env's Dict holds "
                             f"{', '.join(OBSERVATION_KEYS)}")
        size = int(self.env_kwargs.get("size", 64))
        images = []
        for key in OBSERVATION_KEYS:
            image = np.asarray(observation[key])
            if image.ndim not in (3, 4) or image.shape[-3:] != (size, size, 3):
                raise ValueError(f"predict: observation[{key!r}] has shape {image.shape}; expected ({size}, {size}, 3) "
                                 f"or (N, {size}, {size}, 3), channel-last as the env returns")
            if image.dtype != np.uint8:
                raise ValueError(f"predict: observation[{key!r}] is {image.dtype}; expected uint8 codes 0-255 as the "
                                 "env returns")
            images.append(image[None] if image.ndim == 3 else image)
        if len({image.shape[0] for image in images}) > 1:
            raise ValueError(f"predict: the observation's keys hold batches of different sizes "
                             f"{[image.shape[0] for image in images]}")
        return images


@functools.lru_cache(maxsize=1)
def load_packaged_policy() -> ActorPolicy:
    """The shipped policy; its ``env_kwargs`` say which env settings it expects (loading it draws
    nothing from torch's global RNG)."""
    if not PACKAGED_POLICY.is_file():
        raise FileNotFoundError(f"packaged policy {PACKAGED_POLICY} is missing; rebuild it with "
                                "`python -m train.package_policy`")
    provenance = json.loads(PACKAGED_POLICY_PROVENANCE.read_text())
    with torch.random.fork_rng(devices=[]):  # initial weights, overwritten at once: torch's global stream stays
        actor = Actor(tuple(provenance["actor_widths"]), int(provenance["actor_hidden"]), provenance["ev_prior"],
                      float(provenance["env_kwargs"]["max_ev"]), bool(provenance.get("segment_place", False)),
                      provenance.get("ev_window"))
    actor.load_state_dict(torch.load(PACKAGED_POLICY, map_location="cpu", weights_only=True))
    return ActorPolicy(actor, provenance["env_kwargs"])
