"""Debounced autosave: save a couple of seconds after the last change.

`Autosaver` is only the policy; whoever owns the event loop drives it (the
GUI calls :meth:`Autosaver.tick` from a QTimer every few hundred ms and
:meth:`Autosaver.flush` on quit).  Saving waits until changes pause for
``delay_s``, but never longer than ``max_delay_s`` after the first unsaved
change, so a long slider drag still gets saved.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Callable

from ..errors import ParameterError
from .model import Project
from .paths import project_file
from .store import save_project

log = logging.getLogger(__name__)

QUIET_EVENTS = ("saved", "dirty")


class Autosaver:
    """Save ``project`` once it has been left alone for ``delay_s`` seconds.

    Parameters
    ----------
    project : Project
        Its changes are followed through :meth:`Project.subscribe`.
    delay_s : float
        Quiet time after the last change before saving (> 0).
    clock : callable
        Returns the current time in seconds (default `time.monotonic`).
    max_delay_s : float
        Longest wait after the first unsaved change (>= ``delay_s``).
    save : callable
        ``save(project)``, default `save_project`.

    Examples
    --------
    >>> now = [0.0]
    >>> saver = Autosaver(Project("/tmp/demo"), 2.0, clock=lambda: now[0], save=lambda p: None)
    >>> saver.notify_changed(); now[0] = 1.0; saver.due()
    False
    >>> now[0] = 3.5; saver.due()
    True
    """

    def __init__(
        self,
        project: Project,
        delay_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_delay_s: float = 30.0,
        save: Callable[[Project], Any] = save_project,
    ):
        if not delay_s > 0:
            raise ParameterError(f"delay_s must be a positive number of seconds, got {delay_s!r}")
        if not max_delay_s >= delay_s:
            raise ParameterError(f"max_delay_s must be at least delay_s ({delay_s:g}), got {max_delay_s!r}")
        self.project = project
        self.delay_s = float(delay_s)
        self.max_delay_s = float(max_delay_s)
        self.clock = clock
        self._save = save
        self.pending = False
        self._first = self._last = 0.0
        if project.dirty:
            self.notify_changed()
        self._unsubscribe = project.subscribe(self._on_event)

    def notify_changed(self) -> None:
        """Note a change: the save is due ``delay_s`` from now."""
        now = self.clock()
        if not self.pending:
            self._first = now
        self._last = now
        self.pending = True

    def due(self, now: float | None = None) -> bool:
        """Whether a save is due at ``now`` (default: the clock's time)."""
        if not self.pending:
            return False
        now = self.clock() if now is None else now
        return now - self._last >= self.delay_s or now - self._first >= self.max_delay_s

    def tick(self, now: float | None = None) -> Path | None:
        """Save when due; returns the project file when it saved."""
        return self.flush() if self.due(now) else None

    def flush(self) -> Path | None:
        """Save now if anything changed; returns the project file when it saved.

        A failed save raises (the caller shows it once) and is tried again
        after another ``delay_s``.
        """
        if not (self.pending or self.project.dirty):
            return None
        try:
            self._save(self.project)
        except Exception:
            self.pending = False
            self.notify_changed()
            raise
        self.pending = False
        return project_file(self.project.folder)

    def close(self) -> None:
        """Stop following the project."""
        self._unsubscribe()

    def _on_event(self, event: str, payload: Any) -> None:
        if event == "saved":
            self.pending = False
        elif event not in QUIET_EVENTS:
            self.notify_changed()
