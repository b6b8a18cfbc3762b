"""The one bridge between long work and the window: a generator run in a QThread.

A job is a function ``job(cancelled) -> iterator``; it runs in its own thread
and every item it yields reaches the GUI thread through :attr:`QtWorker.yielded`.
:meth:`QtWorker.cancel` sets a flag the job checks between steps (the
pipeline checks it between images and between inference tiles), so a cancel
never kills a thread in the middle of a write.  Workers never touch widgets;
they only see the frozen request the job was built from.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any, Callable, Iterator

from PySide6.QtCore import QObject, QThread, Signal

log = logging.getLogger(__name__)

Job = Callable[[Callable[[], bool]], Iterator[Any]]

_workers: "weakref.WeakSet[QtWorker]" = weakref.WeakSet()


def running_workers() -> list[str]:
    """Names of the workers whose thread is still running (tests check none is left)."""
    return [worker.name for worker in list(_workers) if worker.is_running()]


class _Thread(QThread):
    def __init__(self, worker: "QtWorker") -> None:
        super().__init__()
        self._worker = worker

    def run(self) -> None:
        self._worker._run()


class QtWorker(QObject):
    """Run ``job`` in a thread; its yields arrive as signals in the GUI thread.

    Signals
    -------
    yielded(object)
        Each item the job yields.
    failed(object)
        The exception that ended the job.  It is logged (with its traceback)
        as an error, which is how it reaches the error panel and the log file.
    finished(bool)
        Always emitted last, with True when the job stopped because it was cancelled.
    """

    yielded = Signal(object)
    failed = Signal(object)
    finished = Signal(bool)

    def __init__(self, job: Job, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._job = job
        self._cancel = threading.Event()
        self._thread = _Thread(self)
        self._thread.setObjectName(name)
        self._started = False

    def start(self) -> None:
        """Start the job (once)."""
        if self._started:
            raise RuntimeError(f"worker {self.name!r} was already started")
        self._started = True
        _workers.add(self)
        self._thread.start()

    def cancel(self) -> None:
        """Ask the job to stop at its next check; returns at once."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the thread ended (True) or ``msecs`` passed (False)."""
        return self._thread.wait(msecs) if self._started else True

    def _run(self) -> None:
        try:
            for item in self._job(self._cancel.is_set):
                self.yielded.emit(item)
        except Exception as exc:  # reported to the GUI, never swallowed
            log.error("%s failed: %s", self.name, exc, exc_info=True)
            self.failed.emit(exc)
        finally:
            self.finished.emit(self._cancel.is_set())
