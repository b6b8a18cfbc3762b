"""Run a project training in a child process and relay its reports (torch loads only in the child).

The window measured its event loop while training ran in a thread of its
own process: importing torch and starting the first steps held Python's
lock for up to 1.6 s, and reading the label images of 50 corrected images
took 5.7 s, freezing the window.  In a child process the window never
waits: this module, imported by the parent, does not import torch; the
child opens the saved project, reads its training images, imports torch,
trains with `project_train.train_project` and sends each report back
through a queue as a plain `Report` (unpickling the child's own classes
would import their modules, torch included, in the window's process).  The parent drains :func:`relay`, a
generator with cooperative cancel like every other job.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import queue as queue_module
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from ..errors import CellCounterError

log = logging.getLogger(__name__)

POLL_S = 0.2


@dataclass(frozen=True)
class ProcessFailed:
    """The child process stopped without a result (crash, killed, or an error it could not report)."""

    message: str
    details: str = ""


class _Done:
    """Sent last by the child."""


class Report:
    """A report of the child, as plain data: ``report_type`` is the class name in the child
    (``StepReport``, ``EpochReport``, ``TrainingStarted``, ``ProjectTrainResult``...), its
    fields are attributes.  Sending the child's own objects would make the parent import
    their modules, and with them torch, to unpickle them.
    """

    def __init__(self, report_type: str, fields: dict[str, Any]) -> None:
        self.report_type = report_type
        self.__dict__.update(fields)

    def __repr__(self) -> str:
        return f"Report({self.report_type}, {self.__dict__})"


def _plain(report: Any) -> Report:
    fields = {f.name: getattr(report, f.name) for f in dataclasses.fields(report)} \
        if dataclasses.is_dataclass(report) else dict(vars(report))
    return Report(type(report).__name__, fields)


CHILD_NICENESS = 5
"""The child runs at a lower priority so that the window keeps the CPU it needs to stay responsive."""


def _child(project: Path, options: dict[str, Any], reports: Any, stop: Any) -> None:
    if hasattr(os, "nice"):
        try:
            os.nice(CHILD_NICENESS)
        except OSError:
            log.info("training runs at normal priority")
    try:
        from ..project import load_project
        from .project_data import check_enough
        from .project_train import ProjectTrainRequest, train_project

        request = ProjectTrainRequest.from_project(load_project(project), **options)
        check_enough(request.images)
        for report in train_project(request, cancel=stop.is_set):
            reports.put(_plain(report))
    except CellCounterError as exc:
        reports.put(ProcessFailed(str(exc)))
    except BaseException as exc:  # reported to the parent, which logs it with the traceback
        reports.put(ProcessFailed(f"training failed: {type(exc).__name__}: {exc}", traceback.format_exc()))
    finally:
        reports.put(_Done())


def relay(project: Path, options: dict[str, Any], cancelled: Callable[[], bool]) -> Iterator[Any]:
    """Train on the saved project in ``project`` in a child process; yield its reports (`Report`).

    The child opens the project from disk and reads the training images
    itself (see `project_train.train_project`), so the window only has to
    save first.

    ``cancelled()`` is checked while waiting: the child stops after its
    current step and still exports the best model so far.  Ends with a
    `ProcessFailed` when the child dies without finishing.
    """
    context = multiprocessing.get_context("spawn")
    reports = context.Queue()
    stop = context.Event()
    child = context.Process(target=_child, args=(Path(project), dict(options), reports, stop),
                            name="cellcounter-training", daemon=True)
    child.start()
    try:
        while True:
            if cancelled() and not stop.is_set():
                stop.set()
            try:
                item = reports.get(timeout=POLL_S)
            except queue_module.Empty:
                if not child.is_alive():
                    yield ProcessFailed(f"the training process ended unexpectedly (exit code {child.exitcode})")
                    return
                continue
            if isinstance(item, _Done):
                return
            if isinstance(item, ProcessFailed) and item.details:
                log.error("training process: %s\n%s", item.message, item.details)
            yield item
    finally:
        stop.set()
        child.join(timeout=60)
        if child.is_alive():
            log.error("the training process did not stop; terminating it")
            child.terminate()
            child.join(timeout=10)
        reports.close()
        reports.join_thread()
