"""MARKERS: which cells are positive for a stain, with a threshold you can drag.

Find the cells in one channel (e.g. DAPI), add the markers measured in the
other channels, and choose each marker's rule: automatic (`auto`: a
two-group fit on the per-cell values, flagged when there is no clear
positive group), `otsu`, `background:K`, or a value.  The histogram shows the
marker's per-cell values in the current image with the threshold as a line:
dragging it re-scores the cells at once (no pixel is read again), recolours
the overlay and updates the counts; releasing it stores the value as the
marker's rule for the project (other images are marked changed until
"Apply to all").
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..errors import CellCounterError
from ..markers import MEASURES, PositivityRule, rescore
from ..markers.setup import (
    marker_item, marker_names, rule_measure, with_detect_channel, with_marker, with_rule, without_marker,
)
from ..project import COUNTED, STALE
from .mixins import DeferredRefresh
from .overlay_items import POSITIVE_COLOR
from .qt_histogram import PanelPlot
from .session import Session

log = logging.getLogger(__name__)

RULES = ("auto", "otsu", "background:2", "manual")
BINS = 60
MEASURE_HELP = {
    "corrected": "corrected: the cell's mean intensity minus the background around it (recommended)",
    "mean": "mean: the cell's mean intensity, background included",
    "median": "median: the cell's median intensity",
    "integrated": "integrated: the sum of the cell's intensities (grows with the cell's size)",
    "ratio": "ratio: the cell's mean over the background around it (the background rule uses it)",
}
"""What each per-cell value a rule can threshold means, in plain words."""
NEEDS_CHANNELS = ("Markers need an image with several channels (e.g. DAPI + Cy3 in one file), or single-channel "
                  "files paired by name (cellcounter count --pair DAPI=Cy3). This image has one channel.")
SPLIT_PEN = pg.mkPen(POSITIVE_COLOR, width=2)
HANDLE_PEN = pg.mkPen((160, 160, 160), width=1, style=Qt.PenStyle.DashLine)
"""The line when the cells were not split: a handle to drag, not a threshold."""


class QtMarkersPanel(DeferredRefresh, QWidget):
    """The marker setup of the project and the positivity of the current image's cells.

    Signals
    -------
    threshold_moved(float)
        The user dragged the threshold (after the cells were re-scored).
    """

    threshold_moved = Signal(float)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._unsubscribe = lambda: None
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.detect = QComboBox()
        self.detect.setToolTip("The channel the cells are found in (e.g. the DAPI nuclei)")
        self.detect.activated.connect(self._on_detect)
        form.addRow("Find cells in", self.detect)
        add_row = QHBoxLayout()
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("marker name, e.g. cFos")
        self.new_channel = QComboBox()
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(lambda: self.add_marker())
        for widget in (self.new_name, self.new_channel, self.add_button):
            add_row.addWidget(widget)
        form.addRow("New marker", add_row)
        self.marker = QComboBox()
        self.marker.currentIndexChanged.connect(lambda _: self._on_marker_chosen())
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._on_remove)
        marker_row = QHBoxLayout()
        marker_row.addWidget(self.marker, 1)
        marker_row.addWidget(self.remove_button)
        form.addRow("Marker", marker_row)
        self.rule = QComboBox()
        self.rule.addItems(RULES)
        self.rule.setToolTip("auto: a two-group fit, flagged when there is no clear positive group; "
                             "otsu; background:2 = at least twice the local background; manual: drag the line")
        self.rule.activated.connect(lambda _: self._on_rule())
        self.measure = QComboBox()
        for index, name in enumerate(MEASURES):
            self.measure.addItem(name)
            self.measure.setItemData(index, MEASURE_HELP.get(name, name), Qt.ItemDataRole.ToolTipRole)
        self.measure.setToolTip("Which value of each cell the rule thresholds:\n" + "\n".join(
            MEASURE_HELP.get(name, name) for name in MEASURES))
        self.measure.activated.connect(lambda _: self._on_rule())
        rule_row = QHBoxLayout()
        rule_row.addWidget(self.rule)
        rule_row.addWidget(QLabel("of"))
        rule_row.addWidget(self.measure)
        form.addRow("Positive when", rule_row)
        layout.addLayout(form)
        self.notice = QLabel()
        self.notice.setObjectName("marker_notice")
        self.notice.setWordWrap(True)
        layout.addWidget(self.notice)
        self.counts = QLabel()
        self.counts.setObjectName("marker_counts")
        self.counts.setWordWrap(True)
        layout.addWidget(self.counts)
        self.plot = PanelPlot()
        self.plot.setMinimumHeight(140)
        self.plot.setLabel("left", "cells")
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).enableAutoSIPrefix(False)
        self.histogram = pg.PlotDataItem(stepMode="center", fillLevel=0, brush=(90, 140, 220, 160))
        self.plot.addItem(self.histogram)
        self.empty = pg.TextItem("no cells", color=(150, 150, 150), anchor=(0.5, 0.5))
        self.empty.setPos(0.5, 0.5)
        self.plot.addItem(self.empty)
        self.line = pg.InfiniteLine(angle=90, movable=True, pen=SPLIT_PEN)
        self.line.setVisible(False)
        self.line.sigPositionChanged.connect(lambda _: self._on_drag())
        self.line.sigPositionChangeFinished.connect(lambda _: self._on_drag_finished())
        self.plot.addItem(self.line)
        layout.addWidget(self.plot, 1)
        session.project_opened.connect(self._on_project)
        session.current_changed.connect(lambda _: self.schedule_refresh())
        session.result_changed.connect(lambda image_id: image_id == session.current and self.schedule_refresh())
        if session.project is not None:
            self._on_project(session.project)

    # -- the setup ------------------------------------------------------------
    def setup(self) -> dict[str, Any]:
        return dict(self.session.project.defaults.markers) if self.session.project else {}

    def _store(self, setup: dict[str, Any]) -> None:
        """Store the setup; say how many counted images it marks changed (they keep their count until recounted)."""
        project = self.session.project
        counted = {e.id for e in project.images if e.state == COUNTED}
        project.set_defaults(markers=setup)
        stale = sum(1 for e in project.images if e.id in counted and e.state == STALE)
        self.notice.setText(f"{stale} counted image{'s are' if stale != 1 else ' is'} marked changed: "
                            "Count all recounts with the new setup." if stale else "")

    def add_marker(self, name: str | None = None, channel: int | None = None) -> bool:
        """Add a marker (from the panel's fields when not given); False with the reason shown when refused."""
        name = (name if name is not None else self.new_name.text()).strip()
        channel = channel if channel is not None else self.new_channel.currentData()
        try:
            setup = self.setup()
            if self.new_channel.count() == 0 and channel is None:
                raise CellCounterError("markers need an image with several channels (choose one), or a cell "
                                       "channel and a marker channel in paired files")
            if setup.get("detect_channel") is None:
                raise CellCounterError("choose the channel the cells are found in first (Find cells in)")
            self._store(with_marker(setup, name, channel))
        except CellCounterError as exc:
            self.counts.setText(str(exc))
            return False
        self.new_name.clear()
        self.shown = name
        return True

    def set_detect_channel(self, channel: int | None) -> None:
        self._store(with_detect_channel(self.setup(), channel))

    def set_rule(self, rule: str, measure: str | None = None) -> None:
        """Store the rule of the marker shown (``auto``, ``otsu``, ``background:K`` or a value)."""
        if self.shown:
            self._store(with_rule(self.setup(), self.shown, rule, measure))

    @property
    def shown(self) -> str:
        return self.session.shown_marker

    @shown.setter
    def shown(self, name: str) -> None:
        self.session.shown_marker = name
        self.schedule_refresh()

    def _on_detect(self, index: int) -> None:
        self.set_detect_channel(self.detect.itemData(index))

    def _on_remove(self) -> None:
        if self.shown:
            self._store(without_marker(self.setup(), self.shown))
            self.shown = (marker_names(self.setup()) or [""])[0]

    def _on_marker_chosen(self) -> None:
        name = self.marker.currentData()
        if name is not None and name != self.shown:
            self.shown = name

    def _on_rule(self) -> None:
        rule = self.rule.currentText()
        if rule == "manual":
            value = self.line.value() if self.line.isVisible() else None
            if value is None:
                return
            rule = f"{value:.6g}"
        measure = "ratio" if rule.startswith("background") else self.measure.currentText()
        try:
            self.set_rule(rule, measure)
        except CellCounterError as exc:
            self.counts.setText(str(exc))

    # -- views ----------------------------------------------------------------
    def _on_project(self, project: Any) -> None:
        self._unsubscribe()
        self._unsubscribe = project.subscribe(
            lambda event, payload: event == "params_changed" and self.schedule_refresh())
        names = marker_names(project.defaults.markers)
        self.session.shown_marker = names[0] if names else ""
        self.schedule_refresh()

    def refresh(self) -> None:
        self.refresh_started()
        setup = self.setup()
        image = self.session.image(self.session.current) if self.session.current else None
        channels = _channel_names(image)
        for box, first in ((self.detect, "all channels (as the model reads them)"), (self.new_channel, None)):
            box.blockSignals(True)
            box.clear()
            if first:
                box.addItem(first, None)
            for index, label in enumerate(channels):
                box.addItem(label, index)
            box.blockSignals(False)
        self.new_channel.setPlaceholderText("needs several channels" if image is not None and not channels else "")
        detect = setup.get("detect_channel")
        self.detect.setCurrentIndex(max(0, self.detect.findData(detect)) if detect is not None else 0)
        names = marker_names(setup)
        if self.shown not in names:
            self.session.shown_marker = names[0] if names else ""
        self.marker.blockSignals(True)
        self.marker.clear()
        for name in names:
            self.marker.addItem(name, name)
        self.marker.setCurrentIndex(max(0, self.marker.findData(self.shown)))
        self.marker.blockSignals(False)
        self.remove_button.setEnabled(bool(names))
        item = marker_item(setup, self.shown) if self.shown else None
        if item is not None:
            rule = str(item.get("rule", "auto"))
            self.rule.setCurrentText(rule if rule in RULES else "manual")
            self.measure.setCurrentText(str(item.get("measure") or MEASURES[0]))
        self._show_values()

    def _values(self) -> tuple[np.ndarray | None, Any]:
        result = self.session.result(self.session.current) if self.session.current else None
        if result is None or not self.shown or marker_item(self.setup(), self.shown) is None:
            return None, result
        values = result.cells.get(f"{self.shown}_{rule_measure(self.setup(), self.shown)}")
        return (None if values is None else np.asarray(values, float)), result

    def _show_values(self) -> None:
        values, result = self._values()
        finite = np.empty(0) if values is None else values[np.isfinite(values)]
        self._show_histogram(finite)
        if values is None or result is None:
            self.line.setVisible(False)
            self.counts.setText(self._no_values_text(result))
            return
        threshold = result.summary.get(f"{self.shown}_threshold")
        split = isinstance(threshold, (int, float)) and math.isfinite(threshold)
        self.line.blockSignals(True)
        if split:
            self.line.setValue(float(threshold))
        elif finite.size:
            self.line.setValue(float(np.max(finite)))
        self.line.blockSignals(False)
        self.line.setPen(SPLIT_PEN if split else HANDLE_PEN)
        self.line.setToolTip("The threshold: cells at or above it are positive; drag it to change it" if split
                             else "Not split: drag this line to set a threshold by hand")
        self.line.setVisible(bool(finite.size))
        self._show_counts(result)

    def _show_histogram(self, finite: np.ndarray) -> None:
        """The per-cell values as a histogram, or "no cells" on plain axes."""
        self.empty.setVisible(not finite.size)
        if finite.size:
            counts, edges = np.histogram(finite, bins=BINS)
            self.histogram.setData(edges, counts)
            self.plot.enableAutoRange()
            return
        self.histogram.setData([0.0, 1.0], [0])
        self.plot.disableAutoRange()
        self.plot.setXRange(0, 1, padding=0)
        self.plot.setYRange(0, 1, padding=0)

    def _no_values_text(self, result: Any) -> str:
        if not self.shown:
            image = self.session.image(self.session.current) if self.session.current else None
            if image is not None and not _channel_names(image):
                return NEEDS_CHANNELS
            return "Add a marker to count positive cells."
        if result is None or not result.ok:
            return "Count this image to see its cells."
        entry = self.session.project.image(self.session.current)
        note = str(entry.params_used.get("note") or result.params.get("note") or "")
        if note:
            return f"This image is counted without {self.shown}: {note}."
        return "Count this image again to score its cells."

    def _show_counts(self, result: Any) -> None:
        name = self.shown
        positive = result.summary.get(f"{name}_positive")
        percent = result.summary.get(f"{name}_percent_positive")
        total = len(result.cells.get("cell_id", ()))
        flag = str(result.summary.get(f"{name}_flag") or "")
        threshold = result.summary.get(f"{name}_threshold")
        split = isinstance(threshold, (int, float)) and math.isfinite(threshold)
        counted = isinstance(positive, (int, float)) and isinstance(percent, (int, float)) and math.isfinite(percent)
        if not counted:
            self.counts.setText(f"{name}: no cells to score")
        elif split:
            self.counts.setText(f"{name}+ {int(positive)} of {total} cells ({percent:.1f}%)"
                                + (f" — {flag}" if flag else ""))
        else:
            called = "positive" if int(positive) == total and total else "negative"
            why = flag.split(";")[0] if ";" in flag else "one population"
            self.counts.setText(
                f"{name}: not split, flagged ({why}): all {total} cells are called {called}. "
                "Check the image; drag the line to set a threshold by hand.")

    # -- dragging -------------------------------------------------------------
    def _on_drag(self) -> None:
        """Re-score the current image's cells with the line's value (no pixel is read)."""
        values, result = self._values()
        if values is None or result is None:
            return
        measure = rule_measure(self.setup(), self.shown)
        try:
            rescore(result, self.shown, PositivityRule("manual", measure, float(self.line.value())))
        except CellCounterError as exc:
            self.counts.setText(str(exc))
            return
        self.session.show_rescored(self.session.current, result)
        self._show_counts(result)
        self.rule.setCurrentText("manual")
        self.threshold_moved.emit(float(self.line.value()))

    def _on_drag_finished(self) -> None:
        self.set_rule(f"{float(self.line.value()):.6g}", rule_measure(self.setup(), self.shown))


def _channel_names(image: Any) -> list[str]:
    if image is None or image.data.ndim != 3:
        return []
    count = image.data.shape[2]
    names = list(image.channel_names) if len(image.channel_names or ()) == count else [""] * count
    return [f"channel {i}: {names[i]}" if names[i] else f"channel {i}" for i in range(count)]
