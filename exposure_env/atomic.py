"""Atomic file output: every file this package writes appears whole or not at all.

A write also holds the stop signals (SIGINT, SIGTERM, SIGHUP) until it is over, so that a run
stopped meanwhile leaves the old file or the new one, and no temporary file; a set of files
written together (a checkpoint and its companions) is held as one with :func:`signals_held`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
from pathlib import Path
from typing import Callable, Iterator

#: the signals that stop a run, held while files are written
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
#: the names of temporary files :func:`atomic_write` makes: ``.<stem>.<random>.tmp<suffix>``
TEMPORARY_MARK = ".tmp"


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Act on a stop signal that arrives inside the block only when it is over (whatever its handler does then).

    Signals can only be handled in the main thread; elsewhere this does nothing. Blocks nest.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {signum: signal.signal(signum, lambda signum, frame: caught.append(signum)) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if caught:
            signal.raise_signal(caught[0])


def atomic_write(path: str | os.PathLike, write: Callable[[str], object]) -> Path:
    """Call ``write(temporary_path)`` on a temporary file beside ``path``, then rename it to ``path``.

    The rename is atomic on one file system, so readers see the old file or the new one, never a
    half-written one; on any error the temporary file is removed and ``path`` is untouched, and
    a stop signal waits until the file is in place (:func:`signals_held`).
    The temporary name keeps ``path``'s suffix so writers that pick a format by extension work.
    It takes at most 16 characters of the stem and of the suffix, so that any name the file
    system takes for ``path`` leaves room for the temporary one.

    Raises:
        OSError: the folder cannot be made or written; the message names ``path``, never the temporary file.
    """
    path = Path(path)
    with signals_held():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem[:16]}.",
                                                 suffix=f"{TEMPORARY_MARK}{path.suffix[:16]}")
        except OSError as error:
            raise type(error)(error.errno, f"cannot write there ({error.strerror})", str(path)) from None
        os.close(handle)
        try:
            write(temporary)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
            os.replace(temporary, path)
        except OSError as error:
            if error.filename != temporary:
                raise
            raise type(error)(error.errno, error.strerror, str(path)) from None
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
    return path


def is_temporary(path: Path) -> bool:
    """Whether ``path`` is named as :func:`atomic_write`'s temporary files (left behind only by a killed process)."""
    name = path.name
    return name.startswith(".") and (f"{TEMPORARY_MARK}." in name or name.endswith(TEMPORARY_MARK))


def check_writable(folder: Path) -> None:
    """Check, leaving nothing behind, that files can be made in ``folder`` (or where it would be made).

    Raises:
        OSError: the nearest existing folder on the way is a file, or cannot be written; the message names it.
    """
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    made = "" if existing == folder else f", so {folder} cannot be made"
    if not existing.is_dir():
        raise NotADirectoryError(f"{existing} is a file, not a folder{made}")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        raise OSError(error.errno, f"{existing}: cannot write there ({error.strerror}){made}") from None
