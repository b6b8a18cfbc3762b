"""A histogram of cell sizes (diameters or areas) of one image."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QWidget

MAX_BINS = 60
BAR_COLOUR = "#3a7bd5"
EMPTY_TEXT = "No cells to show"


def bin_count(values: np.ndarray, max_bins: int = MAX_BINS) -> int:
    """Number of bins: the larger of the Sturges and Freedman–Diaconis rules, 1 to ``max_bins``.

    Examples
    --------
    >>> bin_count(np.arange(100.0))
    8
    >>> bin_count(np.full(50, 3.0))
    7
    """
    n = values.size
    if n == 0:
        return 1
    sturges = int(math.ceil(math.log2(n))) + 1
    q75, q25 = np.percentile(values, (75, 25))
    spread = float(values.max() - values.min())
    width = 2.0 * float(q75 - q25) / n ** (1 / 3)
    fd = int(math.ceil(spread / width)) if width > 0 else sturges
    return int(min(max(fd, sturges, 1), max_bins))


class PanelPlot(pg.PlotWidget):
    """A plot for a scrolling side panel: it asks for its minimum height and takes the room left.

    A scroll area sizes a panel whose labels wrap by its preferred height; a
    plot view's own (about 480 px) made *This image* and *Markers* scroll with
    the plot cut off even on a full-HD screen.
    """

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(hint.width(), max(self.minimumHeight(), 100))


class QtSizeHistogram(PanelPlot):
    """Distribution of one size measurement of the cells of an image.

    The title gives the number of cells and the median, which is also drawn
    as a dashed line; with no (finite) value the plot says so.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background=None)
        self.setObjectName("size_histogram")
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        plot = self.getPlotItem()
        self._curve = pg.PlotDataItem(stepMode="center", fillLevel=0, pen=pg.mkPen(BAR_COLOUR, width=1),
                                      brush=pg.mkBrush(BAR_COLOUR + "99"))
        plot.addItem(self._curve)
        self._median_line = pg.InfiniteLine(angle=90, movable=False,
                                            pen=pg.mkPen("#e67e22", width=2, style=Qt.PenStyle.DashLine))
        plot.addItem(self._median_line)
        self._empty = pg.TextItem(EMPTY_TEXT, color="#888888", anchor=(0.5, 0.5))
        plot.addItem(self._empty)
        self._edges = np.zeros(0)
        self._counts = np.zeros(0, np.int64)
        self._median: float | None = None
        self._title = ""
        self.set_values(np.zeros(0), "px")

    @property
    def count(self) -> int:
        """Number of cells shown (finite values)."""
        return int(self._counts.sum())

    @property
    def median(self) -> float | None:
        """Median of the values shown, None when there is none."""
        return self._median

    @property
    def bin_edges(self) -> np.ndarray:
        return self._edges.copy()

    @property
    def bin_counts(self) -> np.ndarray:
        return self._counts.copy()

    @property
    def title_text(self) -> str:
        """The summary line above the plot ("" when empty)."""
        return self._title

    @property
    def is_empty(self) -> bool:
        """Whether the plot shows its "no cells" text instead of bars."""
        return self._empty.isVisible()

    def set_values(self, values: np.ndarray, unit_label: str, quantity: str = "equivalent diameter",
                   unsized: int = 0) -> None:
        """Show the distribution of ``values`` (NaN and infinities are left out).

        Parameters
        ----------
        values : 1-D array
            One value per cell, e.g. ``cells["equivalent_diameter_um"]``.
        unit_label : str
            Unit of the values for the axis and the title: ``"µm"``, ``"px"``, ``"µm²"``...
        quantity : str
            What the values are, for the axis label.
        unsized : int
            Cells counted without a size (added by hand): in the title's
            number of cells, and said to have no size.
        """
        data = np.asarray(values, dtype=np.float64).ravel()
        data = data[np.isfinite(data)]
        plot = self.getPlotItem()
        plot.setLabel("bottom", f"{quantity} ({unit_label})")
        plot.setLabel("left", "cells")
        for side in ("left", "bottom"):
            plot.getAxis(side).setStyle(showValues=data.size > 0)
        if data.size == 0:
            self._edges, self._counts, self._median, self._title = np.zeros(0), np.zeros(0, np.int64), None, ""
            self._curve.setData([0.0, 1.0], [0.0])
            self._curve.setVisible(False)
            self._median_line.setVisible(False)
            self._empty.setText(f"{_cells(unsized)} added by hand, no size" if unsized else EMPTY_TEXT)
            self._empty.setVisible(True)
            self._empty.setPos(0.5, 0.5)
            plot.setTitle("")
            plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            return
        self._counts, self._edges = np.histogram(data, bins=bin_count(data))
        self._median = float(np.median(data))
        by_hand = f" ({unsized} added by hand, no size)" if unsized else ""
        self._title = f"{_cells(data.size + unsized)}{by_hand} · median {self._median:.3g} {unit_label}"
        self._curve.setData(self._edges, self._counts.astype(np.float64))
        self._curve.setVisible(True)
        self._median_line.setPos(self._median)
        self._median_line.setVisible(True)
        self._empty.setVisible(False)
        plot.setTitle(self._title, size="9pt")
        plot.setRange(xRange=(self._edges[0], self._edges[-1]), yRange=(0, max(1, int(self._counts.max()))),
                      padding=0.02)


def _cells(n: int) -> str:
    return f"{n} cell" if n == 1 else f"{n} cells"
