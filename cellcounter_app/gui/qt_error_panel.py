"""The error panel: a calm, non-blocking list of what went wrong (meant for a dock widget)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .error_log import ErrorLog, ErrorRecord

HEADERS = ("time", "level", "source", "message")
COLUMN_WIDTHS = (70, 75, 190)


class QtErrorPanel(QWidget):
    """A view of an `ErrorLog`: the records, the details of the chosen one, Clear and Open log file.

    Records may be added from any thread; the panel is told through a queued
    Qt signal and touches its widgets only in the GUI thread.

    Signals
    -------
    error_count_changed(count)
        The number of records shown changed (for a status-bar counter).
    """

    error_count_changed = Signal(int)
    _log_changed = Signal()

    def __init__(self, error_log: ErrorLog, log_file: str | os.PathLike[str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("error_panel")
        self._log = error_log
        self._shown: list[ErrorRecord] = []
        self._pending = False
        self._log_file: Path | None = None

        self._list = QTreeWidget(objectName="error_list", rootIsDecorated=False, uniformRowHeights=True)
        self._list.setHeaderLabels(list(HEADERS))
        for column, width in enumerate(COLUMN_WIDTHS):
            self._list.header().resizeSection(column, width)
        self._list.currentItemChanged.connect(self._show_details)
        self._details = QPlainTextEdit(objectName="error_details", readOnly=True)
        self._details.setPlaceholderText("Choose an error to see its details.")
        self._details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self._details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.copy_button = QPushButton("Copy", toolTip="Copy every error with its details")
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        self.clear_button = QPushButton("Clear", toolTip="Forget the errors listed here (the log file keeps them)")
        self.clear_button.clicked.connect(self._log.clear)
        self.open_log_button = QPushButton("Open log file")
        self.open_log_button.clicked.connect(self.open_log_file)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self._list)
        splitter.addWidget(self._details)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_log_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)

        self._log_changed.connect(self._sync, Qt.ConnectionType.QueuedConnection)
        unsubscribe = error_log.subscribe(self._on_log_event)
        self.destroyed.connect(lambda *_: unsubscribe())
        self.set_log_file(log_file)
        self._sync()

    @property
    def error_log(self) -> ErrorLog:
        return self._log

    @property
    def count(self) -> int:
        """Number of records listed."""
        return len(self._shown)

    @property
    def log_file(self) -> Path | None:
        return self._log_file

    def set_log_file(self, path: str | os.PathLike[str] | None) -> None:
        """The file "Open log file" opens (None disables the button)."""
        self._log_file = Path(path) if path is not None else None
        self.open_log_button.setEnabled(self._log_file is not None)
        self.open_log_button.setToolTip(str(self._log_file) if self._log_file else "No log file is written")

    def open_log_file(self) -> bool:
        """Open the log file with the system's viewer; False when it cannot be opened."""
        if self._log_file is None or not self._log_file.is_file():
            self._details.setPlainText(f"The log file {self._log_file} does not exist yet.")
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._log_file)))

    def details_text(self) -> str:
        """The text of the details pane."""
        return self._details.toPlainText()

    def select(self, row: int) -> None:
        """Show the details of the record in ``row`` (0 is the oldest)."""
        self._list.setCurrentItem(self._list.topLevelItem(row))

    def copy_to_clipboard(self) -> str:
        """Copy every listed record with its details; returns the text."""
        text = "\n\n".join(record.as_text() for record in self._shown)
        QGuiApplication.clipboard().setText(text)
        return text

    def _on_log_event(self, _event: str, _payload: Any) -> None:
        """Called in the thread that changed the log: ask the GUI thread to catch up, once."""
        if self._pending:
            return
        self._pending = True
        try:
            self._log_changed.emit()
        except RuntimeError:  # the panel was deleted while a worker was still logging
            self._pending = False

    def _sync(self) -> None:
        """Bring the list up to date with the log (GUI thread only)."""
        self._pending = False
        records = self._log.records
        before = len(self._shown)
        kept = self._kept(records)
        if kept is None:
            self._list.clear()
            self._details.clear()
            self._shown.clear()
            kept = 0
        for _ in range(len(self._shown) - kept):  # dropped from the front of a full log
            self._list.takeTopLevelItem(0)
            self._shown.pop(0)
        for record in records[kept:]:
            item = QTreeWidgetItem([f"{record.time:%H:%M:%S}", record.level, record.source, record.message])
            item.setToolTip(3, record.message)
            self._list.addTopLevelItem(item)
            self._shown.append(record)
        if len(records) > kept:
            self._list.scrollToBottom()
        if len(self._shown) != before:
            self.error_count_changed.emit(len(self._shown))

    def _kept(self, records: tuple[ErrorRecord, ...]) -> int | None:
        """How many leading ``records`` are the newest ones listed; None when the list must be rebuilt."""
        if not self._shown:
            return 0
        last = self._shown[-1]
        for index in range(len(records) - 1, -1, -1):
            if records[index] is last:
                return index + 1 if index + 1 <= len(self._shown) else None
        return None

    def _show_details(self, current: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        row = self._list.indexOfTopLevelItem(current) if current is not None else -1
        self._details.setPlainText(self._shown[row].as_text() if 0 <= row < len(self._shown) else "")
