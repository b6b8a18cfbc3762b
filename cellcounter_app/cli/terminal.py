"""What the CLI prints: control characters escaped, one copy of each error, no broken-pipe tracebacks.

A file name may hold ANSI escape sequences or other control characters
(``b\\x1b[31mred.tif``); printed raw they would recolour, move or clear the
terminal, so every line the CLI prints is escaped with :func:`escape`.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from ..errors import CellCounterError

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 controls (ESC included) and the bidirectional overrides that reorder what is shown."""


def escape(text: str) -> str:
    """``text`` with control characters written as Python escapes (``\\x1b``, ``\\n``, ``\\u202e``).

    Examples
    --------
    >>> escape("b\\x1b[31mred.tif")
    'b\\\\x1b[31mred.tif'
    """
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def escape_lines(text: str) -> str:
    """`escape` each line of ``text``, keeping its line breaks."""
    return "\n".join(escape(line) for line in text.split("\n"))


def say(text: str, stream: TextIO | None = None) -> None:
    """Print ``text`` (escaped) on ``stream`` (stderr); a closed pipe silences the stream instead of raising."""
    stream = stream or sys.stderr
    try:
        print(escape_lines(text), file=stream)
        stream.flush()
    except BrokenPipeError:
        silence(stream)


def silence(stream: TextIO) -> None:
    """Send what is still written to ``stream`` nowhere (its reader, ``| head`` say, has gone)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


class _EscapingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return escape_lines(super().format(record))


class _OnceFilter(logging.Filter):
    """Drop what the CLI reports anyway: a failed image (its progress line and table row say why)
    and other libraries' warnings about the same file (``tifffile: invalid offset ...``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("cellcounter_app"):
            return record.levelno >= logging.ERROR
        args: Any = record.args
        failed_image = (record.name == "cellcounter_app.pipeline" and record.levelno == logging.WARNING
                        and isinstance(args, tuple) and len(args) == 1 and isinstance(args[0], CellCounterError))
        return not failed_image


def configure_logging(verbose: bool) -> None:
    """Log to stderr, escaped; with ``verbose`` everything from INFO, else our own warnings and errors only."""
    handler = logging.StreamHandler()
    handler.setFormatter(_EscapingFormatter("%(levelname)s %(name)s: %(message)s"))
    if not verbose:
        handler.addFilter(_OnceFilter())
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])


@contextmanager
def finish_writing(what: str = "the results") -> Iterator[None]:
    """Let ``what`` be written although the user presses Ctrl+C again: one press only warns, the next stops.

    Used after a cancel, while the images counted so far are written (the
    impatient second Ctrl+C must not lose them). Outside the main thread
    signals cannot be handled and the block runs as it is.
    """
    presses = 0

    def on_interrupt(signum: int, frame: Any) -> None:
        nonlocal presses
        presses += 1
        if presses > 1:
            raise KeyboardInterrupt
        say(f"cellcounter: still writing {what}; press Ctrl+C again to abandon them")

    try:
        previous = signal.signal(signal.SIGINT, on_interrupt)
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
