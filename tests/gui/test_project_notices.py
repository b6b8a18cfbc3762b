"""What happened while a project was opened (a damaged file kept aside) is told to the user."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox
from window_helpers import close_window, drop, make_images, open_window, wait_counted

from cellcounter_app.project import PROJECT_FILE


def test_opening_the_backup_of_a_damaged_project_says_where_the_damaged_file_is(qtbot, tmp_path, monkeypatch):
    make_images(tmp_path / "images", counts=(3,))
    window = open_window(qtbot, tmp_path / "project", default_model="classical")
    drop(window, [tmp_path / "images"])
    wait_counted(qtbot, window, 1)
    window.actions.save_project()
    close_window(window)
    (tmp_path / "project" / PROJECT_FILE).write_text('{"schema_version": 1, "images": [ damaged')

    told = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text, *a: told.append((title, text)))
    again = open_window(qtbot, default_model="classical")
    assert again.actions.open_project(tmp_path / "project")
    qtbot.waitUntil(lambda: bool(told))
    title, text = told[0]
    kept = sorted((tmp_path / "project").glob(PROJECT_FILE + ".damaged-*"))
    assert len(kept) == 1 and str(kept[0]) in text and "backup" in text
    assert "damaged" in " ".join(r.as_text() for r in again.errors.error_log.records)
    qtbot.wait(50)
    assert len(told) == 1  # said once
    close_window(again)
