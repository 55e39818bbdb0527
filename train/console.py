"""What the command-line tools do with their output streams and with signals.

Only the standard library (and :mod:`exposure_env.atomic`) is imported here, so that ``--help`` answers
before torch loads.

- A file name that is not valid UTF-8 (a Latin-1 byte from an old camera or a Windows share)
  is printed with backslash escapes (``caf\\xe9.jpg``) where the stream encodes strictly, never
  stopping the run with ``UnicodeEncodeError``.
- Stdout closed early (``exposure-retouch DIR --out OUT | head -n 1``): the lines that no one
  reads any more are dropped and the run goes on; the exit code is the run's own.
- SIGINT, SIGTERM and SIGHUP raise :class:`Stopped` (a ``KeyboardInterrupt``), so that every
  ``finally`` runs (no temporary file is left) and the tool can say what was done and what was
  not before it exits with ``128 + signal`` (130, 143, 129).
"""

from __future__ import annotations

import codecs
import contextlib
import os
import signal
import sys
from typing import Callable, Iterator, NoReturn, TextIO

from exposure_env.atomic import STOP_SIGNALS

#: the error handler of the tools' streams (see :func:`escape_unencodable`)
ESCAPE_ERRORS = "exposure-escape"


class Stopped(KeyboardInterrupt):
    """A run stopped by a signal; ``exit_code`` is the shell's ``128 + signal``.

    Args:
        signum: the signal's number (SIGINT for a plain ``KeyboardInterrupt``).
    """

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signal.Signals(signum).name)
        self.signal_name = signal.Signals(signum).name
        self.exit_code = 128 + int(signum)


def stop_reason(interrupt: KeyboardInterrupt) -> Stopped:
    """``interrupt`` as a :class:`Stopped` (a plain ``KeyboardInterrupt`` is SIGINT's)."""
    return interrupt if isinstance(interrupt, Stopped) else Stopped(signal.SIGINT)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """While inside, each of :data:`STOP_SIGNALS` raises :class:`Stopped` in the main thread; handlers restored after."""
    def stop(signum: int, frame: object) -> NoReturn:
        raise Stopped(signum)

    previous = {signum: signal.signal(signum, stop) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def escape_unencodable(error: UnicodeEncodeError) -> tuple[str, int]:
    """Codec error handler: a byte of an undecodable file name (a lone surrogate U+DC80-U+DCFF, as Python
    decodes file names) as ``\\xe9``, any other character the stream cannot encode as ``\\u00e9``."""
    text = error.object[error.start:error.end]
    escaped = "".join(f"\\x{ord(char) - 0xDC00:02x}" if 0xDC80 <= ord(char) <= 0xDCFF else
                      char.encode("ascii", "backslashreplace").decode() for char in text)
    return escaped, error.end


def tolerant_streams() -> None:
    """Make stdout and stderr write any file name: undecodable bytes as ``\\xe9`` (:func:`escape_unencodable`)."""
    codecs.register_error(ESCAPE_ERRORS, escape_unencodable)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors=ESCAPE_ERRORS)


def write_line(text: str, stream: TextIO | None = None, write: Callable[[str, TextIO], object] | None = None) -> None:
    """Write one line to ``stream`` (default stdout) and flush it; a closed pipe only silences the stream.

    Args:
        text: the line, without its newline.
        stream: where it goes.
        write: ``write(text, stream)`` that adds the newline (e.g. ``tqdm.write`` so a progress bar stays
            whole); default ``print``.
    """
    stream = stream or sys.stdout
    try:
        if write is None:
            print(text, file=stream)
        else:
            write(text, stream)
        stream.flush()
    except BrokenPipeError:
        silence(stream)


def silence(stream: TextIO) -> None:
    """Point ``stream``'s file descriptor at the null device: what is still buffered or written later is dropped."""
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, stream.fileno())
    finally:
        os.close(null)


def run_tool(main: Callable[[], int], prog: str) -> NoReturn:
    """Run a tool's ``main`` as a console script: tolerant streams, clean stops, its exit code.

    ``main`` should catch ``KeyboardInterrupt`` where it can say what was done; a :class:`Stopped`
    that reaches here is reported in one line and exits with its code.
    """
    tolerant_streams()
    try:
        with stop_on_signals():
            code = main()
    except KeyboardInterrupt as interrupt:
        stopped = stop_reason(interrupt)
        print(f"\n{prog}: stopped by {stopped.signal_name}", file=sys.stderr)
        code = stopped.exit_code
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        silence(sys.stdout)
    sys.exit(code)
