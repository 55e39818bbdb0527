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
- A long loop reports its progress on stderr through :func:`progress`: a tqdm bar in a terminal,
  plain lines with the count and the elapsed time in a file or a CI log.
"""

from __future__ import annotations

import codecs
import contextlib
import math
import os
import signal
import sys
import time
from typing import Any, Callable, Iterable, Iterator, NoReturn, TextIO

from exposure_env.atomic import STOP_SIGNALS

#: the error handler of the tools' streams (see :func:`escape_unencodable`)
ESCAPE_ERRORS = "exposure-escape"
#: seconds between two plain progress lines at most (while items are done)
PROGRESS_SECONDS = 30.0
#: a plain progress line at least every this share of the total
PROGRESS_SHARE = 0.1


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


class PlainProgress:
    """Progress as plain lines, for a file or a CI log: ``desc: 12/48 photos (25%), 1:23 elapsed, ~4:09 left``.

    A line when it starts, whenever ``every`` more items are done or ``seconds`` have passed since the
    last line (checked as items are done), and one when it closes. Used like a tqdm bar: iterate over
    it, or call :meth:`update`, then :meth:`close` (or use it as a context manager).

    Args:
        iterable: the items, or ``None`` to count with :meth:`update`.
        total: how many items there are (default: ``len(iterable)`` where it has one).
        desc: what is being done, the start of each line.
        unit: what an item is (a word, made plural in the lines).
        stream: where the lines go.
        every: a line every this many items (default: every tenth of ``total``; none without a total).
        seconds: a line when this long has passed since the last one.
        clock: seconds on a monotonic clock (a test's stand-in for :func:`time.monotonic`).
    """

    def __init__(self, iterable: Iterable[Any] | None = None, total: int | None = None, desc: str = "",
                 unit: str = "item", stream: TextIO | None = None, every: int | None = None,
                 seconds: float = PROGRESS_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.iterable = iterable
        self.total = total if total is not None or not hasattr(iterable, "__len__") else len(iterable)
        self.desc, self.unit, self.stream, self.seconds, self.clock = desc, unit, stream or sys.stderr, seconds, clock
        self.every = every or (max(1, math.ceil(self.total * PROGRESS_SHARE)) if self.total else None)
        self.n = 0
        self.start = self.last_time = clock()
        self.last_n: int | None = None
        self._line()

    def __iter__(self) -> Iterator[Any]:
        try:
            for item in self.iterable:
                yield item
                self.update()
        finally:
            self.close()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        """``n`` more items are done; a line when ``every`` items or ``seconds`` have passed since the last one."""
        before, self.n = self.n, self.n + n
        crossed = self.every is not None and self.n // self.every > before // self.every
        if crossed or self.clock() - self.last_time >= self.seconds:
            self._line()

    def close(self) -> None:
        """The last line (unless the count is the last line's already)."""
        if self.n != self.last_n:
            self._line()

    def _line(self) -> None:
        now = self.clock()
        elapsed = now - self.start
        count = f"{self.n} {self.unit}s"
        if self.total:
            count = f"{self.n}/{self.total} {self.unit}s ({100 * self.n // self.total}%)"
        left = f", ~{clock_time(elapsed * (self.total - self.n) / self.n)} left" if self.total and self.n else ""
        write_line(f"{self.desc}: {count}, {clock_time(elapsed)} elapsed{left}", self.stream)
        self.last_n, self.last_time = self.n, now


def clock_time(seconds: float) -> str:
    """``seconds`` as ``m:ss`` or ``h:mm:ss``."""
    minutes, second = divmod(round(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}:{minute:02d}:{second:02d}" if hours else f"{minute}:{second:02d}"


def progress(iterable: Iterable[Any] | None = None, total: int | None = None, desc: str = "", unit: str = "item",
             stream: TextIO | None = None, enabled: bool = True, **plain: Any) -> Any:
    """Progress of a long loop on ``stream`` (default stderr): a tqdm bar in a terminal, else :class:`PlainProgress`.

    Every long-running tool reports through this, so a run under ``nohup`` or in CI says how far it is.

    Args:
        iterable, total, desc, unit: as tqdm's (and :class:`PlainProgress`'s).
        stream: where the bar or lines go.
        enabled: ``False`` shows nothing (a disabled tqdm: iterate and update as usual).
        plain: :class:`PlainProgress`'s ``every``, ``seconds`` and ``clock``, for the lines only.

    Returns:
        A tqdm bar or a :class:`PlainProgress`: iterate over it, or ``update(n)`` and ``close()`` it.
    """
    stream = stream or sys.stderr
    if enabled and not is_terminal(stream):
        return PlainProgress(iterable, total, desc, unit, stream, **plain)
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, file=stream, disable=not enabled, dynamic_ncols=True)


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal (a closed or file-less stream is not)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


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
