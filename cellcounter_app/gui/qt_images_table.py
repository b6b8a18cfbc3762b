"""The per-image results table: one sortable row per image of the project."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import QHeaderView, QTableView, QWidget

from ..project import Project
from .images_table_model import COLUMNS, ImagesSortProxy, ImagesTableModel
from .mixins import CopyableTable, MiddleElided


class QtImagesTable(CopyableTable, QTableView):
    """A view of a project's images with their counts, sortable by any column.

    Signals
    -------
    image_selected(image_id)
        The user made another row the current one (not emitted by `select_image`).
    """

    image_selected = Signal(str)

    def __init__(self, project: Project | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("images_table")
        self._model = ImagesTableModel(project, self)
        self._proxy = ImagesSortProxy(self)
        self._proxy.setSourceModel(self._model)
        self.setModel(self._proxy)
        self.set_up_rows()
        self.sortByColumn(COLUMNS.index("image"), Qt.SortOrder.AscendingOrder)  # natural order: a2 before a10
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.resizeSection(COLUMNS.index("image"), 180)
        self.fit_headers()
        self._names = MiddleElided(self)
        self.setItemDelegateForColumn(COLUMNS.index("image"), self._names)
        self._model.headerDataChanged.connect(lambda *_: self.fit_headers())
        self._quiet = False
        self._last_selected: str | None = None
        self.selectionModel().selectionChanged.connect(self._on_selection_changed)

    @property
    def table_model(self) -> ImagesTableModel:
        """The model over the project (rows in project order)."""
        return self._model

    @property
    def proxy(self) -> ImagesSortProxy:
        """The sorting proxy the view shows."""
        return self._proxy

    def set_project(self, project: Project | None) -> None:
        """Show another project (or none); the previous one is no longer listened to."""
        self._model.set_project(project)

    def selected_image_ids(self) -> list[str]:
        """Ids of the selected rows, top to bottom as shown."""
        rows = sorted(index.row() for index in self.selectionModel().selectedRows())
        return [self._model.image_id(self._proxy.mapToSource(self._proxy.index(r, 0)).row()) for r in rows]

    def select_image(self, image_id: str) -> None:
        """Make ``image_id`` the current, only selected row, without emitting `image_selected`."""
        row = self._model.row_of(image_id)
        if row is None:
            return
        index = self._proxy.mapFromSource(self._model.index(row, 0))
        self._quiet = True
        self._last_selected = image_id
        try:
            self.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        finally:
            self._quiet = False
        self.scrollTo(index)

    def shown_image_ids(self) -> list[str]:
        """Ids of every row, in the order shown (sorted as the user chose)."""
        return [self._model.image_id(self._proxy.mapToSource(self._proxy.index(r, 0)).row())
                for r in range(self._proxy.rowCount())]

    def copy_text(self) -> str:
        """The selected rows (all rows when none is selected) of the visible columns, tab-separated."""
        selected = self.selectionModel().selectedRows()
        shown = sorted(index.row() for index in selected) if selected else range(self._proxy.rowCount())
        rows = [self._proxy.mapToSource(self._proxy.index(r, 0)).row() for r in shown]
        columns = [c for c in range(len(COLUMNS)) if not self.isColumnHidden(c)]
        return self._model.rows_as_tsv(rows, columns)

    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        if self._quiet:
            return
        current = self.selectionModel().currentIndex()
        if current.isValid() and self.selectionModel().isRowSelected(current.row(), QModelIndex()):
            image_id = self._model.image_id(self._proxy.mapToSource(current).row())
            if image_id != self._last_selected:
                self._last_selected = image_id
                self.image_selected.emit(image_id)
