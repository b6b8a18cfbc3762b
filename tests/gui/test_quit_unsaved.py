"""Quitting when the project cannot be saved asks: save elsewhere, discard, or stay."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox
from window_helpers import drop, make_images, open_window, wait_counted

from cellcounter_app.errors import CellCounterError
from cellcounter_app.gui import background_save
from cellcounter_app.gui import session as session_module
from cellcounter_app.project import load_project
from cellcounter_app.project.journal import journal_path


@pytest.fixture
def full_disk(monkeypatch):
    """Call it and every save into the project's own folder fails as on a full disk; saving elsewhere works."""
    real = session_module.save_project

    def save_project(project, path=None):
        if path is None:
            raise CellCounterError(f"cannot write {project.folder}: No space left on device")
        return real(project, path)

    def write_plan(plan):
        raise CellCounterError(f"cannot write {plan.target}: No space left on device")

    def fill():
        monkeypatch.setattr(session_module, "save_project", save_project)
        monkeypatch.setattr(background_save, "write_plan", write_plan)

    return fill


@pytest.fixture
def answers(monkeypatch):
    """The buttons the user clicks in the next message boxes, by their text; the texts shown are kept."""
    clicks: list[str] = []
    shown: list[str] = []

    def exec_(box):
        shown.append(box.text())
        wanted = clicks.pop(0)
        next(b for b in box.buttons() if b.text().replace("&", "") == wanted).click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    return clicks, shown


def counted_window(qtbot, tmp_path, full_disk=None):
    make_images(tmp_path / "images", counts=(3, 5))
    window = open_window(qtbot, tmp_path / "project", default_model="classical")
    if full_disk is not None:
        full_disk()
    drop(window, [tmp_path / "images"])
    wait_counted(qtbot, window, 2)
    return window


def test_cancel_keeps_the_window_and_discard_quits_without_saving(qtbot, tmp_path, full_disk, answers):
    window = counted_window(qtbot, tmp_path, full_disk)
    clicks, shown = answers
    clicks.append("Cancel")
    assert not window.close()
    assert window.isVisible() and window.session.project is not None
    assert "No space left on device" in shown[0]
    assert [e.count for e in window.session.project.images] == [3, 5]

    window.session.project.add_point(window.session.project.images[0].id, (140, 110))
    assert journal_path(tmp_path / "project").is_file()
    clicks.append("Discard changes")
    assert window.close()
    assert window.session.project is None
    assert load_project(tmp_path / "project").images == []  # the last save, from before the images
    assert not journal_path(tmp_path / "project").exists()  # the discarded correction does not come back


def test_save_elsewhere_keeps_the_work(qtbot, tmp_path, full_disk, answers, monkeypatch):
    window = counted_window(qtbot, tmp_path, full_disk)
    clicks, shown = answers
    rescue = tmp_path / "rescued"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(rescue), ""))
    clicks.append("Save elsewhere…")
    assert window.close()
    assert len(shown) == 1
    assert [e.count for e in load_project(rescue).images] == [3, 5]


def test_quitting_with_everything_saved_asks_nothing(qtbot, tmp_path, answers):
    window = counted_window(qtbot, tmp_path)
    assert window.close()
    assert answers[1] == []
    assert [e.count for e in load_project(tmp_path / "project").images] == [3, 5]
