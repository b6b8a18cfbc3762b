"""The per-cell table of one image: a table model over the measurement arrays.

The model reads the arrays of `cellcounter_app.results.CELL_COLUMNS` directly
(no item per cell), sorts with numpy and formats only the rows on screen, so
an image of 20 000 cells shows, sorts and scrolls at once.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QItemSelectionModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QHeaderView, QTableView, QWidget

from ..errors import ParameterError
from ..results import CELL_COLUMNS
from .mixins import CopyableTable

TITLES = {
    "cell_id": "cell", "x": "x (px)", "y": "y (px)", "area_px": "area (px²)", "area_um2": "area (µm²)",
    "equivalent_diameter_px": "eq. diameter (px)", "equivalent_diameter_um": "eq. diameter (µm)",
    "feret_diameter_px": "Feret diameter (px)", "feret_diameter_um": "Feret diameter (µm)",
    "eccentricity": "eccentricity", "mean_intensity": "mean intensity", "max_intensity": "max intensity",
    "stain": "stain (× noise)",
}
"""Column titles with units, by `CELL_COLUMNS` name (a column not listed shows its name)."""
DECIMALS = {"cell_id": 0, "area_px": 0, "x": 1, "y": 1, "area_um2": 1, "eccentricity": 3,
            "mean_intensity": 1, "max_intensity": 1}
"""Decimals shown per column; the diameters get 2."""
AnyIndex = QModelIndex | QPersistentModelIndex
_DISPLAY, _ALIGNMENT = int(Qt.ItemDataRole.DisplayRole), int(Qt.ItemDataRole.TextAlignmentRole)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def _title(column: str) -> str:
    return TITLES.get(column, column.replace("_", " "))


def _is_um(column: str) -> bool:
    return column.endswith("_um") or column.endswith("_um2")


class CellsTableModel(QAbstractTableModel):
    """One row per cell, one column per measurement; sorted in place by `sort`."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._columns: tuple[str, ...] = tuple(c for c in CELL_COLUMNS if not _is_um(c))
        self._arrays: list[np.ndarray] = []
        self._order = np.zeros(0, np.int64)
        self._sort: tuple[str, Qt.SortOrder] | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """`CELL_COLUMNS` names shown, in order."""
        return self._columns

    def set_cells(self, cells: Mapping[str, np.ndarray] | None, pixel_size_um: float | None) -> None:
        """Show ``cells`` (None: no cells); µm columns only when ``pixel_size_um`` is set."""
        cells = cells or {}
        calibrated = pixel_size_um is not None and pixel_size_um > 0
        columns = tuple(c for c in CELL_COLUMNS if (c in cells or not cells) and (calibrated or not _is_um(c)))
        arrays = [np.asarray(cells[c]) for c in columns] if cells else []
        lengths = {c: a.shape for c, a in zip(columns, arrays)}
        if any(a.ndim != 1 for a in arrays) or len({a.shape for a in arrays}) > 1:
            raise ParameterError(f"cell columns must be 1-D arrays of one length, got shapes {lengths}")
        self.beginResetModel()
        self._columns, self._arrays = columns, arrays
        self._order = np.arange(len(arrays[0]) if arrays else 0)
        if self._sort is not None and self._sort[0] in columns and arrays:
            self._order = self._sorted_order(columns.index(self._sort[0]), self._sort[1])
        self.endResetModel()

    def cell_id(self, row: int) -> int:
        """The ``cell_id`` of a shown row."""
        return int(self._column("cell_id")[self._order[row]])

    def row_of(self, cell_id: int) -> int | None:
        """The shown row of ``cell_id``, or None."""
        if "cell_id" not in self._columns:
            return None
        rows = np.flatnonzero(self._column("cell_id")[self._order] == cell_id)
        return int(rows[0]) if rows.size else None

    def _column(self, name: str) -> np.ndarray:
        return self._arrays[self._columns.index(name)]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _title(self._columns[section])
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{self._columns[section]} in the exported Cells sheet"
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        role = int(role)
        if role == _DISPLAY and index.isValid():
            return self.text(index.row(), index.column())
        if role == _ALIGNMENT:
            return _RIGHT
        return None

    def text(self, row: int, column: int) -> str:
        """The shown text of a cell ("" for NaN)."""
        return self._format(self._arrays[column][self._order[row]], self._columns[column])

    @staticmethod
    def _format(value: Any, column: str) -> str:
        number = float(value)
        if number != number:
            return ""
        return f"{number:.{DECIMALS.get(column, 2)}f}"

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort rows by the values of ``column`` (NaN last); a stable sort."""
        if not 0 <= column < len(self._columns):
            self._sort = None
            return
        self._sort = (self._columns[column], order)
        if not self._arrays:
            return
        self.layoutAboutToBeChanged.emit()
        old = self._order
        self._order = self._sorted_order(column, order)
        new_row = np.empty_like(self._order)
        new_row[self._order] = np.arange(len(self._order))
        before = self.persistentIndexList()
        after = [self.index(int(new_row[old[i.row()]]), i.column()) for i in before]
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def _sorted_order(self, column: int, order: Qt.SortOrder) -> np.ndarray:
        values = self._arrays[column].astype(np.float64)
        if order == Qt.SortOrder.DescendingOrder:
            values = -values
        return np.argsort(values, kind="stable")

    def rows_as_tsv(self, rows: Sequence[int] | None = None) -> str:
        """Tab-separated text of shown ``rows`` (default all) with a header line."""
        picked = self._order if rows is None else self._order[np.asarray(rows, np.int64)]
        columns = [[self._format(v, name) for v in array[picked].tolist()]
                   for name, array in zip(self._columns, self._arrays)]
        lines = ["\t".join(_title(c) for c in self._columns)]
        lines += ["\t".join(values) for values in zip(*columns)]
        return "\n".join(lines) + "\n"


class QtCellsTable(CopyableTable, QTableView):
    """Per-cell measurements of one image, sortable, copyable as tab-separated text.

    Signals
    -------
    cell_selected(cell_id)
        The user made another row the current one (not emitted by `select_cell`).
    """

    cell_selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cells_table")
        self._model = CellsTableModel(self)
        self.setModel(self._model)
        self.set_up_rows()
        rows = self.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 6)
        self._quiet = False
        self.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.set_cells(None, None)

    @property
    def table_model(self) -> CellsTableModel:
        return self._model

    def set_cells(self, cells: Mapping[str, np.ndarray] | None, pixel_size_um: float | None) -> None:
        """Show the cells of an image (None clears the table); see `CellsTableModel.set_cells`."""
        self._quiet = True
        try:
            self._model.set_cells(cells, pixel_size_um)
        finally:
            self._quiet = False
        self.fit_headers(shrink=True)

    def select_cell(self, cell_id: int) -> None:
        """Make the row of ``cell_id`` current and visible, without emitting `cell_selected`."""
        row = self._model.row_of(cell_id)
        if row is None:
            self.clearSelection()
            return
        index = self._model.index(row, 0)
        self._quiet = True
        try:
            self.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        finally:
            self._quiet = False
        self.scrollTo(index)

    def copy_text(self) -> str:
        """The selected rows (all when none is selected) as tab-separated text with a header."""
        rows = sorted(index.row() for index in self.selectionModel().selectedRows())
        return self._model.rows_as_tsv(rows or None)

    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not self._quiet and current.isValid() and "cell_id" in self._model.columns:
            self.cell_selected.emit(self._model.cell_id(current.row()))
