"""The DeepExposure policies that ship with the package, loaded: ``exposure-retouch``'s looks
(:data:`agents.looks.LOOKS`).

Only each actor's weights ship (``policy.pt``, about 100 kB), with a provenance record
(``policy_provenance.json``: the training command, data and terms, steps, seed, held-out metrics).
Both are written by ``python -m train.package_policy --look LOOK`` from a model that
``exposure-train`` saved.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from agents.looks import DEFAULT_LOOK, LOOKS, packaged_provenance, policy_files
from agents.policies import Actor
from exposure_env.mdp import OBSERVATION_KEYS


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


@functools.lru_cache(maxsize=len(LOOKS))
def load_packaged_policy(look: str = DEFAULT_LOOK) -> ActorPolicy:
    """A shipped policy (default: the ``fusion`` look); its ``env_kwargs`` say which env settings it expects
    (loading it draws nothing from torch's global RNG).

    Args:
        look: a name of :data:`LOOKS`.

    Raises:
        ValueError: an unknown ``look``.
        FileNotFoundError: its weights or provenance file is missing.
    """
    weights, _ = policy_files(look)
    if not weights.is_file():
        raise FileNotFoundError(f"packaged look {look!r}: {weights} is missing; rebuild it with "
                                f"`python -m train.package_policy --look {look}`")
    provenance = packaged_provenance(look)
    with torch.random.fork_rng(devices=[]):  # initial weights, overwritten at once: torch's global stream stays
        actor = Actor(tuple(provenance["actor_widths"]), int(provenance["actor_hidden"]), provenance["ev_prior"],
                      float(provenance["env_kwargs"]["max_ev"]), bool(provenance.get("segment_place", False)),
                      provenance.get("ev_window"))
    actor.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return ActorPolicy(actor, provenance["env_kwargs"])
