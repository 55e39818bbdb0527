"""Every algorithm a model can be trained with, under one name: ``--algo``, ``--agents`` and saved models.

``deepexposure-value`` is DeepExposure with a value network (appendix Alg. 1),
``deepexposure-discriminator`` DeepExposure with the discriminator as value (Alg. 2); ``ppo``,
``sac``, ``td3``, ``ddpg`` and ``a2c`` are the stock Stable-Baselines3 agents, the baselines.

A model saved by :func:`save` (or :meth:`agents.DeepExposure.save`) names its algorithm inside its
zip file, so :func:`load` needs no name. This module imports torch and Stable-Baselines3 only when
a model is built, saved or loaded: command-line tools list the names before parsing arguments.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stable_baselines3.common.base_class import BaseAlgorithm

#: DeepExposure's names and their ``value=``
DEEP_EXPOSURE = {"deepexposure-value": "network", "deepexposure-discriminator": "discriminator"}
#: the stock Stable-Baselines3 agents (their class is the name in capitals)
STOCK = ("ppo", "sac", "td3", "ddpg", "a2c")
NAMES = (*DEEP_EXPOSURE, *STOCK)
#: the member of a saved model's zip file that holds its algorithm's name
ALGORITHM_MEMBER = "algorithm"


def algorithm_class(name: str) -> type[BaseAlgorithm]:
    """The class that trains ``name``: :class:`agents.DeepExposure` or a stock SB3 algorithm."""
    if name in DEEP_EXPOSURE:
        from agents.deep_exposure import DeepExposure

        return DeepExposure
    if name not in STOCK:
        raise ValueError(f"unknown algorithm {name!r}; expected one of {', '.join(NAMES)}")
    import stable_baselines3

    return getattr(stable_baselines3, name.upper())


def make(name: str, policy: Any, env: Any, **kwargs: Any) -> BaseAlgorithm:
    """A new model of algorithm ``name``: ``algorithm_class(name)(policy, env, **kwargs)`` (DeepExposure with its ``value=``)."""
    if name in DEEP_EXPOSURE:
        kwargs["value"] = DEEP_EXPOSURE[name]
    return algorithm_class(name)(policy, env, **kwargs)


def name_of(model: BaseAlgorithm) -> str:
    """The name of the algorithm of ``model``."""
    value = getattr(model, "value", None)
    for name in NAMES:
        if type(model) is algorithm_class(name) and DEEP_EXPOSURE.get(name, value) == value:
            return name
    raise ValueError(f"{type(model).__name__} is none of the algorithms {', '.join(NAMES)}")


def record(path: str | os.PathLike, name: str) -> None:
    """Write ``name`` into the saved model ``path`` (SB3's loader ignores the extra member)."""
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(ALGORITHM_MEMBER, name)


def saved_name(path: str | os.PathLike) -> str | None:
    """The algorithm a model file names, or ``None`` when it names none (saved by plain SB3 ``save``).

    Raises:
        ValueError: ``path`` is not a zip file.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            if ALGORITHM_MEMBER not in archive.namelist():
                return None
            return archive.read(ALGORITHM_MEMBER).decode()
    except zipfile.BadZipFile:
        raise ValueError(f"{path}: not a saved model (not a zip file)") from None


def save(model: BaseAlgorithm, path: str | os.PathLike) -> Path:
    """Save ``model`` to ``path`` atomically, naming its algorithm inside; DeepExposure's GAN reward goes beside it."""
    from exposure_env.atomic import atomic_write

    path = Path(path)
    name = name_of(model)
    if name in DEEP_EXPOSURE:
        model.save(path)  # atomic, names itself, and writes its GAN reward's companion
        return path

    def write(temporary: str) -> None:
        model.save(temporary)
        record(temporary, name)

    return atomic_write(path, write)


def load(path: str | os.PathLike, algo: str | None = None, **kwargs: Any) -> BaseAlgorithm:
    """Load a saved model; ``algo`` is needed only when the file names no algorithm.

    Raises:
        ValueError: the file is missing, names no algorithm and ``algo`` is ``None``, names
            another than ``algo``, or cannot be loaded (one line naming the file).
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such model file")
    saved = saved_name(path)
    if saved is not None and algo is not None and saved != algo:
        raise ValueError(f"{path}: saved by {saved}, not {algo}")
    name = saved or algo
    if name is None:
        raise ValueError(f"{path}: the file does not say which algorithm saved it; give it (one of {', '.join(NAMES)})")
    try:
        return algorithm_class(name).load(path, **kwargs)
    except Exception as error:  # noqa: BLE001 - any failure to unpickle means the same to the user
        raise ValueError(f"{path}: not a {name} model ({type(error).__name__}: {error})") from None
