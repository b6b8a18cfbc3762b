"""`cellcounter gui --self-test`: the installers' check that the frozen window can count."""

from __future__ import annotations

import logging

from cellcounter_app.cli import main
from cellcounter_app.gui import resources


def test_self_test_counts_a_sample_through_the_real_worker(qtbot, capsys):
    assert main(["gui", "--self-test"]) == 0
    out = capsys.readouterr().out
    assert not [h for h in logging.getLogger().handlers if type(h).__name__ == "RotatingFileHandler"]
    assert out.startswith("self-test: OK: dsb2018-") and " cells with nuclei " in out


def test_self_test_fails_with_the_reason_when_there_is_no_sample(qtbot, capsys, monkeypatch):
    monkeypatch.setattr(resources, "sample_images", lambda: [])
    assert main(["gui", "--self-test"]) == 1
    assert "self-test: FAILED: no sample images bundled" in capsys.readouterr().err


def test_the_window_reopens_the_last_project_and_falls_back_when_it_is_gone(qtbot, tmp_path):
    from window_helpers import close_window, open_window

    from cellcounter_app.gui.app import open_start_project

    first = open_window(qtbot, tmp_path / "last project")
    first.actions.remember_state()
    close_window(first)
    window = open_window(qtbot)
    assert open_start_project(window, None)
    assert window.session.project.folder == tmp_path / "last project"
    close_window(window)
    (tmp_path / "last project" / "project.cellcounter.json").write_text("{ damaged")
    (tmp_path / "last project" / "project.cellcounter.json.bak").unlink(missing_ok=True)
    window = open_window(qtbot)
    assert open_start_project(window, None)  # an untitled project, and a note that says why
    assert window.session.project is not None and window.session.project.folder != tmp_path / "last project"
    note = window.start_note.text()
    assert str(tmp_path / "last project") in note and "could not be reopened" in note
    assert "A new untitled project is open" in note and window.start_note.isVisible()
    assert (tmp_path / "last project" / "project.cellcounter.json").read_text() == "{ damaged"
    close_window(window)


def test_a_screenshot_is_taken_at_the_size_asked_for(qtbot, tmp_path):
    from PIL import Image
    from PySide6.QtWidgets import QApplication
    from synthetic_images import disc_image, grid_centres, write_png
    from window_helpers import close_window, open_window

    from cellcounter_app.gui.app import screenshot

    image, _ = disc_image(centres=grid_centres(6))
    shot = tmp_path / "window.png"
    window = open_window(qtbot, default_model="classical")
    assert screenshot(QApplication.instance(), window, shot, (1366, 768), [write_png(tmp_path / "img.png", image)]) == 0
    with Image.open(shot) as picture:
        assert picture.size == (1366, 768)
    close_window(window)


def test_a_screenshot_size_that_is_not_width_x_height_is_a_usage_error(capsys):
    assert main(["gui", "--screenshot", "x.png", "--screenshot-size", "big"]) == 2
    assert "--screenshot-size must be WIDTHxHEIGHT" in capsys.readouterr().err
    assert main(["gui", "--screenshot", "x.png", "--screenshot-size", "100x100"]) == 2
    assert "between 640x480 and 7680x4320" in capsys.readouterr().err
