"""Small behaviours shared by several widgets: copy as text, refresh once per event-loop pass."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QStyledItemDelegate, QStyleOptionViewItem, QTableView


MIN_COLUMN_PX = 56


class MiddleElided(QStyledItemDelegate):
    """Cells whose text is cut in the middle: a long file name keeps its start and its end (``a_lo…B07.tif``)."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: Any) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class CopyableTable:
    """A read-only table of whole rows, sortable, where Ctrl+C copies `copy_text` (which the table defines).

    Mixed into a ``QTableView`` subclass, before it in the bases; the
    subclass calls `set_up_rows` once its model is set.
    """

    def set_up_rows(self) -> None:
        """Sortable (in model order until a header is clicked), whole-row selection, no editing."""
        view: QTableView = self  # type: ignore[assignment]
        view.setSortingEnabled(True)
        view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)

    def fit_headers(self, minimum: int = MIN_COLUMN_PX, *, shrink: bool = False) -> None:
        """Make every column at least as wide as its title with the sort arrow (``shrink``: exactly that)."""
        view: QTableView = self  # type: ignore[assignment]
        header = view.horizontalHeader()
        for column in range(header.count()):
            needed = max(minimum, header.sectionSizeFromContents(column).width())
            if shrink or header.sectionSize(column) < needed:
                header.resizeSection(column, needed)

    def copy_text(self) -> str:
        raise NotImplementedError

    def copy_to_clipboard(self) -> str:
        """Put `copy_text` on the clipboard and return it."""
        text = self.copy_text()
        QGuiApplication.clipboard().setText(text)
        return text

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_to_clipboard()
            event.accept()
            return
        super().keyPressEvent(event)  # type: ignore[misc]


class DeferredRefresh:
    """`schedule_refresh` calls the widget's ``refresh`` once, after the events now queued.

    A new result changes the project and the session together; each would
    ask for a refresh, and one is enough.  ``refresh`` must call
    `refresh_started` first.
    """

    _refresh_due = False

    def refresh(self) -> None:
        raise NotImplementedError

    def schedule_refresh(self) -> None:
        if not self._refresh_due:
            self._refresh_due = True
            QTimer.singleShot(0, self.refresh)

    def refresh_started(self) -> None:
        self._refresh_due = False
