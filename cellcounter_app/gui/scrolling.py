"""Panels that scroll instead of forcing the window taller than the screen."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QStyle, QWidget

MIN_PANEL_HEIGHT = 90
"""The least a scrolling panel shrinks to: a few rows stay readable."""
MAX_PANEL_MIN_WIDTH = 320
"""A panel wider than this scrolls sideways in a narrow dock rather than squeezing the image view."""


def scrolled(widget: QWidget, *, min_height: int = MIN_PANEL_HEIGHT) -> QScrollArea:
    """``widget`` in a frameless scroll area that scrolls up and down (sideways only when squeezed).

    The area asks for the width the widget needs (plus a scroll bar, at most
    `MAX_PANEL_MIN_WIDTH`), so its controls are not cut at the side, but only
    ``min_height`` pixels of height: a dock holding it can be made as short
    as the screen needs.
    """
    area = QScrollArea()
    area.setObjectName(f"{widget.objectName() or type(widget).__name__}_scroll")
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    area.setWidget(widget)
    bar = area.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
    area.setMinimumWidth(min(widget.minimumSizeHint().width() + bar, MAX_PANEL_MIN_WIDTH))
    area.setMinimumHeight(min_height)
    return area
