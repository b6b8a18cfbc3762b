"""Connects the viewer to the session: the image, its overlay and the clicks that correct it.

Correction mode ("edit"): a click adds a cell, a click on a detection removes
it, a click on a removed or added cell takes that back.  Region modes draw a
polygon or rectangle that restricts the count.  Everything goes through the
project's undoable edits; the overlay is redrawn from the project's
corrected result, so what is drawn is exactly what is counted.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from ..errors import CellCounterError
from ..project import Region, points_in_regions
from .qt_cells_table import QtCellsTable
from .qt_viewer import EMPTY_HINT, QtImageViewer, blank_note
from .session import Session

log = logging.getLogger(__name__)


CLICK_HINTS = {
    "add point": "Click: add a missed cell here",
    "remove cell": "Click: remove this cell · Shift+click: add a cell here instead",
    "restore cell": "Click: count this removed cell again",
    "remove added point": "Click: take back this added cell",
}
"""What the viewer's toolbar says a click under the mouse will do, by `Project.click_effect`."""


class ViewerBridge(QObject):
    """Keeps the viewer and the cells table showing the current image.

    Signals
    -------
    overlay_updated(float)
        The overlay was redrawn; seconds the redraw took.
    """

    overlay_updated = Signal(float)

    def __init__(self, session: Session, viewer: QtImageViewer, cells: QtCellsTable) -> None:
        super().__init__(viewer)
        self.session = session
        self.viewer = viewer
        self.cells = cells
        self._shown_image = ""
        self._unsubscribe = lambda: None
        self._redraw_due = False
        self._drawn: tuple = ()
        self._drawn_result: Any = None
        session.current_changed.connect(self.show_current)
        session.result_changed.connect(lambda image_id: image_id == session.current and self.schedule_overlay())
        session.project_opened.connect(self._on_project)
        viewer.point_clicked.connect(self._on_click)
        viewer.point_hovered.connect(self._on_hover)
        viewer.region_drawn.connect(self._on_region)

    def _on_project(self, project: Any) -> None:
        self._unsubscribe()
        self._unsubscribe = project.subscribe(self._on_event)
        self._shown_image = ""
        self.show_current(self.session.current)

    def _on_event(self, event: str, payload: Any) -> None:
        if event == "image_changed" and payload == self.session.current:
            self.schedule_overlay()

    def schedule_overlay(self) -> None:
        """Redraw the overlay once the events of this pass of the event loop are handled.

        A new result changes the project and the session together: one redraw
        is enough for both.
        """
        if not self._redraw_due:
            self._redraw_due = True
            QTimer.singleShot(0, self._redraw)

    def _redraw(self) -> None:
        if self._redraw_due:
            self.show_overlay()

    def show_current(self, image_id: str = "") -> None:
        """Show the session's current image and its overlay."""
        image = self.session.image(self.session.current) if self.session.current else None
        if image is None:
            self._drawn = ()
            self.viewer.set_image(None, message=self._empty_message())
            self.cells.set_cells(None, None)
            self._shown_image = ""
            return
        names = list(image.channel_names) if image.data.ndim == 3 and image.channel_names else []
        if image.data.ndim == 3 and len(names) != image.data.shape[2]:
            names = []
        self.viewer.set_image(image.data, channel_names=names, keep_view=True)
        self.viewer.set_note(blank_note(image.data))
        self._shown_image = self.session.current
        self._drawn = ()
        self.show_overlay()

    def _empty_message(self) -> str:
        """What the viewer says when it has no image: why this one cannot be shown, or what to do."""
        project, current = self.session.project, self.session.current
        reason = self.session.why_not_shown(current)
        if reason:
            return reason
        if project is not None and project.images:
            return "Choose an image in the list" if not current else "Reading the image…"
        return EMPTY_HINT

    def show_overlay(self) -> None:
        """Redraw the overlay of the current image from the project's corrected result."""
        self._redraw_due = False
        start = time.perf_counter()
        image_id, project = self.session.current, self.session.project
        if project is None or not image_id:
            return
        if self._shown_image != image_id:
            self.show_current(image_id)
            return
        entry = project.image(image_id)
        result = self.session.result(image_id)
        labels = result.labels if result is not None else None
        positive = self._positive_ids(result)
        drawn = (image_id, id(labels), id(result.cells) if result is not None else 0, entry.corrections,
                 entry.regions, project.defaults.correction_radius, positive.tobytes())
        if drawn == self._drawn:
            return  # e.g. the image only became stale: what is drawn has not changed
        self._drawn, self._drawn_result = drawn, result  # holding the result keeps its ids from being reused
        regions = [region.polygon() for region in entry.regions]
        correction = project.correction_result(image_id) if labels is not None else None
        if labels is None or correction is None:
            self.viewer.set_overlay(None, None, regions=regions)
            self.cells.set_cells(None, None)
            self.overlay_updated.emit(time.perf_counter() - start)
            return
        cells = result.cells
        ids = np.asarray(cells.get("cell_id", np.unique(labels[labels > 0])))
        excluded = ids[~np.isin(ids, correction.kept_ids)]
        self.viewer.set_overlay(labels, cells, added=[tuple(p) for p in correction.added],
                                removed=list(entry.corrections.removed), excluded_ids=excluded.tolist(),
                                regions=regions, positive_ids=positive.tolist(),
                                added_outside=_added_outside(entry, correction))
        pixel_size = entry.summary.get("pixel_size_um")
        self.cells.set_cells(_kept_cells(cells, correction.kept_ids), pixel_size if pixel_size else None)
        self.overlay_updated.emit(time.perf_counter() - start)

    def _positive_ids(self, result: Any) -> np.ndarray:
        """Ids of the cells positive for the marker the session shows (none without one)."""
        column = f"{self.session.shown_marker}_positive"
        if result is None or not self.session.shown_marker or column not in result.cells:
            return np.zeros(0, np.int64)
        flags = np.asarray(result.cells[column], bool)
        return np.asarray(result.cells["cell_id"], np.int64)[flags]

    def _on_click(self, x: float, y: float, modifiers: Any) -> None:
        project, image_id = self.session.project, self.session.current
        if project is None or not image_id:
            return
        entry = project.image(image_id)
        if entry.state not in ("counted", "stale"):
            self.session.message.emit("Count this image before correcting it.")
            return
        if modifiers is not None and bool(modifiers & Qt.KeyboardModifier.ShiftModifier):
            project.add_point(image_id, (x, y))
            edit = "add point"
        else:
            edit = project.click(image_id, (x, y))
        self.session.message.emit(f"{edit.capitalize()} at ({x:.0f}, {y:.0f}) — Ctrl+Z to undo")
        self._on_hover(x, y)

    def _on_hover(self, x: float, y: float) -> None:
        """Say in the viewer what a click at ``(x, y)`` would do."""
        project, image_id = self.session.project, self.session.current
        if project is None or not image_id or project.image(image_id).state not in ("counted", "stale"):
            self.viewer.set_click_hint("Count this image before correcting it")
            return
        edit, _ = project.click_effect(image_id, (x, y))
        self.viewer.set_click_hint(CLICK_HINTS[edit])

    def _on_region(self, vertices: Any) -> None:
        project, image_id = self.session.project, self.session.current
        if project is None or not image_id:
            return
        kind = "rectangle" if self.viewer.mode() == "rectangle" else "polygon"
        points = list(vertices)
        if kind == "rectangle" and len(points) == 4:
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            points = [(min(xs), min(ys)), (max(xs), max(ys))]
        try:
            project.add_region(image_id, Region(tuple(points), kind=kind))
        except CellCounterError as exc:
            log.warning("region not added: %s", exc)


def _added_outside(entry: Any, correction: Any) -> list[tuple[float, float]]:
    """The cells added by hand that no region holds (not counted, still there to be clicked away)."""
    added = np.asarray(entry.corrections.added, float).reshape(-1, 2)
    if not len(added) or not entry.regions:
        return []
    outside = added[~points_in_regions(added, entry.regions)]
    redundant = {tuple(p) for p in np.asarray(correction.redundant, float).reshape(-1, 2).tolist()}
    return [(float(x), float(y)) for x, y in outside.tolist() if (x, y) not in redundant]


def _kept_cells(cells: dict[str, np.ndarray], kept_ids: np.ndarray) -> dict[str, np.ndarray]:
    if "cell_id" not in cells:
        return cells
    keep = np.isin(np.asarray(cells["cell_id"]), kept_ids)
    return {name: np.asarray(values)[keep] for name, values in cells.items()}
