"""The Stain panel: every object's stain of the current image, and a minimum-stain line that recounts."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from synthetic_images import MOSTLY_FAINT, stained_disc_labels, stained_discs
from window_helpers import close_window, counted_alone, open_window, wait_counted

from cellcounter_app.gui.jobs import PreviewRequest, preview, preview_with_stain, stain_candidates
from cellcounter_app.gui import stain_finder
from cellcounter_app.gui.qt_stain_panel import FLOOR, line_position, line_value
from cellcounter_app.io import read_image
from cellcounter_app.project import load_project

pytestmark = pytest.mark.gui


def mostly_faint(path: Path) -> Path:
    """16 discs on a background of 20 with noise 4: 4 clearly stained (stain ~12 x noise), 12 faint (~5.5)."""
    return stained_discs(path, MOSTLY_FAINT)


def test_a_minimum_stain_keeps_exactly_the_objects_at_or_above_it(tmp_path):
    path = mostly_faint(tmp_path / "images" / "faint.png")
    project, image_id, models, first = counted_alone(tmp_path / "proj", path)
    image = read_image(path)
    request = PreviewRequest(image_id, first, image, "classical", project.user_params(image_id))
    every = stain_candidates(request, models)
    assert every.size == 16
    for floor in (0.0, 3.0, 8.0, 12.2, 50.0):
        project.set_params({"min_stain": floor})
        counted = preview(PreviewRequest(image_id, first, image, "classical", project.user_params(image_id)), models)
        assert counted.summary["count"] == int(np.sum(every >= floor)), floor


def test_a_recount_gives_the_stain_of_every_object_in_the_same_pass(tmp_path):
    path = mostly_faint(tmp_path / "images" / "faint.png")
    project, image_id, models, first = counted_alone(tmp_path / "proj", path)
    project.set_params({"min_stain": 8.0})
    request = PreviewRequest(image_id, first, image=read_image(path), model="classical",
                             overrides=project.user_params(image_id))
    counted, every = preview_with_stain(request, models)
    assert counted.summary["count"] == 4 and every.size == 16
    assert sorted(counted.cells["stain"]) == sorted(every[every >= 8.0])  # each kept cell keeps its value
    assert np.array_equal(np.sort(every), np.sort(stain_candidates(request, models)))


def test_the_line_reads_as_min_stain():
    assert line_value(line_position(3.0)) == 3.0
    assert line_value(line_position(0.0)) == 0.0 and line_position(0.0) == math.log10(FLOOR)
    assert line_value(line_position(250.0)) == 250.0


@pytest.fixture
def window(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "project", default_model="classical")
    yield window
    close_window(window)


def test_dragging_the_line_sets_min_stain_and_recounts(qtbot, window, tmp_path):
    mostly_faint(tmp_path / "images" / "faint.png")
    window.actions.add_paths([tmp_path / "images"])
    wait_counted(qtbot, window, 1)
    session, panel = window.session, window.stain
    entry = session.project.images[0]
    assert entry.count == 16
    window.stain_dock.raise_()
    qtbot.waitUntil(lambda: panel.counts.text().startswith("16 of 16 objects counted"))
    assert panel.line.isVisible()
    assert line_value(panel.line.value()) == pytest.approx(panel.min_stain(), abs=0.01)

    with qtbot.waitSignal(panel.min_stain_moved):
        panel.line.setValue(line_position(10.0))  # what a drag does, then the release
        assert panel.counts.text().startswith("4 of 16 objects counted")  # at once, before the recount
        panel.line.sigPositionChangeFinished.emit(panel.line)
    assert session.project.defaults.params["min_stain"] == 10.0
    qtbot.waitUntil(lambda: entry.count == 4, timeout=30_000)
    assert window.controls.controls["min_stain"].value() == pytest.approx(10.0)
    qtbot.waitUntil(lambda: window.summary.count.text().startswith("4"))
    qtbot.waitUntil(lambda: panel.counts.text()
                    == "4 of 16 objects counted (stain ≥ 10 × noise); 12 fainter ones are not.")
    assert panel.kept.yData.sum() == 4 and panel.dropped.yData.sum() == 12

    with qtbot.waitSignal(panel.min_stain_moved):
        panel.line.setValue(line_position(0.0))  # the left end: every object counts again
        panel.line.sigPositionChangeFinished.emit(panel.line)
    qtbot.waitUntil(lambda: entry.count == 16, timeout=30_000)
    assert session.project.defaults.params["min_stain"] == 0.0

    session.save()
    assert load_project(session.project.folder).defaults.params["min_stain"] == 0.0


def test_a_slider_move_with_the_panel_showing_measures_the_stain_once(qtbot, window, tmp_path, monkeypatch):
    mostly_faint(tmp_path / "images" / "faint.png")
    window.actions.add_paths([tmp_path / "images"])
    wait_counted(qtbot, window, 1)
    session, panel = window.session, window.stain
    window.stain_dock.raise_()
    qtbot.waitUntil(lambda: panel.counts.text().startswith("16 of 16 objects counted"))
    separate: list[object] = []
    monkeypatch.setattr(stain_finder, "stain_candidates", lambda *a: separate.append(a) or np.empty(0))
    with qtbot.waitSignal(session.preview_finished, timeout=30_000):
        window.controls.controls["threshold"].slider.setValue(60)
    qtbot.waitUntil(lambda: session._preview is None)
    qtbot.wait(50)
    assert separate == []  # the recount's own values fill the histogram
    assert panel._every and panel._values.size >= session.project.images[0].count


def test_the_line_follows_the_mouse(qtbot, window, tmp_path):
    mostly_faint(tmp_path / "images" / "faint.png")
    window.actions.add_paths([tmp_path / "images"])
    wait_counted(qtbot, window, 1)
    panel, entry = window.stain, window.session.project.images[0]
    window.stain_dock.raise_()
    qtbot.waitUntil(lambda: panel.counts.text().startswith("16 of 16 objects counted"))
    view = panel.plot.getPlotItem().getViewBox()

    def at(value: float) -> QPoint:
        y = float(np.mean(view.viewRange()[1]))
        return panel.plot.mapFromScene(view.mapViewToScene(QPointF(line_position(value), y)))

    widget = panel.plot.viewport()
    qtbot.waitExposed(widget)
    seen: list[QPoint] = []

    def settled() -> bool:  # the raised dock lays the plot out over a few event-loop passes
        seen.append(at(panel.min_stain()))
        return len(seen) > 3 and seen[-1] == seen[-2] == seen[-3]

    qtbot.waitUntil(settled)
    start, end = at(panel.min_stain()), at(10.0)
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    for t in (0.25, 0.5, 0.75, 1.0):
        qtbot.wait(20)
        qtbot.mouseMove(widget, QPoint(round(start.x() + t * (end.x() - start.x())), start.y()))
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=end)
    # the value is written through the throttled path: wait for it rather than for a fixed time
    qtbot.waitUntil(lambda: 7.0 < window.session.project.defaults.params.get("min_stain", 0.0), timeout=10_000)
    moved = window.session.project.defaults.params["min_stain"]
    assert 7.0 < moved < 12.0  # where the mouse let go, to a pixel
    qtbot.waitUntil(lambda: entry.count == 4, timeout=30_000)


def test_fit_to_my_annotations_draws_the_line_where_the_marked_cells_put_it(qtbot, window, tmp_path):
    from cellcounter_app.training.annotation_store import import_annotation

    mostly_faint(tmp_path / "images" / "faint.png")
    window.actions.add_paths([tmp_path / "images"])
    wait_counted(qtbot, window, 1)
    session, panel = window.session, window.stain
    entry = session.project.images[0]
    assert entry.count == 16
    window.stain_dock.raise_()
    with qtbot.waitSignal(panel.fit_done, timeout=10_000) as said:
        panel.fit.click()  # nothing annotated yet
    assert "annotate a few images first" in said.args[0] and panel.fit_note.isVisible()
    # this lab marks only the four clearly stained discs (a label image, as imported from another tool)
    import_annotation(session.project, entry.id, stained_disc_labels(tmp_path / "faint_labels.tif", range(4)))
    with qtbot.waitSignal(panel.fit_done, timeout=30_000) as said:
        panel.fit.click()
    assert "fits the 1 annotated image (4 cells) best: F1 1.00" in said.args[0]
    floor = session.project.defaults.params["min_stain"]
    assert 5.5 < floor < 12.0  # between the faint discs (~5.5 x noise) and the stained ones (~12)
    qtbot.waitUntil(lambda: entry.count == 4, timeout=30_000)
    assert window.controls.controls["min_stain"].value() == pytest.approx(floor)
    assert panel.fit.isEnabled() and panel.fit.text() == "Fit to my annotations"
    session.save()
    assert load_project(session.project.folder).defaults.params["min_stain"] == floor


def test_outlined_annotations_set_the_cell_diameter_in_the_window(qtbot, window, tmp_path):
    from synthetic_images import big_textured_somata

    from cellcounter_app.training.annotation_store import import_annotation

    big_textured_somata(tmp_path / "images" / "big.tif", tmp_path / "big_labels.tif")
    window.actions.add_paths([tmp_path / "images"])
    wait_counted(qtbot, window, 1)
    session, panel = window.session, window.stain
    entry = session.project.images[0]
    assert entry.count > 9  # at the model's own size the somata break into pieces
    import_annotation(session.project, entry.id, tmp_path / "big_labels.tif")
    with qtbot.waitSignal(panel.fit_done, timeout=30_000) as said:
        panel.fit.click()
    assert said.args[0].startswith("Cell diameter ")
    size = session.project.defaults.size
    assert size["unit"] == "px" and 60 < size["value"] < 75
    qtbot.waitUntil(lambda: window.controls.diameter.text() == f"{size['value']:g}px", timeout=10_000)
    window.actions.count_all.trigger()  # the new size made the image stale: Count all recounts it
    qtbot.waitUntil(lambda: not session.busy and entry.state == "counted", timeout=60_000)
    assert entry.count == 9
