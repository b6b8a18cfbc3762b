"""The central image viewer: one image, its overlay, pan/zoom and the drawing tools.

The viewer is a view: it shows the arrays it is handed and reports the user's
clicks and drawings as signals; it never counts and never owns project data.
Coordinates in and out are image pixel coordinates ``(x, y)`` = (column, row),
origin at the centre of the top-left pixel.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QComboBox, QLabel, QToolBar, QVBoxLayout, QWidget

from ..errors import ParameterError
from .drawing_tools import MODES, DrawingTool, ToolViewBox
from .overlay_items import OverlayLayer
from .qt_contrast import COMPOSITE, LUTS, auto_levels, channel_count, colormap, display_array

pg.setConfigOptions(imageAxisOrder="row-major")

BACKGROUND = "#141414"
ZOOM_STEP = 1.25
EMPTY_HINT = "Drop a folder of images here,\nor File → Add folder"
"""What the viewer says while there is no image to show."""
HINT_STYLE = ("QLabel#viewer_hint { border: 2px dashed palette(mid); border-radius: 14px; margin: 28px;"
              " background: palette(window); background-clip: margin;"
              " padding: 24px; color: palette(window-text); }")
NOTE_STYLE = "QLabel#viewer_note { background: #5a4a12; color: #ffffff; padding: 3px 8px; }"


MODE_HINTS = {
    "view": "",
    "edit": "Correct: click adds a missed cell, a click on a cell removes it · Shift+click always adds",
    "polygon": "Region: click the corners, double-click to close",
    "rectangle": "Region: drag a rectangle",
}
"""What the toolbar says the left button does in each mode (the bridge makes "edit" precise on hover)."""


def blank_note(data: np.ndarray | None) -> str:
    """A note for an image whose pixels all have one value (nothing can be counted there), else "".

    Examples
    --------
    >>> blank_note(np.zeros((4, 4), np.uint16))
    'Blank image: every pixel is 0, so there is nothing to count.'
    >>> blank_note(np.arange(4))
    ''
    """
    if data is None or data.size == 0:
        return ""
    if data.dtype.kind == "f":
        data = data[np.isfinite(data)]
        if data.size == 0:
            return "Blank image: no pixel has a value (all NaN), so there is nothing to count."
    low, high = data.min(), data.max()
    if low != high:
        return ""
    return f"Blank image: every pixel is {float(low):g}, so there is nothing to count."


class QtImageViewer(QWidget):
    """Image display with contrast, channel and LUT controls, overlays and drawing tools.

    Signals
    -------
    point_clicked(x, y, modifiers)
        A left click (no drag) inside the image in "edit" mode.
    region_drawn(vertices)
        A polygon or rectangle drawing was finished: a list of ``(x, y)``.
    contrast_changed(low, high)
        The user moved the contrast limits (not emitted for automatic contrast).
    point_hovered(x, y)
        The mouse moved over the image in "edit" mode (to say what a click there would do).
    """

    point_clicked = Signal(float, float, object)
    point_hovered = Signal(float, float)
    region_drawn = Signal(object)
    contrast_changed = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data: np.ndarray | None = None
        self._shape: tuple[int, int] | None = None
        self._setting_levels = False

        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setBackground(BACKGROUND)
        self._view = ToolViewBox()
        self._graphics.addItem(self._view, row=0, col=0)
        self._image = pg.ImageItem(axisOrder="row-major")
        self._view.addItem(self._image)
        self._histogram = pg.HistogramLUTItem()
        self._histogram.setImageItem(self._image)
        self._histogram.gradient.setEnabled(False)  # the LUT box is the one place to choose a LUT
        self._graphics.addItem(self._histogram, row=0, col=1)
        self._histogram.sigLevelChangeFinished.connect(self._on_levels_changed)
        self._overlay = OverlayLayer(self._view)
        self._tool = DrawingTool(self._view, self._image, self.region_drawn.emit)
        self._view.clicked.connect(self._on_clicked)
        self._view.hovered.connect(self._on_hovered)
        self._graphics.installEventFilter(self)

        self._build_toolbar()
        self._hint = QLabel(EMPTY_HINT, objectName="viewer_hint")
        self._hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._hint.setWordWrap(True)
        self._hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._hint.setStyleSheet(HINT_STYLE)
        font = self._hint.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        self._hint.setFont(font)
        self._note = QLabel(objectName="viewer_note")
        self._note.setStyleSheet(NOTE_STYLE)
        self._note.setWordWrap(True)
        self._note.hide()
        self._hint.setParent(self._graphics)  # over the view, outside any layout: the view keeps its size
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._toolbar)
        layout.addWidget(self._note)
        layout.addWidget(self._graphics, 1)
        self.set_lut("grey")
        self.set_mode("view")
        self._show_message(EMPTY_HINT)

    def _build_toolbar(self) -> None:
        self._toolbar = QToolBar(self)
        self._channels = QComboBox(objectName="channel_combo", toolTip="Channel shown")
        self._channels.currentIndexChanged.connect(self._on_channel_changed)
        self._channel_action = self._toolbar.addWidget(self._channels)
        self._channel_action.setVisible(False)
        self._luts = QComboBox(objectName="lut_combo", toolTip="Look-up table of a single channel")
        self._luts.addItems(list(LUTS))
        self._luts.currentTextChanged.connect(self.set_lut)
        self._toolbar.addWidget(self._luts)
        self.auto_contrast_action = self._toolbar.addAction("Auto contrast", self.auto_contrast)
        self.auto_contrast_action.setToolTip("Contrast from the 1st to the 99.8th percentile")
        self.fit_action = self._toolbar.addAction("Fit", self.fit)
        self.fit_action.setToolTip("Show the whole image")
        self.overlay_action = QAction("Overlay", self, checkable=True, checked=True)
        self.overlay_action.setToolTip("Show the overlay (O)")
        self.overlay_action.toggled.connect(self._overlay.group.setVisible)
        self._toolbar.addAction(self.overlay_action)
        self._click_hint = QLabel(objectName="click_hint")
        self._click_hint.setStyleSheet("QLabel#click_hint { padding: 0 8px; font-weight: bold; }")
        self._click_hint.setMinimumWidth(0)
        self._click_hint_action = self._toolbar.addWidget(self._click_hint)

    @property
    def graphics_view(self) -> pg.GraphicsView:
        """The graphics view that shows the image (its viewport receives the mouse)."""
        return self._graphics

    @property
    def image_item(self) -> pg.ImageItem:
        """The image item; its own coordinates put pixel (r, c) at ``[c, c+1] x [r, r+1]``."""
        return self._image

    def set_image(self, data: np.ndarray | None, *, channel_names: Sequence[str] = (),
                  keep_view: bool = False, message: str = EMPTY_HINT) -> None:
        """Show an image, with automatic contrast, and clear the overlay.

        Parameters
        ----------
        data : (H, W) or (H, W, C) array, or None
            Any integer, float or bool type; None clears the viewer, which
            then shows ``message`` instead (why there is no image).
        channel_names : sequence of str
            One name per channel for the channel box (default "channel 1", ...).
        keep_view : bool
            Keep the zoom and position (when the size is unchanged) instead of
            fitting the image in the view.  The channel choice is kept when the
            number of channels is unchanged.
        message : str
            What to say in place of the image when ``data`` is None.
        """
        self._tool.cancel()
        self._overlay.set_data(None, None, (), (), (), ())
        if data is None:
            self._data = self._shape = None
            self._image.clear()
            self._set_channel_names([])
            self._set_levels(0.0, 1.0)
            self._show_message(message)
            return
        self._hint.hide()
        self._set_tools_enabled(True)
        data = np.asarray(data)
        count = channel_count(data)
        names = list(channel_names) or [f"channel {i + 1}" for i in range(count)]
        if len(names) != count:
            raise ParameterError(f"channel_names must have one name per channel ({count}), got {len(names)}")
        same_channels = self._data is not None and channel_count(self._data) == count
        previous = self._channels.currentIndex() if same_channels else 0
        if count > 1:
            self._set_channel_names(["composite (RGB)" if count == 3 else "composite (max)", *names], previous)
        else:
            self._set_channel_names([])
        shape = (int(data.shape[0]), int(data.shape[1]))
        fit = not keep_view or shape != self._shape
        self._data, self._shape = data, shape
        self._show()
        if fit:
            self.fit()

    def _show_message(self, message: str) -> None:
        """Cover the view with ``message``: there is no image to show."""
        self._hint.setText(message)
        self._hint.setGeometry(self._graphics.rect())
        self._hint.show()
        self._hint.raise_()
        self._set_tools_enabled(False)
        self.set_note("")

    def message(self) -> str:
        """What the viewer says in place of an image ("" while an image is shown)."""
        return self._hint.text() if not self._hint.isHidden() else ""

    def set_note(self, text: str) -> None:
        """A line above the image about what is shown (e.g. a blank image); "" hides it."""
        self._note.setText(text)
        self._note.setVisible(bool(text))

    def note(self) -> str:
        """The note shown above the image ("" when none)."""
        return self._note.text() if not self._note.isHidden() else ""

    def _set_tools_enabled(self, enabled: bool) -> None:
        for action in (self.auto_contrast_action, self.fit_action, self.overlay_action):
            action.setEnabled(enabled)
        self._luts.setEnabled(enabled)

    def _set_channel_names(self, names: list[str], current: int = 0) -> None:
        self._channels.blockSignals(True)
        self._channels.clear()
        self._channels.addItems(names)
        self._channels.setCurrentIndex(current if names else -1)
        self._channels.blockSignals(False)
        self._channel_action.setVisible(bool(names))

    def displayed_data(self) -> np.ndarray | None:
        """The array shown now: one channel, the composite, or None."""
        return self._image.image

    def channel(self) -> int:
        """The channel shown: an index, or `COMPOSITE`."""
        return self._channels.currentIndex() - 1 if self._channels.count() else COMPOSITE

    def _on_channel_changed(self, index: int) -> None:
        if self._data is not None and index >= 0:
            self._show()

    def _show(self) -> None:
        assert self._data is not None and self._shape is not None
        shown = display_array(self._data, self.channel())
        self._luts.setEnabled(shown.ndim == 2)
        low, high = auto_levels(shown)
        self._image.setImage(shown, autoLevels=False, levels=(low, high))
        self._image.setRect(QRectF(-0.5, -0.5, self._shape[1], self._shape[0]))
        self._set_levels(low, high)

    def levels(self) -> tuple[float, float]:
        """The contrast limits (low, high) of the display."""
        low, high = self._histogram.getLevels()
        return float(low), float(high)

    def set_levels(self, low: float, high: float) -> None:
        """Set the contrast limits; ``low < high``."""
        if not low < high:
            raise ParameterError(f"contrast limits must satisfy low < high, got low={low}, high={high}")
        self._set_levels(low, high)

    def auto_contrast(self) -> None:
        """Contrast from the 1st to the 99.8th percentile of the shown image."""
        if self._image.image is not None:
            self._set_levels(*auto_levels(self._image.image))

    def _set_levels(self, low: float, high: float) -> None:
        self._setting_levels = True
        try:
            self._histogram.setLevels(low, high)
        finally:
            self._setting_levels = False

    def _on_levels_changed(self, *args: object) -> None:
        if not self._setting_levels:
            self.contrast_changed.emit(*self.levels())

    def set_lut(self, name: str) -> None:
        """Use the look-up table ``name`` (one of `LUTS`) for single-channel display."""
        self._histogram.gradient.setColorMap(colormap(name))
        if self._luts.currentText() != name:
            self._luts.setCurrentText(name)

    def set_overlay(
        self,
        labels: np.ndarray | None,
        cells: Mapping[str, np.ndarray] | None = None,
        *,
        added: Sequence[tuple[float, float]] = (),
        removed: Sequence[tuple[float, float]] = (),
        excluded_ids: Sequence[int] = (),
        regions: Sequence[Sequence[tuple[float, float]]] = (),
        positive_ids: Sequence[int] = (),
        added_outside: Sequence[tuple[float, float]] = (),
    ) -> None:
        """Draw the result of a count over the image.

        Parameters
        ----------
        labels : (H, W) array of int, or None
            Objects to outline (1-pixel outlines in the accent colour); must
            have the shape of the image.
        cells : mapping of str to 1-D array, optional
            ``x`` and ``y`` centroids (and ``cell_id``) of the objects: drawn as
            markers and, when enabled and not too many are visible, as ids.
        added, removed : sequence of (x, y)
            Cells added by hand (cyan "+") and removed detections (red "x").
        excluded_ids : sequence of int
            Objects removed by the user: their outlines and markers are grey.
        regions : sequence of polygons
            Counting regions, each a sequence of ``(x, y)`` vertices (dashed).
        positive_ids : sequence of int
            Objects positive for the marker shown: magenta outlines and filled markers.
        added_outside : sequence of (x, y)
            Cells added by hand outside every counting region: not counted,
            drawn as a grey "+" so that they can be seen and clicked away.
        """
        if labels is not None:
            labels = np.asarray(labels)
            if self._shape is not None and labels.shape != self._shape:
                raise ParameterError(f"labels must have the image shape {self._shape}, got {labels.shape}")
        self._overlay.set_data(labels, cells, added, removed, excluded_ids, regions, positive_ids, added_outside)

    def set_overlay_options(self, *, outlines: bool = True, centroids: bool = True, ids: bool = False,
                            opacity: float = 0.8, color: str = "#ffd700") -> None:
        """Show or hide outlines, centroid markers and ids; opacity in [0, 1]; accent colour."""
        self._overlay.set_options(outlines=outlines, centroids=centroids, ids=ids, opacity=opacity, color=color)

    def overlay_pixmap_stats(self) -> dict[str, int]:
        """What the overlay draws now (0 for hidden items): outline pixels and marker counts."""
        return self._overlay.stats()

    def set_mode(self, mode: str) -> None:
        """Choose what the left mouse button does: one of `MODES`; cancels a drawing."""
        if mode not in MODES:
            raise ParameterError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        self._tool.cancel()
        self._view.tool = mode
        self.set_click_hint(MODE_HINTS[mode])
        cursor = Qt.CursorShape.ArrowCursor if mode == "view" else Qt.CursorShape.CrossCursor
        self._graphics.viewport().setCursor(cursor)

    def set_click_hint(self, text: str) -> None:
        """Say in the toolbar what the next click will do ("" hides it)."""
        self._click_hint.setText(text)
        self._click_hint_action.setVisible(bool(text))

    def click_hint(self) -> str:
        """What the toolbar says the next click will do ("" when nothing is said)."""
        return self._click_hint.text() if self._click_hint_action.isVisible() else ""

    def _on_hovered(self, scene_position: QPointF) -> None:
        if self._shape is None or self._view.tool != "edit":
            return
        x, y = self._tool.to_image(scene_position)
        height, width = self._shape
        if -0.5 <= x < width - 0.5 and -0.5 <= y < height - 0.5:
            self.point_hovered.emit(x, y)
        else:
            self.set_click_hint(MODE_HINTS["edit"])

    def mode(self) -> str:
        """The current mode (see `set_mode`)."""
        return self._view.tool

    def view_range(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The visible ``((x_min, x_max), (y_min, y_max))`` in image coordinates."""
        (x0, x1), (y0, y1) = self._view.viewRange()
        return (float(x0), float(x1)), (float(y0), float(y1))

    def set_view_range(self, x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
        """Show this part of the image (the aspect ratio stays locked, so one range may grow)."""
        self._view.setRange(xRange=x_range, yRange=y_range, padding=0)

    def fit(self) -> None:
        """Show the whole image."""
        if self._shape is not None:
            self._view.setRange(QRectF(-0.5, -0.5, self._shape[1], self._shape[0]), padding=0.02)

    def zoom(self, factor: float) -> None:
        """Magnify the view by ``factor`` (> 1 zooms in) around its centre."""
        if not factor > 0:
            raise ParameterError(f"zoom factor must be > 0, got {factor}")
        self._view.scaleBy(s=(1.0 / factor, 1.0 / factor))

    def map_from_viewport(self, position: QPoint | QPointF) -> tuple[float, float]:
        """Image coordinates ``(x, y)`` of a position in the graphics view's viewport."""
        return self._tool.to_image(self._graphics.mapToScene(QPoint(int(position.x()), int(position.y()))))

    def _on_clicked(self, scene_position: QPointF, modifiers: Qt.KeyboardModifier, double: bool) -> None:
        if self._shape is None:
            return
        x, y = self._tool.to_image(scene_position)
        if self._view.tool == "edit":
            height, width = self._shape
            if not double and -0.5 <= x < width - 0.5 and -0.5 <= y < height - 0.5:
                self.point_clicked.emit(x, y, modifiers)
        elif self._view.tool == "polygon":
            self._tool.polygon_click(x, y, double)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._graphics and event.type() == QEvent.Type.KeyPress:
            return self._handle_key(event)  # type: ignore[arg-type]
        if watched is self._graphics and event.type() == QEvent.Type.Resize:
            self._hint.setGeometry(self._graphics.rect())
        return super().eventFilter(watched, event)

    def _handle_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key == Qt.Key.Key_O and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.overlay_action.toggle()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(ZOOM_STEP)
        elif key == Qt.Key.Key_Minus:
            self.zoom(1.0 / ZOOM_STEP)
        elif key == Qt.Key.Key_Escape and self._tool.drawing():
            self._tool.cancel()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._tool.drawing():
            self._tool.finish_polygon()
        else:
            return False
        return True
