"""The cell-size histogram: bins hold every cell, median, units in the labels, empty state."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pyqtgraph")

from cellcounter_app.gui import qt_histogram  # noqa: E402
from cellcounter_app.gui.qt_histogram import MAX_BINS, QtSizeHistogram, bin_count  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def histogram(qtbot):
    widget = QtSizeHistogram()
    qtbot.addWidget(widget)
    widget.resize(400, 250)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_docstring_examples():
    assert doctest.testmod(qt_histogram, extraglobs={"np": np}).failed == 0


def test_values_fill_the_bins_and_the_title_gives_count_and_median(histogram):
    values = np.random.default_rng(0).normal(12.0, 2.0, 500)
    values[:3] = np.nan
    histogram.set_values(values, "µm")
    assert histogram.count == 497 and histogram.bin_counts.sum() == 497
    assert histogram.median == pytest.approx(np.nanmedian(values))
    assert histogram.bin_edges[0] == pytest.approx(np.nanmin(values))
    assert histogram.bin_edges[-1] == pytest.approx(np.nanmax(values))
    assert histogram.title_text == f"497 cells · median {np.nanmedian(values):.3g} µm"
    plot = histogram.getPlotItem()
    assert plot.getAxis("bottom").labelText == "equivalent diameter (µm)"
    assert plot.getAxis("left").labelText == "cells"
    x, y = plot.listDataItems()[0].getData()
    np.testing.assert_array_equal(y, histogram.bin_counts)
    assert not histogram.is_empty


def test_other_quantity_and_unit(histogram):
    histogram.set_values(np.array([40, 50, 50, 61]), "px²", quantity="area")
    assert histogram.getPlotItem().getAxis("bottom").labelText == "area (px²)"
    assert histogram.median == 50.0 and histogram.count == 4
    histogram.set_values(np.array([7.0]), "px")
    assert histogram.title_text == "1 cell · median 7 px" and histogram.count == 1


def test_no_cells_shows_the_empty_state(histogram):
    histogram.set_values(np.array([1.0, 2.0]), "px")
    histogram.set_values(np.array([np.nan, np.inf]), "µm")
    assert histogram.is_empty and histogram.count == 0 and histogram.median is None
    assert histogram.title_text == ""
    assert not histogram.getPlotItem().listDataItems()[0].isVisible()


def test_bin_count_is_bounded_for_outliers():
    values = np.concatenate([np.full(10_000, 5.0) + np.random.default_rng(1).normal(0, 1e-3, 10_000), [1e6]])
    assert bin_count(values) == MAX_BINS
    assert bin_count(np.zeros(0)) == 1
