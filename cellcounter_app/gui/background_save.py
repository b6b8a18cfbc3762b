"""Saving a project without blocking the window: one save at a time, retried a while after a failure.

The project file's text is made on the GUI thread (`plan_save`, a consistent
snapshot); the files are written by a worker (`write_plan`).  A failed write
is undone (`cancel_plan`: the label images are pending again) and the next
autosave waits `AUTOSAVE_RETRY_S`.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject

from ..errors import CellCounterError
from ..project import Autosaver, Project
from ..project.store import cancel_plan, plan_save, write_plan
from .qt_worker import QtWorker

log = logging.getLogger(__name__)

AUTOSAVE_RETRY_S = 30.0
"""After a failed autosave (disk full, folder gone), wait this long before trying again."""


class BackgroundSave(QObject):
    """The background save of the session's project.

    Parameters
    ----------
    autosaver_of : callable
        The autosaver of a project while it is still the open one, else None
        (told of a failed save so that it tries again).
    """

    def __init__(self, autosaver_of: Callable[[Project], Autosaver | None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._autosaver_of = autosaver_of
        self._worker: QtWorker | None = None
        self._job: dict[str, Any] = {}
        self._retry_at = 0.0

    @property
    def running(self) -> bool:
        """Whether a save is being written (or its outcome not yet recorded)."""
        return self._worker is not None

    def ready(self) -> bool:
        """Whether an autosave may start now: none running and no failure in the last `AUTOSAVE_RETRY_S`."""
        return self._worker is None and time.monotonic() >= self._retry_at

    def start(self, project: Project, autosaver: Autosaver, then: Callable[[Path | None], None] | None = None) -> None:
        """Save ``project``; ``then(project file)`` is called once written (None: it failed)."""
        autosaver.pending = False
        try:
            plan = plan_save(project)
        except CellCounterError as exc:
            log.error("autosave failed: %s", exc)
            autosaver.notify_changed()
            if then is not None:
                then(None)
            return
        job: dict[str, Any] = {"plan": plan, "project": project, "revision": project.revision, "then": then}
        self._job = job

        def write(cancelled: Any) -> Any:
            job["path"] = write_plan(plan)
            yield job["path"]

        self._worker = QtWorker(write, "autosave", self)
        self._worker.finished.connect(lambda _cancelled: self.finish(wait=True))
        self._worker.start()

    def finish(self, *, wait: bool = False) -> None:
        """Record the outcome of the save (waiting for it when ``wait``); idempotent."""
        worker = self._worker
        if worker is None or (worker.is_running() and not wait):
            return
        worker.wait()
        worker.blockSignals(True)
        worker.deleteLater()
        self._worker, job, self._job = None, self._job, {}
        project: Project = job["project"]
        if "path" not in job:
            cancel_plan(project, job["plan"])
            self._retry_at = time.monotonic() + AUTOSAVE_RETRY_S
            autosaver = self._autosaver_of(project)
            if autosaver is not None:
                autosaver.notify_changed()
        else:
            project.labels_written([image_id for image_id, _, _ in job["plan"].labels])
            if project.revision == job["revision"]:
                project.mark_saved(job["path"])
        if job.get("then") is not None:
            job["then"](job.get("path"))
