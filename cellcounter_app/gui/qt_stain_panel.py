"""STAIN: how clearly each object of the current image is stained, with the minimum stain as a line to drag.

A cell counts when it is clearly stained: its signal stands above the
background around it by at least ``min_stain`` times the image's pixel noise
(`cellcounter_app.postprocess.stain`).  The histogram shows the stain of every
object post-processing finds in the current image, on a log axis: those at or
above the line are counted (blue), the fainter ones are not (grey).  Dragging
the line sets ``min_stain`` exactly as the Detection control does (for the
project, or for this image only when Detection says so): the image is
recounted live, the other images are marked changed until "Apply to all",
and the value is saved with the project.

"Fit to my annotations" draws the line where the lab's own annotations put it
(`training.stain_fit`): every annotated image of the project (imported
annotations, corrected counts) is counted in a worker with no minimum stain,
and the floor with the best F1 against the marked cells becomes the
project's ``min_stain``; where the annotations outline cells, their median
diameter becomes the project's cell size when it agrees better with them.
The note under the button says what it found.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..errors import CellCounterError
from ..postprocess.params import PARAM_SPECS
from .mixins import DeferredRefresh
from .overlay_items import POSITIVE_COLOR
from .qt_histogram import PanelPlot
from .qt_worker import QtWorker
from .session import Session

log = logging.getLogger(__name__)

SPEC = next(spec for spec in PARAM_SPECS if spec.name == "min_stain")
FLOOR = 0.1
"""The left end of the log axis (× noise); fainter objects, and those darker than around them, are drawn there."""
TOP = float(SPEC.maximum or 1000.0)
BINS = 50
STORE_DELAY_MS = 120
"""While the line is dragged, ``min_stain`` is set at most this often (each setting recounts the image)."""
KEPT_BRUSH, DROPPED_BRUSH = (90, 140, 220, 170), (150, 150, 150, 120)
LINE_PEN = pg.mkPen(POSITIVE_COLOR, width=2)
FIT_TEXT = "Fit to my annotations"


def line_position(value: float) -> float:
    """Where ``min_stain`` = ``value`` is on the log axis (0 at its left end)."""
    return math.log10(min(max(float(value), FLOOR), TOP))


def line_value(position: float) -> float:
    """The ``min_stain`` of a line at ``position``: 0 at the left end (keep every object), else 2 decimals."""
    if position <= math.log10(FLOOR) + 1e-6:
        return 0.0
    return round(10.0 ** position, 2)


class QtStainPanel(DeferredRefresh, QWidget):
    """The stain of the current image's objects and the ``min_stain`` line (see the module docstring).

    Parameters
    ----------
    session : Session
    target : callable, optional
        Where a new ``min_stain`` goes: an image id (that image only) or None
        (the project's defaults); the window passes Detection's choice.

    Signals
    -------
    min_stain_moved(float)
        The user dragged the line (or fitted it) and ``min_stain`` was set to this value.
    fit_done(str)
        A fit to the annotations ended; the text of its note.
    """

    min_stain_moved = Signal(float)
    fit_done = Signal(str)

    def __init__(self, session: Session, target: Callable[[], str | None] = lambda: None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._target = target
        self._values = np.empty(0)
        self._every = False
        """Whether ``_values`` are every object found (else only the counted cells, until those are known)."""
        self._pending: float | None = None
        self._unsubscribe = lambda: None
        layout = QVBoxLayout(self)
        self.counts = QLabel()
        self.counts.setObjectName("stain_counts")
        self.counts.setWordWrap(True)
        layout.addWidget(self.counts)
        self.plot = PanelPlot()
        self.plot.setObjectName("stain_histogram")
        self.plot.setMinimumHeight(140)
        self.plot.setLabel("left", "objects")
        self.plot.setLabel("bottom", "stain (× noise)")
        self.plot.setLogMode(x=True, y=False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.kept = pg.PlotDataItem(stepMode="center", fillLevel=0, brush=KEPT_BRUSH)
        self.dropped = pg.PlotDataItem(stepMode="center", fillLevel=0, brush=DROPPED_BRUSH)
        for item in (self.dropped, self.kept):
            self.plot.addItem(item)
        self.empty = pg.TextItem("no cells", color=(150, 150, 150), anchor=(0.5, 0.5))
        self.plot.addItem(self.empty)
        self.line = pg.InfiniteLine(angle=90, movable=True, pen=LINE_PEN,
                                    bounds=(math.log10(FLOOR), math.log10(TOP)))
        self.line.setToolTip("Minimum stain: objects at or above the line are counted. Drag it to change it; "
                             "at the left end every object is counted.")
        self.line.setVisible(False)
        self.line.sigPositionChanged.connect(lambda _: self._on_drag())
        self.line.sigPositionChangeFinished.connect(lambda _: self._on_drag_finished())
        self.plot.addItem(self.line)
        layout.addWidget(self.plot, 1)
        row = QHBoxLayout()
        self.fit = QPushButton(FIT_TEXT)
        self.fit.setObjectName("stain_fit")
        self.fit.setToolTip("Set the minimum stain from the cells you marked: every annotated image of the "
                            "project (imported annotations, corrected counts) is counted with no minimum stain "
                            "and the line goes where the count agrees best with your marks (for the project). "
                            "Outlined cells also set the cell diameter when their size counts better.")
        self.fit.clicked.connect(self.start_fit)
        row.addWidget(self.fit)
        row.addStretch(1)
        layout.addLayout(row)
        self.fit_note = QLabel()
        self.fit_note.setObjectName("stain_fit_note")
        self.fit_note.setWordWrap(True)
        self.fit_note.setVisible(False)
        layout.addWidget(self.fit_note)
        self._fit_worker: QtWorker | None = None
        self._fit_project: Any = None
        self.setToolTip(SPEC.help)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(STORE_DELAY_MS)
        self._timer.timeout.connect(self._store)
        session.project_opened.connect(self._on_project)
        session.current_changed.connect(lambda _: self.schedule_refresh())
        for signal in (session.result_changed, session.stains.found):
            signal.connect(lambda image_id: image_id == session.current and self.schedule_refresh())
        if session.project is not None:
            self._on_project(session.project)

    def _on_project(self, project: Any) -> None:
        self.stop_fit()
        self.fit_note.setVisible(False)
        self._unsubscribe()
        self._unsubscribe = project.subscribe(
            lambda event, payload: event == "params_changed" and self.schedule_refresh())
        self.schedule_refresh()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.schedule_refresh()  # the objects below the line are only looked for while the panel shows

    # -- values ---------------------------------------------------------------
    def min_stain(self) -> float:
        """The ``min_stain`` that applies to the current image (set by the user, else what its count used)."""
        project, image_id = self.session.project, self.session.current
        if project is None or not image_id:
            return float(SPEC.default)
        user = project.user_params(image_id)
        if "min_stain" in user:
            return float(user["min_stain"])
        result = self.session.result(image_id)
        used = result.params if result is not None else project.image(image_id).params_used
        value = used.get("min_stain", SPEC.default)
        return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else float(SPEC.default)

    def refresh(self) -> None:
        self.refresh_started()
        image_id = self.session.current
        result = self.session.result(image_id) if self.session.project is not None and image_id else None
        if result is None or not result.ok:
            self._values, self._every = np.empty(0), False
            self._draw(self.min_stain())
            self.line.setVisible(False)
            self.counts.setText("Count this image to see how clearly its cells are stained.")
            return
        every = self.session.stains.values(image_id) if self.isVisible() else None
        self._every = every is not None
        counted = np.asarray(result.cells.get("stain", ()), float)
        values = every if every is not None else counted
        self._values = values[np.isfinite(values)]
        threshold = self.min_stain()
        if not self.line.moving:
            self.line.blockSignals(True)
            self.line.setValue(line_position(threshold))
            self.line.blockSignals(False)
        self.line.setVisible(True)
        self._draw(threshold)

    def _draw(self, threshold: float) -> None:
        """The histogram split at ``threshold`` and the counts it gives."""
        values = self._values
        top = max(float(values.max()) if values.size else 0.0, threshold, 10.0) * 3.0  # room to drag right
        edges = np.logspace(math.log10(FLOOR), math.log10(top), BINS + 1)
        shown = np.clip(values, FLOOR, top)
        kept = values >= threshold
        self.kept.setData(edges, np.histogram(shown[kept], edges)[0])
        self.dropped.setData(edges, np.histogram(shown[~kept], edges)[0])
        self.plot.setXRange(math.log10(FLOOR), math.log10(top), padding=0.02)
        self.empty.setVisible(not values.size)
        if values.size:
            self.plot.enableAutoRange(axis="y")
        else:
            self.plot.setYRange(0, 1, padding=0)
            self.empty.setPos(0.5 * (math.log10(FLOOR) + math.log10(top)), 0.5)
        self.counts.setText(self._counts_text(int(kept.sum()), int(values.size), threshold))

    def _counts_text(self, kept: int, total: int, threshold: float) -> str:
        rule = f"stain ≥ {threshold:g} × noise" if threshold > 0 else "no minimum stain"
        if self._every:
            dropped = total - kept
            fainter = (f"{dropped} fainter one{'s are' if dropped > 1 else ' is'} not" if dropped
                       else "none is fainter")
            return f"{kept} of {total} objects counted ({rule}); {fainter}."
        if self.session.can_preview(self.session.current):
            below = "finding the fainter objects…"
        else:
            below = "count this image again to see the fainter objects"
        return f"{kept} cells counted ({rule}); {below}"

    # -- dragging -------------------------------------------------------------
    def _on_drag(self) -> None:
        """Show at once what the line keeps; set ``min_stain`` shortly (a recount follows)."""
        value = line_value(self.line.value())
        self._draw(value)
        self._pending = value
        if not self._timer.isActive():
            self._timer.start()

    def _on_drag_finished(self) -> None:
        self._timer.stop()
        self._store()

    def _store(self) -> None:
        value, self._pending = self._pending, None
        project = self.session.project
        if value is None or project is None:
            return
        try:
            project.set_params({"min_stain": value}, self._target())
        except CellCounterError as exc:
            log.warning("%s", exc)
            self.schedule_refresh()
            return
        self.min_stain_moved.emit(value)

    # -- fitting to the annotations ------------------------------------------
    def start_fit(self) -> None:
        """Fit ``min_stain`` to the project's annotated images in a worker (see the module docstring)."""
        from ..training.stain_fit import fit_to_annotations, fit_request

        project = self.session.project
        if project is None or self._fit_worker is not None:
            return
        try:
            request = fit_request(project, current=self.min_stain())
        except CellCounterError as exc:
            self._show_note(str(exc))
            return
        models, settings = self.session.models, self.session.settings
        name, gpu, threads = project.defaults.model, settings.use_gpu, settings.threads or None

        def job(cancelled: Callable[[], bool]) -> Any:
            try:
                yield from fit_to_annotations(request, models.get(name, gpu, threads), cancel=cancelled)
            except CellCounterError as exc:  # too few cells, a model that cannot load: said in the note
                yield exc

        self._fit_project = project
        self._fit_worker = QtWorker(job, "stain-fit", self)
        self._fit_worker.yielded.connect(self._on_fit_report)
        self._fit_worker.failed.connect(lambda exc: self._show_note(f"Could not fit the minimum stain: {exc}"))
        self._fit_worker.finished.connect(self._on_fit_finished)
        self.fit.setEnabled(False)
        self.fit.setText("Fitting…")
        self._fit_worker.start()

    def _on_fit_report(self, report: Any) -> None:
        from ..training.stain_fit import FitProgress, AnnotationFit

        if self.session.project is not self._fit_project:
            return
        if isinstance(report, FitProgress):
            if report.done < report.total:
                self.fit.setText(f"Fitting… count {report.done + 1} of {report.total}")
            return
        if isinstance(report, CellCounterError):
            self._show_note(str(report))
            return
        if not isinstance(report, AnnotationFit):
            return
        try:
            if report.size_changed:
                self._fit_project.set_defaults(size=report.size.to_dict())
            if report.changed:
                self._fit_project.set_params({"min_stain": report.min_stain})
        except CellCounterError as exc:
            self._show_note(str(exc))
            return
        if report.changed:
            self.min_stain_moved.emit(report.min_stain)
        self._show_note(report.summary())
        self.schedule_refresh()

    def _show_note(self, text: str) -> None:
        self.fit_note.setText(text)
        self.fit_note.setVisible(True)
        self.fit_done.emit(text)

    def _on_fit_finished(self, cancelled: bool) -> None:
        worker, self._fit_worker = self._fit_worker, None
        if worker is not None:
            worker.wait()
            worker.deleteLater()
        self.fit.setEnabled(True)
        self.fit.setText(FIT_TEXT)

    def stop_fit(self) -> None:
        """Cancel a fit under way and wait for its thread (its result is not applied)."""
        worker, self._fit_worker = self._fit_worker, None
        if worker is not None:
            worker.blockSignals(True)
            worker.cancel()
            worker.wait()
            worker.deleteLater()
            self.fit.setEnabled(True)
            self.fit.setText(FIT_TEXT)

    def closeEvent(self, event: Any) -> None:
        self.stop_fit()
        self._unsubscribe()
        super().closeEvent(event)
