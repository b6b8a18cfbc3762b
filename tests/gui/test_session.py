"""The session: autosave in the background, nothing lost on close, live recount of the current image."""

from __future__ import annotations

import json

from window_helpers import make_images

from cellcounter_app.gui import background_save
from cellcounter_app.gui import session as session_module
from cellcounter_app.gui.session import Session
from cellcounter_app.gui.settings import UserSettings
from cellcounter_app.project import PROJECT_FILE, load_project


def test_autosave_writes_the_project_and_its_label_images_in_the_background(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(session_module, "AUTOSAVE_DELAY_S", 0.05)
    make_images(tmp_path / "images")
    session = Session(UserSettings(default_model="classical"))
    session.new_project(tmp_path / "project")
    session.add_paths([tmp_path / "images"])
    qtbot.waitUntil(lambda: not session.busy and all(e.state == "counted" for e in session.project.images))
    qtbot.waitUntil(lambda: not session.project.dirty, timeout=10_000)
    data = json.loads((tmp_path / "project" / PROJECT_FILE).read_text())
    files = [image["labels_file"] for image in data["images"]]
    assert len(files) == 3 and all((tmp_path / "project" / f).is_file() for f in files)
    assert [e.count for e in load_project(tmp_path / "project").images] == [3, 5, 4]
    session.shutdown()


def test_a_failed_background_save_keeps_the_labels_pending(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(session_module, "AUTOSAVE_DELAY_S", 0.05)
    failures = []

    def failing_write(plan):
        failures.append(plan)
        raise OSError("disk full")

    monkeypatch.setattr(background_save, "write_plan", failing_write)
    make_images(tmp_path / "images", counts=(2,))
    session = Session(UserSettings(default_model="classical"))
    session.new_project(tmp_path / "project")
    session.add_paths([tmp_path / "images"])
    qtbot.waitUntil(lambda: bool(failures) and not session._saver.running, timeout=10_000)
    assert session.project.dirty and session.project.pending_labels()
    monkeypatch.undo()
    session.shutdown()
    reopened = load_project(tmp_path / "project")
    assert reopened.images[0].count == 2 and reopened.detections(reopened.images[0].id) is not None


def test_changing_a_parameter_recounts_the_current_image_from_its_cached_map(qtbot, tmp_path):
    make_images(tmp_path / "images", counts=(4,))
    session = Session(UserSettings(default_model="classical"))
    session.new_project(tmp_path / "project")
    session.add_paths([tmp_path / "images"])
    qtbot.waitUntil(lambda: not session.busy and session.project.images[0].state == "counted")
    with qtbot.waitSignal(session.preview_finished, timeout=10_000):
        session.project.set_params({"min_size": 100_000})
    assert session.project.images[0].count == 0 and session.project.images[0].state == "counted"
    session.shutdown()
