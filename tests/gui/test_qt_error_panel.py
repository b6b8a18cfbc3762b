"""The error panel shows warnings logged from worker threads, their details, and clears."""

from __future__ import annotations

import logging
import threading

import pytest

pytest.importorskip("PySide6")

from PySide6.QtWidgets import QApplication  # noqa: E402

from cellcounter_app.gui.error_log import ErrorLog, ErrorLogHandler  # noqa: E402
from cellcounter_app.gui.qt_error_panel import QtErrorPanel  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def error_log():
    """An ErrorLog fed by the root logger for the length of a test."""
    log = ErrorLog()
    handler = ErrorLogHandler(log)
    root = logging.getLogger()
    root.addHandler(handler)
    yield log
    root.removeHandler(handler)


@pytest.fixture
def panel(qtbot, error_log, tmp_path):
    widget = QtErrorPanel(error_log, tmp_path / "cellcounter.log")
    qtbot.addWidget(widget)
    widget.show()
    return widget


def fail_in_thread(name: str) -> None:
    def work():
        try:
            raise OSError("disk full")
        except OSError:
            logging.getLogger("cellcounter_app.worker").exception("cannot write %s", name)

    thread = threading.Thread(target=work, name="count-worker")
    thread.start()
    thread.join()


def test_a_warning_from_a_worker_thread_reaches_the_panel(qtbot, panel):
    counts = []
    panel.error_count_changed.connect(counts.append)
    fail_in_thread("a01.xlsx")
    qtbot.waitUntil(lambda: panel.count == 1, timeout=2000)
    assert counts == [1]
    panel.select(0)
    details = panel.details_text()
    assert "cannot write a01.xlsx" in details and "OSError: disk full" in details and "Traceback" in details
    logging.getLogger("cellcounter_app.pipeline").warning("b02.tif: zero-byte file")
    qtbot.waitUntil(lambda: panel.count == 2, timeout=2000)
    assert counts == [1, 2]
    assert "b02.tif: zero-byte file" in panel.copy_to_clipboard()
    assert QApplication.clipboard().text().count("\n\n") == 1


def test_clear_empties_the_log_and_the_panel(qtbot, panel, error_log):
    error_log.record("export", "cannot write out.xlsx")
    qtbot.waitUntil(lambda: panel.count == 1, timeout=2000)
    with qtbot.waitSignal(panel.error_count_changed) as blocker:
        panel.clear_button.click()
    assert blocker.args == [0] and len(error_log) == 0 and panel.details_text() == ""


def test_records_before_the_panel_and_a_full_log_are_shown(qtbot, tmp_path):
    log = ErrorLog(max_records=3)
    log.record("batch", "early")
    panel = QtErrorPanel(log)
    qtbot.addWidget(panel)
    assert panel.count == 1 and not panel.open_log_button.isEnabled()
    for i in range(4):
        log.record("batch", f"late {i}")
    qtbot.waitUntil(lambda: panel.count == 3, timeout=2000)
    panel.select(0)
    assert "late 1" in panel.details_text()
    panel.select(2)
    assert "late 3" in panel.details_text()


def test_open_log_file_says_when_there_is_none_yet(panel, tmp_path):
    assert panel.open_log_button.isEnabled() and panel.log_file == tmp_path / "cellcounter.log"
    assert panel.open_log_file() is False
    assert "does not exist yet" in panel.details_text()


def test_a_deleted_panel_stops_listening(qtbot):
    log = ErrorLog()
    panel = QtErrorPanel(log)
    panel.deleteLater()
    qtbot.waitUntil(lambda: not log._subscribers, timeout=2000)
    log.record("batch", "after the panel")
    assert len(log) == 1
