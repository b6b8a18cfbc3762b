"""A plain-text progress bar on stderr for the CLI (a line per image when not a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Draws ``[#####.....] 12/40  a01.tif: 52 cells  00:14 left``."""

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
        line = f"[{bar}] {done}/{self.total}  {message}  {_clock(left)} left"
        if self.tty:
            self.stream.write("\r\033[K" + line[:160])
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and not self.quiet:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    minutes, sec = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{sec:02d}" if hours else f"{minutes:02d}:{sec:02d}"
