"""Mouse tools of the image viewer: clicks, polygon and rectangle drawing.

`ToolViewBox` is a pan/zoom view whose left button does what the current mode
asks; `DrawingTool` turns its clicks and drags into finished polygons in image
coordinates ``(x, y)``, origin at the centre of the top-left pixel.
"""

from __future__ import annotations

from typing import Callable

import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import HoverEvent, MouseClickEvent, MouseDragEvent
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QGraphicsPathItem

from .overlay_items import cosmetic_pen, polygon_path

MODES = ("view", "edit", "polygon", "rectangle")
"""What the left button does: pan only, click points, click polygon vertices, drag a rectangle."""

DRAWING_COLOR = "#ffffff"
SAME_VERTEX_PX = 5.0
"""A double click closer than this (screen pixels) to the last vertex adds no new vertex."""

Point = tuple[float, float]


class ToolViewBox(pg.ViewBox):
    """A view with a locked aspect ratio, row 0 at the top, and mode-dependent left button.

    Signals
    -------
    clicked(scene_position, modifiers, double)
        A left click (no drag) in "edit" or "polygon" mode.
    dragged(start_scene_position, scene_position, phase)
        A left-button drag in "rectangle" mode; ``phase`` is "start", "move"
        or "finish" (on release).
    hovered(scene_position)
        The mouse moved over the view.
    """

    clicked = Signal(object, object, bool)
    dragged = Signal(object, object, str)
    hovered = Signal(object)

    def __init__(self) -> None:
        super().__init__(lockAspect=True, invertY=True, enableMenu=False)
        self.disableAutoRange()
        self.tool = "view"

    def mouseClickEvent(self, ev: MouseClickEvent) -> None:
        if ev.button() == Qt.MouseButton.LeftButton and self.tool in ("edit", "polygon"):
            ev.accept()
            self.clicked.emit(ev.scenePos(), ev.modifiers(), ev.double())
            return
        super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev: MouseDragEvent, axis: int | None = None) -> None:
        if ev.button() == Qt.MouseButton.LeftButton and self.tool == "rectangle":
            ev.accept()
            phase = "start" if ev.isStart() else "finish" if ev.isFinish() else "move"
            self.dragged.emit(ev.buttonDownScenePos(), ev.scenePos(), phase)
            return
        super().mouseDragEvent(ev, axis)

    def hoverEvent(self, ev: HoverEvent) -> None:
        if not ev.isExit():
            self.hovered.emit(ev.scenePos())


class DrawingTool:
    """Polygon and rectangle drawing on a `ToolViewBox` showing an image item.

    Parameters
    ----------
    view : ToolViewBox
        The view to draw on.
    image : pyqtgraph.ImageItem
        The image; scene positions are mapped through it to pixel coordinates.
    finished : callable
        Called with the list of ``(x, y)`` vertices of each finished drawing.
    """

    def __init__(self, view: ToolViewBox, image: pg.ImageItem, finished: Callable[[list[Point]], None]) -> None:
        self._view = view
        self._image = image
        self._finished = finished
        self._vertices: list[Point] = []
        self._dragging = False
        self._rubber = QGraphicsPathItem()
        self._rubber.setPen(cosmetic_pen(DRAWING_COLOR, 1.5, Qt.PenStyle.DashLine))
        self._rubber.setZValue(100)
        view.addItem(self._rubber)
        view.dragged.connect(self._on_dragged)
        view.hovered.connect(self._on_hovered)

    def to_image(self, scene_position: QPointF) -> Point:
        """Pixel-centre coordinates ``(x, y)`` of a scene position."""
        local = self._image.mapFromScene(scene_position)
        return float(local.x()) - 0.5, float(local.y()) - 0.5

    def _clip(self, x: float, y: float) -> Point:
        width, height = self._image.width() or 0, self._image.height() or 0
        return min(max(x, -0.5), width - 0.5), min(max(y, -0.5), height - 0.5)

    def drawing(self) -> bool:
        """True while a polygon or rectangle is being drawn."""
        return bool(self._vertices) or self._dragging

    def cancel(self) -> None:
        """Forget the drawing in progress."""
        self._vertices = []
        self._dragging = False
        self._rubber.setPath(polygon_path(()))

    def polygon_click(self, x: float, y: float, double: bool) -> None:
        """Add a vertex; a double click adds the last one (unless on the last) and closes."""
        point = self._clip(x, y)
        if not double or not self._vertices or not self._near_last(point):
            self._vertices.append(point)
        if double:
            self.finish_polygon()
        else:
            self._rubber.setPath(polygon_path([self._vertices], closed=False))

    def finish_polygon(self) -> None:
        """Close the polygon: report it when it has 3 vertices or more, and clear."""
        vertices = list(self._vertices)
        self.cancel()
        if len(vertices) >= 3:
            self._finished(vertices)

    def _near_last(self, point: Point) -> bool:
        pixel_w, pixel_h = self._view.viewPixelSize()
        last_x, last_y = self._vertices[-1]
        return abs(point[0] - last_x) / pixel_w < SAME_VERTEX_PX and abs(point[1] - last_y) / pixel_h < SAME_VERTEX_PX

    def _on_hovered(self, scene_position: QPointF) -> None:
        if self._view.tool == "polygon" and self._vertices:
            path = [*self._vertices, self._clip(*self.to_image(scene_position))]
            self._rubber.setPath(polygon_path([path], closed=False))

    def _on_dragged(self, start: QPointF, current: QPointF, phase: str) -> None:
        if phase == "start":
            self._dragging = True
        if not self._dragging:
            return
        x0, y0 = self._clip(*self.to_image(start))
        x1, y1 = self._clip(*self.to_image(current))
        left, right, top, bottom = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
        corners = [(left, top), (right, top), (right, bottom), (left, bottom)]
        if phase != "finish":
            self._vertices = corners
            self._rubber.setPath(polygon_path([corners]))
            return
        self.cancel()
        if right > left and bottom > top:
            self._finished(corners)
