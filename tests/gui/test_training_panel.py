"""Training from the window: progress, cancel, start again, finish; the new model is offered and counts."""

from __future__ import annotations

import pytest
from window_helpers import close_window, open_window

pytest.importorskip("torch")

from synthetic_images import disc_image, grid_centres, write_png  # noqa: E402

SHAPE = (112, 112)
FAST = dict(epochs=1, width=4, crop_size=64, device="cpu", minutes=0.0)


@pytest.fixture
def window(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "project", default_model="classical")
    paths = []
    for i in range(3):
        image, _ = disc_image(shape=SHAPE, centres=grid_centres(9, shape=SHAPE, spacing=30), radius=7, seed=i)
        paths.append(write_png(tmp_path / "images" / f"a{i}.png", image))
    window.actions.add_paths(paths)
    qtbot.waitUntil(lambda: not window.session.busy
                    and all(e.state == "counted" for e in window.session.project.images), timeout=30_000)
    for entry in window.session.project.images:
        window.session.project.add_point(entry.id, (100.0, 100.0))
    yield window
    close_window(window)


def test_train_cancel_train_again_and_use_the_new_model(qtbot, window):
    panel = window.training
    panel.refresh()
    assert panel.images.rowCount() == 3 and panel.images.item(0, 1).text() == "corrected"

    reports = []
    with qtbot.waitSignal(panel.started, timeout=30_000):
        assert panel.start(**{**FAST, "epochs": 500})
    panel.worker.yielded.connect(lambda report: reports.append(report.report_type))
    qtbot.waitUntil(lambda: "StepReport" in reports, timeout=60_000)
    with qtbot.waitSignal(panel.worker.finished, timeout=120_000):
        panel.cancel()
    qtbot.waitUntil(lambda: panel.worker is None)
    assert panel.result is not None and panel.result.stop == "cancelled"

    with qtbot.waitSignal(panel.model_trained, timeout=120_000) as blocker:
        assert panel.start(**FAST)
    name = blocker.args[0]
    qtbot.waitUntil(lambda: panel.worker is None)
    assert panel.result.ok and panel.result.model_path.is_file()
    assert window.controls.model_box.findData(name) >= 0
    panel.use_model()
    project = window.session.project
    assert project.defaults.model == name
    qtbot.waitUntil(lambda: not window.session.busy and all(e.model is not None and e.model.name == name
                                                            and e.state == "counted" for e in project.images),
                    timeout=60_000)


def test_too_few_annotations_are_refused_before_anything_starts(qtbot, window):
    project = window.session.project
    for entry in project.images:
        project.clear_corrections(entry.id)
    panel = window.training
    panel.refresh()
    assert panel.images.rowCount() == 0
    assert not panel.start(**FAST) and panel.worker is None
    assert panel.status.text().startswith("Training needs at least 10 annotated cells")


def test_the_result_says_when_the_new_model_is_not_better_than_its_base():
    from types import SimpleNamespace

    from cellcounter_app.gui.qt_training_panel import QtTrainingPanel

    result = SimpleNamespace(ok=True, message="", model_name="nuclei-v2", steps=40, minutes=3.5, device="cpu",
                             stop="time budget", f1=0.924, base_f1=0.929, reference="nuclei")
    text = QtTrainingPanel._result_text(result)
    assert "0.924 (new) vs 0.929 (nuclei)" in text and "Not better than nuclei" in text
    assert "Not better" not in QtTrainingPanel._result_text(SimpleNamespace(**{**vars(result), "f1": 0.95}))
