"""The About dialog lists versions, providers, the installed models and the log file."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pyqtgraph")

import onnxruntime  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from cellcounter_app import __version__  # noqa: E402
from cellcounter_app.gui.qt_about import QtAboutDialog  # noqa: E402
from cellcounter_app.inference.registry import bundled_models_dir, read_entry  # noqa: E402

pytestmark = pytest.mark.gui


def test_lists_versions_providers_models_and_log_file(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("CELLCOUNTER_MODELS_DIR", str(tmp_path / "no-models"))
    dialog = QtAboutDialog(tmp_path / "logs" / "cellcounter.log")
    qtbot.addWidget(dialog)
    text = dialog.text()
    assert f"CellCounter {__version__}" in text and f"numpy {np.__version__}" in text
    assert f"ONNX Runtime {onnxruntime.__version__}" in text and "CPUExecutionProvider" in text
    assert "PySide6" in text and "pyqtgraph" in text and "Python 3." in text
    assert "classical" in text and "built in" in text
    nuclei = read_entry(bundled_models_dir() / "nuclei.onnx", "bundled")
    assert f"nuclei {nuclei.version} (bundled): {nuclei.path}" in text
    assert f"Log file: {tmp_path / 'logs' / 'cellcounter.log'}" in text
    dialog.copy_button.click()
    assert QApplication.clipboard().text() == text
