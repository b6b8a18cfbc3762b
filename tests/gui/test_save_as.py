"""Save project as: the project takes the new folder's name, and an untitled one moves there."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog
from window_helpers import close_window, drop, make_images, open_window, wait_counted

from cellcounter_app.export import read_workbook
from cellcounter_app.gui.untitled import projects_dir
from cellcounter_app.project import load_project


def test_save_as_renames_an_untitled_project_and_moves_it(qtbot, tmp_path, monkeypatch):
    make_images(tmp_path / "images", counts=(3, 5))
    window = open_window(qtbot, default_model="classical")
    window.session.new_project()
    untitled = window.session.project.folder
    assert untitled.parent == projects_dir() and untitled.name.startswith("Untitled-")
    assert window.windowTitle().startswith("Untitled-")
    drop(window, [tmp_path / "images"])
    wait_counted(qtbot, window, 2)

    target = tmp_path / "Experiment 7"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), ""))
    window.actions.save_project_as()

    project = window.session.project
    assert project.folder == target and project.name == "Experiment 7"
    assert window.windowTitle().startswith("Experiment 7")
    assert "Untitled" not in window.windowTitle()
    saved = load_project(target)
    assert saved.name == "Experiment 7" and [e.count for e in saved.images] == [3, 5]
    assert all(saved.detections(e.id) is not None for e in saved.images)
    assert not untitled.exists()
    assert untitled not in window.actions.recent.list()
    assert window.actions.recent.list()[0] == target

    asked = {}

    def export_dialog(parent, title, default, filters):
        asked["default"] = default
        return str(tmp_path / "out.xlsx"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", export_dialog)
    exports = window.actions.exports
    with qtbot.waitSignal(exports.finished, timeout=30_000):
        exports.export_workbook()
    assert asked["default"].endswith("Experiment 7.xlsx")
    info = [str(value) for row in read_workbook(tmp_path / "out.xlsx")["Info"] for value in row.values()]
    assert "Experiment 7" in info and not any("Untitled" in value for value in info)
    close_window(window)


def test_save_as_of_a_named_project_keeps_the_original(qtbot, tmp_path, monkeypatch):
    make_images(tmp_path / "images", counts=(3,))
    window = open_window(qtbot, tmp_path / "Plate A", default_model="classical")
    drop(window, [tmp_path / "images"])
    wait_counted(qtbot, window, 1)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "Plate A copy"), ""))
    window.actions.save_project_as()
    assert window.session.project.name == "Plate A copy"
    assert load_project(tmp_path / "Plate A copy").name == "Plate A copy"
    assert load_project(tmp_path / "Plate A").name == "Plate A"
    close_window(window)
