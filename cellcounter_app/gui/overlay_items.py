"""The graphics items of the viewer's overlay: outlines, markers, ids, regions.

All coordinates are image pixel coordinates ``(x, y)`` = (column, row) with
the origin at the centre of the top-left pixel, as in
`cellcounter_app.measure.measure_cells` and `cellcounter_app.project.regions`.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from ..errors import ParameterError

EXCLUDED_COLOR = "#8c8c8c"
ADDED_COLOR = "#00e5ff"
REMOVED_COLOR = "#ff3b30"
POSITIVE_COLOR = "#ff2bd6"
"""Marker-positive cells: magenta outlines and filled markers, apart from the accent colour of the others."""
HALO_RGBA = (0, 0, 0, 170)
"""The dark ring on both sides of every outline: an outline stays visible on a saturated white cell."""
MAX_ID_LABELS = 300
"""Ids are drawn only while at most this many cells lie in the visible part of the view."""


def boundary_mask(labels: np.ndarray) -> np.ndarray:
    """The 1-pixel inner outline of every object of a label image.

    Equal to ``skimage.segmentation.find_boundaries(labels, mode="inner")``
    (4-connectivity, the image edge is not a boundary), about ten times faster.

    Parameters
    ----------
    labels : (H, W) array of int
        0 is background, each other value one object.

    Returns
    -------
    mask : (H, W) bool array
        True on object pixels with a 4-neighbour of another value.

    Examples
    --------
    >>> labels = np.zeros((5, 5), int)
    >>> labels[1:4, 1:4] = 3
    >>> boundary_mask(labels).astype(int)
    array([[0, 0, 0, 0, 0],
           [0, 1, 1, 1, 0],
           [0, 1, 0, 1, 0],
           [0, 1, 1, 1, 0],
           [0, 0, 0, 0, 0]])
    """
    if labels.ndim != 2:
        raise ParameterError(f"labels must be a 2-D array, got shape {labels.shape}")
    mask = np.zeros(labels.shape, bool)
    rows = labels[:-1] != labels[1:]
    mask[:-1] |= rows
    mask[1:] |= rows
    cols = labels[:, :-1] != labels[:, 1:]
    mask[:, :-1] |= cols
    mask[:, 1:] |= cols
    mask &= labels != 0
    return mask


def halo_mask(boundary: np.ndarray) -> np.ndarray:
    """The pixels next to (4-neighbours of) an outline that are not on it.

    Examples
    --------
    >>> boundary = np.zeros((5, 5), bool); boundary[2, 2] = True
    >>> halo_mask(boundary).astype(int)
    array([[0, 0, 0, 0, 0],
           [0, 0, 1, 0, 0],
           [0, 1, 0, 1, 0],
           [0, 0, 1, 0, 0],
           [0, 0, 0, 0, 0]])
    """
    near = np.zeros(boundary.shape, bool)
    near[:-1] |= boundary[1:]
    near[1:] |= boundary[:-1]
    near[:, :-1] |= boundary[:, 1:]
    near[:, 1:] |= boundary[:, :-1]
    return near & ~boundary


def polygon_path(polygons: Sequence[Sequence[tuple[float, float]]], *, closed: bool = True) -> QPainterPath:
    """One painter path through the vertices of each polygon."""
    path = QPainterPath()
    for vertices in polygons:
        if len(vertices) == 0:
            continue
        path.moveTo(QPointF(*vertices[0]))
        for x, y in vertices[1:]:
            path.lineTo(QPointF(x, y))
        if closed and len(vertices) > 2:
            path.closeSubpath()
    return path


def cosmetic_pen(color: str | QColor, width: float = 1.5, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    """A pen whose width is in screen pixels, whatever the zoom."""
    pen = QPen(QColor(color))
    pen.setWidthF(width)
    pen.setCosmetic(True)
    pen.setStyle(style)
    return pen


class IdLabelsItem(pg.GraphicsObject):
    """Cell ids drawn next to their centroids at a fixed screen size.

    Only the ids inside the visible part of the view are drawn, and none while
    more than `MAX_ID_LABELS` of them are visible, so the cost stays small on
    images with thousands of cells.
    """

    def __init__(self) -> None:
        super().__init__()
        self._x = np.zeros(0)
        self._y = np.zeros(0)
        self._texts: list[str] = []
        self._color = QColor("#ffffff")
        self._bounds = QRectF()

    def set_points(self, x: np.ndarray, y: np.ndarray, texts: Sequence[str]) -> None:
        self.prepareGeometryChange()
        self._x, self._y, self._texts = np.asarray(x, float), np.asarray(y, float), list(texts)
        if self._x.size:
            self._bounds = QRectF(QPointF(self._x.min(), self._y.min()), QPointF(self._x.max(), self._y.max()))
        else:
            self._bounds = QRectF()
        self.update()

    def set_color(self, color: QColor) -> None:
        self._color = QColor(color)
        self.update()

    def visible_indices(self) -> np.ndarray:
        """Indices of the ids that are drawn in the current view (empty when too many)."""
        view = self.getViewBox()
        if view is None or self._x.size == 0:
            return np.zeros(0, int)
        (left, right), (top, bottom) = view.viewRange()
        inside = np.flatnonzero((self._x >= left) & (self._x <= right) & (self._y >= top) & (self._y <= bottom))
        return inside if inside.size <= MAX_ID_LABELS else np.zeros(0, int)

    def viewTransformChanged(self) -> None:
        self.prepareGeometryChange()
        self.update()

    def boundingRect(self) -> QRectF:
        if self._x.size == 0:
            return QRectF()
        margin_x = 40 * (self.pixelWidth() or 0.0)
        margin_y = 20 * (self.pixelHeight() or 0.0)
        return self._bounds.adjusted(-margin_x, -margin_y, margin_x, margin_y)

    def paint(self, painter: QPainter, *args: object) -> None:
        indices = self.visible_indices()
        if indices.size == 0:
            return
        transform = painter.transform()
        painter.save()
        painter.resetTransform()
        shadow = QColor(0, 0, 0, 200)
        for i in indices:
            anchor = transform.map(QPointF(self._x[i], self._y[i]))
            painter.setPen(shadow)
            painter.drawText(QPointF(anchor.x() + 5, anchor.y() - 3), self._texts[i])
            painter.setPen(self._color)
            painter.drawText(QPointF(anchor.x() + 4, anchor.y() - 4), self._texts[i])
        painter.restore()


class PassiveScatter(pg.ScatterPlotItem):
    """Markers that let clicks through to the view: a click on a cell's marker corrects that cell."""

    def mouseClickEvent(self, ev: object) -> None:
        ev.ignore()  # type: ignore[attr-defined]


class OverlayLayer:
    """Every overlay item of the viewer under one parent, shown and faded together.

    Parameters
    ----------
    view : pyqtgraph.ViewBox
        The view whose coordinates are image pixel-centre coordinates.
    """

    def __init__(self, view: pg.ViewBox) -> None:
        self.group = pg.ItemGroup()
        self.group.setZValue(10)
        view.addItem(self.group)
        self.outlines = pg.ImageItem(axisOrder="row-major")
        self.centroids = PassiveScatter(symbol="o", size=7, pxMode=True, brush=None)
        self.excluded = PassiveScatter(symbol="o", size=7, pxMode=True, brush=None,
                                           pen=cosmetic_pen(EXCLUDED_COLOR, 1))
        self.added = PassiveScatter(symbol="+", size=13, pxMode=True, brush=pg.mkBrush(ADDED_COLOR),
                                        pen=cosmetic_pen(ADDED_COLOR, 1))
        self.added_outside = PassiveScatter(symbol="+", size=13, pxMode=True, brush=pg.mkBrush(EXCLUDED_COLOR),
                                            pen=cosmetic_pen(EXCLUDED_COLOR, 1))
        self.positive = PassiveScatter(symbol="o", size=8, pxMode=True, brush=pg.mkBrush(POSITIVE_COLOR),
                                       pen=cosmetic_pen(POSITIVE_COLOR, 1.5))
        self.removed = PassiveScatter(symbol="x", size=11, pxMode=True, brush=pg.mkBrush(REMOVED_COLOR),
                                          pen=cosmetic_pen(REMOVED_COLOR, 1))
        self.ids = IdLabelsItem()
        self.regions = QGraphicsPathItem()
        for z, item in enumerate((self.outlines, self.excluded, self.centroids, self.positive, self.regions,
                                  self.removed, self.added_outside, self.added, self.ids)):
            item.setParentItem(self.group)
            item.setZValue(z)
        self._boundary = np.zeros(0, np.intp)
        self._halo = np.zeros(0, np.intp)
        self._boundary_excluded = np.zeros(0, bool)
        self._boundary_positive = np.zeros(0, bool)
        self._shape: tuple[int, int] | None = None
        self._region_count = 0
        self.set_options()

    def set_options(self, *, outlines: bool = True, centroids: bool = True, ids: bool = False,
                    opacity: float = 0.8, color: str = "#ffd700") -> None:
        """Show or hide each kind of item, fade the whole layer and set the accent colour."""
        if not 0.0 <= opacity <= 1.0:
            raise ParameterError(f"opacity must be between 0 and 1, got {opacity}")
        accent = QColor(color)
        if not accent.isValid():
            raise ParameterError(f"color must be a colour name or #rrggbb, got {color!r}")
        self._accent = accent
        self.group.setOpacity(opacity)
        self.outlines.setVisible(outlines)
        self.centroids.setVisible(centroids)
        self.excluded.setVisible(centroids)
        self.positive.setVisible(centroids)
        self.ids.setVisible(ids)
        self.centroids.setPen(cosmetic_pen(accent, 1.5))
        self.ids.set_color(accent)
        self.regions.setPen(cosmetic_pen(accent, 2, Qt.PenStyle.DashLine))
        self._paint_outlines()

    def set_data(
        self,
        labels: np.ndarray | None,
        cells: Mapping[str, np.ndarray] | None,
        added: Sequence[tuple[float, float]],
        removed: Sequence[tuple[float, float]],
        excluded_ids: Sequence[int],
        regions: Sequence[Sequence[tuple[float, float]]],
        positive_ids: Sequence[int] = (),
        added_outside: Sequence[tuple[float, float]] = (),
    ) -> None:
        """Replace what the layer shows (see `QtImageViewer.set_overlay`)."""
        excluded = np.asarray(list(excluded_ids), np.int64)
        positive = np.asarray(list(positive_ids), np.int64)
        if labels is None:
            self._shape = None
            self._boundary = self._halo = np.zeros(0, np.intp)
            self._boundary_excluded = self._boundary_positive = np.zeros(0, bool)
        else:
            self._shape = (int(labels.shape[0]), int(labels.shape[1]))
            boundary = boundary_mask(labels)
            self._boundary = np.flatnonzero(boundary)
            self._halo = np.flatnonzero(halo_mask(boundary))
            boundary_ids = labels.ravel()[self._boundary]
            self._boundary_excluded = np.isin(boundary_ids, excluded)
            self._boundary_positive = np.isin(boundary_ids, positive) & ~self._boundary_excluded
        self._paint_outlines()
        self._set_cells(cells, excluded, positive)
        self.added.setData(*_xy(added))
        self.added_outside.setData(*_xy(added_outside))
        self.removed.setData(*_xy(removed))
        self._region_count = sum(1 for r in regions if len(r) >= 3)
        self.regions.setPath(polygon_path(regions))

    def _set_cells(self, cells: Mapping[str, np.ndarray] | None, excluded: np.ndarray, positive: np.ndarray) -> None:
        if cells is None or len(cells.get("x", ())) == 0:
            x = y = np.zeros(0)
            ids = np.zeros(0, np.int64)
        else:
            x, y = np.asarray(cells["x"], float), np.asarray(cells["y"], float)
            ids = np.asarray(cells.get("cell_id", np.arange(1, x.size + 1)), np.int64)
        out = np.isin(ids, excluded)
        plus = np.isin(ids, positive) & ~out
        self.centroids.setData(x[~out & ~plus], y[~out & ~plus])
        self.positive.setData(x[plus], y[plus])
        self.excluded.setData(x[out], y[out])
        self.ids.set_points(x, y, [str(i) for i in ids])

    def _paint_outlines(self) -> None:
        if self._shape is None:
            self.outlines.clear()
            return
        height, width = self._shape
        rgba = np.zeros((height * width, 4), np.uint8)
        rgba[self._halo] = HALO_RGBA
        accent = self._accent
        rgba[self._boundary] = (accent.red(), accent.green(), accent.blue(), 255)
        grey = QColor(EXCLUDED_COLOR)
        rgba[self._boundary[self._boundary_excluded]] = (grey.red(), grey.green(), grey.blue(), 255)
        plus = QColor(POSITIVE_COLOR)
        rgba[self._boundary[self._boundary_positive]] = (plus.red(), plus.green(), plus.blue(), 255)
        self.outlines.setImage(rgba.reshape(height, width, 4), autoLevels=False, levels=(0, 255))
        self.outlines.setRect(QRectF(-0.5, -0.5, width, height))

    def stats(self) -> dict[str, int]:
        """What is drawn now: a count of 0 for each hidden kind of item."""
        shown = self.group.isVisible()

        def count(item: pg.ScatterPlotItem) -> int:
            return int(len(item.data)) if shown and item.isVisible() else 0

        image = self.outlines.image
        outline_pixels = halo_pixels = 0
        if shown and self.outlines.isVisible() and image is not None:
            outline_pixels = int(np.count_nonzero(image[..., 3] == 255))
            halo_pixels = int(np.count_nonzero((image[..., 3] > 0) & (image[..., 3] < 255)))
        return {
            "outline_pixels": outline_pixels,
            "halo_pixels": halo_pixels,
            "n_markers": count(self.centroids),
            "n_excluded": count(self.excluded),
            "n_positive": count(self.positive),
            "n_added": count(self.added),
            "n_added_outside": count(self.added_outside),
            "n_removed": count(self.removed),
            "n_regions": self._region_count if shown else 0,
            "n_ids": int(self.ids.visible_indices().size) if shown and self.ids.isVisible() else 0,
        }


def _xy(points: Sequence[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    array = np.asarray(list(points), float).reshape(-1, 2)
    return array[:, 0], array[:, 1]
