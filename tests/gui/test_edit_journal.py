"""A correction made in the window is on disk at once: a crash before the autosave does not lose it."""

from __future__ import annotations

import shutil

from PySide6.QtWidgets import QMessageBox
from synthetic_images import grid_centres
from window_helpers import click_image, close_window, drop, make_images, open_window, wait_counted

from cellcounter_app.gui import session as session_module
from cellcounter_app.project import load_project
from cellcounter_app.project.journal import journal_path


def test_a_correction_survives_a_crash_before_the_autosave(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(session_module, "AUTOSAVE_DELAY_S", 25.0)  # no autosave comes to the rescue
    make_images(tmp_path / "images", counts=(5,))
    window = open_window(qtbot, tmp_path / "project", default_model="classical")
    drop(window, [tmp_path / "images"])
    wait_counted(qtbot, window, 1)
    window.actions.save_project()
    image_id = window.session.project.images[0].id
    window.viewer.set_mode("edit")
    click_image(qtbot, window, 140, 110)  # a missed cell
    row, col = grid_centres(5)[0]
    click_image(qtbot, window, col, row)  # a detected cell
    assert window.session.project.image(image_id).corrected_count == 5

    # what a kill -9 now leaves on disk: the folder as it is, nothing more written
    crashed = tmp_path / "crashed"
    shutil.copytree(tmp_path / "project", crashed)
    assert load_project(crashed).image(image_id).corrections.is_empty
    close_window(window)

    told = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text, *a: told.append(text))
    again = open_window(qtbot, default_model="classical")
    assert again.actions.open_project(crashed)
    entry = again.session.project.image(image_id)
    assert entry.corrected_count == 5 and entry.corrected.n_added == 1 and entry.corrected.n_removed == 1
    qtbot.waitUntil(lambda: bool(told))
    assert "recovered" in told[0]
    again.actions.save_project()
    assert not journal_path(crashed).exists()
    assert load_project(crashed).image(image_id).corrected_count == 5
    close_window(again)
