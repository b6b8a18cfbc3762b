"""The per-cell table: columns and units, numeric sorting, 20 000 rows, copy, cell selection."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from cellcounter_app.errors import ParameterError  # noqa: E402
from cellcounter_app.gui.qt_cells_table import QtCellsTable  # noqa: E402
from cellcounter_app.results import CELL_COLUMNS  # noqa: E402

pytestmark = pytest.mark.gui


def make_cells(n: int, pixel_size_um: float | None = 0.5, seed: int = 0) -> dict[str, np.ndarray]:
    """Measurements of ``n`` cells as `measure_cells` gives them."""
    rng = np.random.default_rng(seed)
    area = rng.integers(20, 400, n).astype(np.int64)
    diameter = np.sqrt(4 * area / np.pi)
    scale = pixel_size_um if pixel_size_um else np.nan
    return {
        "cell_id": np.arange(1, n + 1, dtype=np.int64),
        "x": rng.uniform(0, 1000, n), "y": rng.uniform(0, 1000, n),
        "area_px": area, "area_um2": area * scale**2,
        "equivalent_diameter_px": diameter, "equivalent_diameter_um": diameter * scale,
        "feret_diameter_px": diameter * 1.1, "feret_diameter_um": diameter * 1.1 * scale,
        "eccentricity": rng.uniform(0, 1, n),
        "mean_intensity": rng.uniform(100, 4000, n), "max_intensity": rng.uniform(4000, 65535, n),
        "stain": rng.uniform(0, 40, n),
    }


@pytest.fixture
def table(qtbot):
    widget = QtCellsTable()
    qtbot.addWidget(widget)
    widget.resize(900, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def headers(table):
    model = table.model()
    return [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]


def shown(table, column):
    model = table.model()
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_um_columns_only_when_calibrated(table):
    table.set_cells(make_cells(5), 0.5)
    assert table.table_model.columns == CELL_COLUMNS
    assert "area (µm²)" in headers(table) and "eq. diameter (µm)" in headers(table)
    table.set_cells(make_cells(5, None), None)
    assert not any("µm" in h for h in headers(table))
    assert headers(table)[:4] == ["cell", "x (px)", "y (px)", "area (px²)"]
    table.set_cells(None, None)
    assert table.model().rowCount() == 0 and headers(table)[0] == "cell"


def test_sorting_is_numeric_with_nan_last(table):
    cells = make_cells(4)
    cells["area_px"] = np.array([9, 100, 20, 3])
    cells["eccentricity"] = np.array([0.5, np.nan, 0.1, 0.9])
    table.set_cells(cells, 0.5)
    area = table.table_model.columns.index("area_px")
    table.sortByColumn(area, Qt.SortOrder.AscendingOrder)
    assert shown(table, area) == ["3", "9", "20", "100"] and shown(table, 0) == ["4", "1", "3", "2"]
    table.sortByColumn(area, Qt.SortOrder.DescendingOrder)
    assert shown(table, area) == ["100", "20", "9", "3"]
    ecc = table.table_model.columns.index("eccentricity")
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        table.sortByColumn(ecc, order)
        assert shown(table, ecc)[-1] == ""
    table.set_cells(make_cells(3, seed=1), 0.5)  # a new image keeps the sort
    values = [float(v) for v in shown(table, ecc)]
    assert values == sorted(values, reverse=True)


def test_twenty_thousand_cells_show_sort_and_copy_quickly(qtbot, table):
    cells = make_cells(20_000)
    start = time.perf_counter()
    table.set_cells(cells, 0.5)
    QApplication.processEvents()
    table.sortByColumn(table.table_model.columns.index("equivalent_diameter_um"), Qt.SortOrder.DescendingOrder)
    table.scrollToBottom()
    QApplication.processEvents()
    shown_s = time.perf_counter() - start
    text = table.copy_to_clipboard()
    total_s = time.perf_counter() - start
    assert table.model().rowCount() == 20_000
    assert len(text.splitlines()) == 20_001
    last = float(table.model().index(19_999, table.table_model.columns.index("equivalent_diameter_um")).data())
    assert last == pytest.approx(cells["equivalent_diameter_um"].min(), abs=0.01)
    assert shown_s < 1.0 and total_s < 3.0, (shown_s, total_s)


def test_ctrl_c_copies_the_selected_rows_with_a_header(qtbot, table):
    table.set_cells(make_cells(6), 0.5)
    for row, modifier in ((1, Qt.KeyboardModifier.NoModifier), (4, Qt.KeyboardModifier.ControlModifier)):
        rect = table.visualRect(table.model().index(row, 0))
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QApplication.clipboard().text().splitlines()
    assert lines[0].split("\t")[:5] == ["cell", "x (px)", "y (px)", "area (px²)", "area (µm²)"]
    assert [line.split("\t")[0] for line in lines[1:]] == ["2", "5"]
    assert len(lines[1].split("\t")) == len(CELL_COLUMNS)


def test_clicking_a_row_emits_the_cell_id_and_select_cell_is_quiet(qtbot, table):
    table.set_cells(make_cells(50), None)
    table.sortByColumn(table.table_model.columns.index("area_px"), Qt.SortOrder.AscendingOrder)
    rect = table.visualRect(table.model().index(2, 0))
    with qtbot.waitSignal(table.cell_selected) as blocker:
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [int(table.model().index(2, 0).data())]
    with qtbot.assertNotEmitted(table.cell_selected):
        table.select_cell(40)
    assert table.model().index(table.currentIndex().row(), 0).data() == "40"


def test_columns_of_different_lengths_are_refused(table):
    cells = make_cells(5)
    cells["x"] = cells["x"][:3]
    with pytest.raises(ParameterError, match="one length"):
        table.set_cells(cells, 0.5)
