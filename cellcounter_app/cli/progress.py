"""A plain-text progress bar on stderr for the CLI (a line per image when not a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from .terminal import escape, silence


class ProgressBar:
    """Draws ``[#####.....] 12/40  a01.tif: 52 cells  00:14 left``.

    The message is escaped (`escape`): a file name cannot recolour or clear the
    terminal. A closed stream (its reader gone) silences the bar.
    """

    def __init__(self, total: int, stream: TextIO | None = None, quiet: bool = False, width: int = 24):
        self.total = max(total, 0)
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.width = width
        self.start = time.monotonic()
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, done: int, message: str) -> None:
        if self.quiet:
            return
        elapsed = time.monotonic() - self.start
        left = elapsed / done * (self.total - done) if done else 0.0
        fill = int(self.width * done / self.total) if self.total else self.width
        bar = "#" * fill + "." * (self.width - fill)
        line = f"[{bar}] {done}/{self.total}  {escape(message)}  {_clock(left)} left"
        self._write("\r\033[K" + line[:160] if self.tty else line + "\n")

    def close(self) -> None:
        if self.tty and not self.quiet:
            self._write("\n")

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except BrokenPipeError:
            self.quiet = True
            silence(self.stream)


def _clock(seconds: float) -> str:
    minutes, sec = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{sec:02d}" if hours else f"{minutes:02d}:{sec:02d}"
