"""Atomic file output: every file this package writes appears whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

def atomic_write(path: str | os.PathLike, write: Callable[[str], object]) -> Path:
    """Call ``write(temporary_path)`` on a temporary file beside ``path``, then rename it to ``path``.

    The rename is atomic on one file system, so readers see the old file or the new one, never a
    half-written one; on any error the temporary file is removed and ``path`` is untouched.
    The temporary name keeps ``path``'s suffix so writers that pick a format by extension work.
    It takes at most 16 characters of the stem and of the suffix, so that any name the file
    system takes for ``path`` leaves room for the temporary one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem[:16]}.",
                                         suffix=f".tmp{path.suffix[:16]}")
    os.close(handle)
    try:
        write(temporary)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return path
