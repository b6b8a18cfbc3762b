"""The About dialog: versions, compute providers, installed models and the log file."""

from __future__ import annotations

import logging
import os
import platform
import sys
from pathlib import Path

import numpy as np
import onnxruntime
import pyqtgraph
import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from .. import __version__
from ..errors import CellCounterError
from ..inference import list_models

log = logging.getLogger(__name__)


def about_text(log_file: str | os.PathLike[str] | None = None) -> str:
    """What the About dialog shows, as plain text (also what "Copy" copies)."""
    lines = [
        f"CellCounter {__version__}",
        "",
        f"Python {platform.python_version()} ({sys.executable})",
        f"Platform {platform.platform()}",
        f"Qt {qVersion()}, PySide6 {PySide6.__version__}",
        f"pyqtgraph {pyqtgraph.__version__}",
        f"numpy {np.__version__}",
        f"ONNX Runtime {onnxruntime.__version__}",
        f"Available providers: {', '.join(onnxruntime.get_available_providers())}",
        "",
        "Models:",
    ]
    try:
        models = list_models()
    except CellCounterError as exc:
        log.warning("cannot list the models: %s", exc)
        lines.append(f"  cannot list the models: {exc}")
    else:
        for entry in models:
            where = str(entry.path) if entry.path is not None else "built in"
            version = f" {entry.version}" if entry.version else ""
            lines.append(f"  {entry.name}{version} ({entry.source}): {where}")
    lines += ["", f"Log file: {Path(log_file) if log_file is not None else 'none'}"]
    return "\n".join(lines)


class QtAboutDialog(QDialog):
    """Versions of CellCounter and its libraries, the ONNX Runtime providers, the models and the log file.

    The text is selectable; "Copy" puts all of it on the clipboard (for a bug report).
    """

    def __init__(self, log_file: str | os.PathLike[str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About CellCounter")
        self.setObjectName("about_dialog")
        heading = QLabel(f"<b>CellCounter {__version__}</b><br>Count fluorescently stained cells and nuclei "
                         "in microscopy images.", wordWrap=True)
        self._text = QPlainTextEdit(objectName="about_text", readOnly=True)
        self._text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self._text.setFont(font)
        self._text.setPlainText(about_text(log_file))
        self._text.setMinimumSize(620, 300)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setToolTip("Copy this information to the clipboard")
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self._text, 1)
        layout.addWidget(buttons)

    def text(self) -> str:
        """The information shown."""
        return self._text.toPlainText()

    def copy_to_clipboard(self) -> str:
        """Copy the information to the clipboard and return it."""
        text = self.text()
        QGuiApplication.clipboard().setText(text)
        return text
