"""The THIS IMAGE panel: the current image's count, how sure it is, how it was made, and its size histogram."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from ..reliability import CHECK
from .counted_values import counted_summary
from .images_table_model import CHECK_COLOUR, check_text
from .mixins import DeferredRefresh
from ..project import ERROR, MISSING, NEW, STALE
from .qt_histogram import QtSizeHistogram
from .qt_viewer import blank_note
from .session import Session
from .size_text import diameter_text


class QtImageSummary(DeferredRefresh, QWidget):
    """Count (with corrections), density, model and cell-size histogram of the current image."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._unsubscribe = lambda: None
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.count = QLabel()
        self.count.setObjectName("image_count")
        font = self.count.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.count.setFont(font)
        self.detail = QLabel()
        self.density = QLabel()
        self.size = QLabel()
        self.diameter = QLabel()
        self.diameter.setObjectName("image_diameter")
        self.diameter.setWordWrap(True)
        self.diameter.setToolTip("The cell diameter this image was counted with, and where it came from: "
                                 "estimated per image (auto, with how sure the estimate is), set in px or µm, "
                                 "or the model's own size")
        self.reliability = QLabel()
        self.reliability.setObjectName("image_reliability")
        self.reliability.setWordWrap(True)
        self.reliability.setToolTip("Whether the count can be trusted as it is. \"check by eye\" when the image "
                                    "gives the model reasons to be unsure: faint cells, outlines near the "
                                    "threshold, or an unsure size estimate")
        self.made_by = QLabel()
        self.made_by.setWordWrap(True)
        self.detail.setWordWrap(True)
        for label in (self.detail, self.density, self.size, self.diameter, self.reliability, self.made_by):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Count", self.count)
        form.addRow("", self.detail)
        form.addRow("Density", self.density)
        form.addRow("Mean size", self.size)
        form.addRow("Cell diameter", self.diameter)
        form.addRow("Reliability", self.reliability)
        form.addRow("Made by", self.made_by)
        layout.addLayout(form)
        self.histogram = QtSizeHistogram()
        self.histogram.setMinimumHeight(140)
        layout.addWidget(self.histogram, 1)
        session.project_opened.connect(self._on_project)
        session.current_changed.connect(lambda _: self.schedule_refresh())
        session.result_changed.connect(lambda image_id: image_id == session.current and self.schedule_refresh())
        if session.project is not None:
            self._on_project(session.project)

    def _on_project(self, project: Any) -> None:
        self._unsubscribe()
        self._unsubscribe = project.subscribe(
            lambda event, payload: event == "image_changed" and payload == self.session.current and self.schedule_refresh())
        self.refresh()

    def refresh(self) -> None:
        self.refresh_started()
        project, image_id = self.session.project, self.session.current
        self.histogram.setVisible(project is not None and bool(image_id))  # no empty plot before any image
        if project is None or not image_id:
            for label in (self.count, self.detail, self.density, self.size, self.diameter, self.reliability,
                          self.made_by):
                label.setText("")
            self.histogram.set_values(np.empty(0), "px")
            return
        entry = project.image(image_id)
        status = entry.status
        if status in (NEW, MISSING, ERROR):
            self.count.setText({NEW: "not counted", MISSING: "file missing", ERROR: "error"}[status])
            self.detail.setText(entry.error if status == ERROR else "")
            for label in (self.density, self.size, self.diameter, self.reliability, self.made_by):
                label.setText("")
            self.histogram.set_values(np.empty(0), "px")
            return
        corrected = entry.corrected
        self.count.setText(f"{entry.corrected_count}{' *' if entry.is_corrected else ''}")
        parts = []
        if corrected is not None:
            parts.append(f"{corrected.n_detected} detected, {corrected.n_added} added, {corrected.n_removed} removed")
        if entry.regions:
            parts.append(f"inside {len(entry.regions)} region(s)")
        if status == STALE:
            parts.append("settings changed: not yet recounted")
        if entry.params_used.get("note"):
            parts.append(str(entry.params_used["note"]))
        image = self.session.image(image_id)
        blank = blank_note(image.data) if image is not None else ""
        if blank:
            parts.append(blank)
        self.detail.setText("; ".join(parts))
        counted = counted_summary(project, entry)
        self.density.setText(_number(counted.get("density_per_mm2"), "cells/mm²", 0) or "needs a pixel size")
        area = _number(counted.get("mean_area_um2"), "µm²", 1) or _number(counted.get("mean_area_px"), "px²", 0)
        self.size.setText(area)
        result = self.session.result(image_id)
        params = result.params if result is not None and result.params else entry.params_used
        self.diameter.setText(diameter_text(params, entry.summary.get("pixel_size_um")))
        self._reliability(params)
        model = entry.model
        self.made_by.setText(f"{model.name} {model.version} · {entry.timestamp}" if model else "")
        self._histogram(image_id)

    def _reliability(self, params: dict[str, Any]) -> None:
        """``ok``, or ``check by eye: <reasons>`` in amber (nothing for a count made before the flag existed)."""
        flag = str(params.get("reliability") or "")
        check = flag == CHECK
        self.reliability.setText(check_text(str(params.get("reliability_reasons") or "")) if check else flag)
        self.reliability.setStyleSheet(f"color: {CHECK_COLOUR.name()}; font-weight: bold;" if check else "")

    def _histogram(self, image_id: str) -> None:
        result = self.session.result(image_id)
        cells = result.cells if result is not None else {}
        values = np.asarray(cells.get("equivalent_diameter_um", ()), float)
        unit = "µm"
        if values.size == 0 or not np.isfinite(values).any():
            values, unit = np.asarray(cells.get("equivalent_diameter_px", ()), float), "px"
        corrections = self.session.project.correction_result(image_id) if self.session.project else None
        if corrections is not None and "cell_id" in cells and values.size:
            values = values[np.isin(np.asarray(cells["cell_id"]), corrections.kept_ids)]
        added = corrections.n_added if corrections is not None else 0
        self.histogram.set_values(values[np.isfinite(values)], unit, unsized=added)


def _number(value: Any, unit: str, decimals: int) -> str:
    if isinstance(value, (int, float)) and math.isfinite(value):
        return f"{value:,.{decimals}f} {unit}"
    return ""
