"""Marker positivity in the window: set up, drag the threshold, see counts and overlay follow, export."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_images import write_tiff
from synthetic_markers import f1_score, make_marker_image
from PySide6.QtCore import Qt
from window_helpers import close_window, open_window, wait_counted

from cellcounter_app.export import read_workbook
from cellcounter_app.gui.images_table_model import COLUMNS


@pytest.fixture
def window(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "project", default_model="classical")
    yield window
    close_window(window)


def set_up_markers(qtbot, window, tmp_path, seeds=(0, 1)):
    truths = {}
    for seed in seeds:
        made = make_marker_image(seed)
        write_tiff(tmp_path / "images" / f"well{seed}.tif", np.moveaxis(made.image, -1, 0), metadata={"axes": "CYX"})
        truths[f"well{seed}.tif"] = made
    window.actions.add_paths([tmp_path / "images"])
    wait_counted(qtbot, window, len(seeds))
    panel = window.markers
    panel.refresh()
    panel.set_detect_channel(0)
    assert panel.add_marker("Cy3", 1)
    window.session.count_pending()
    qtbot.waitUntil(lambda: not window.session.busy
                    and all(e.state == "counted" for e in window.session.project.images), timeout=30_000)
    return panel, truths


def test_automatic_positivity_then_a_dragged_threshold_recolours_and_recounts(qtbot, window, tmp_path):
    panel, truths = set_up_markers(qtbot, window, tmp_path)
    session = window.session
    entry = session.project.image(session.current)
    result = session.result(session.current)
    truth = truths[entry.name]
    found = np.asarray(result.cells["Cy3_positive"], bool)
    real = truth.truth(np.asarray([truth.labels[int(round(y)), int(round(x))]
                                   for x, y in zip(result.cells["x"], result.cells["y"])]))
    assert f1_score(found, real) >= 0.95
    qtbot.waitUntil(lambda: window.viewer.overlay_pixmap_stats()["n_positive"] == int(found.sum()))
    assert panel.counts.text().startswith(f"Cy3+ {int(found.sum())} of {found.size} cells")

    positive_before = entry.summary["Cy3_positive"]
    with qtbot.waitSignal(panel.threshold_moved):
        panel.line.setValue(float(np.max(result.cells["Cy3_corrected"])) + 1.0)  # above every cell
    assert entry.summary["Cy3_positive"] == 0 < positive_before
    qtbot.waitUntil(lambda: window.viewer.overlay_pixmap_stats()["n_positive"] == 0)
    assert panel.counts.text().startswith(f"Cy3+ 0 of {found.size} cells")
    assert window.results.table_model.text(0, 6).startswith("Cy3+ ")


def test_the_workbook_has_positivity_columns(qtbot, window, tmp_path):
    set_up_markers(qtbot, window, tmp_path, seeds=(2,))
    exports = window.actions.exports
    with qtbot.waitSignal(exports.finished, timeout=30_000):
        exports.export_workbook(tmp_path / "markers.xlsx")
    book = read_workbook(tmp_path / "markers.xlsx")
    [image] = book["Images"]
    cells = book["Cells"]
    assert image["Cy3_positive"] == sum(1 for c in cells if c["Cy3_positive"])
    assert image["Cy3_percent_positive"] == pytest.approx(100 * image["Cy3_positive"] / len(cells), abs=0.01)


def test_a_marker_applies_to_the_images_that_have_its_channel(qtbot, window, tmp_path):
    """RGB-like and one-channel files in one project: the one-channel image is counted as before, with a note."""
    made = make_marker_image(3)
    write_tiff(tmp_path / "images" / "stack.tif", np.moveaxis(made.image, -1, 0), metadata={"axes": "CYX"})
    write_tiff(tmp_path / "images" / "grey.tif", made.image[..., 0])
    window.actions.add_paths([tmp_path / "images"])
    wait_counted(qtbot, window, 2)
    project = window.session.project
    grey = next(e for e in project.images if e.name == "grey.tif")
    stack = next(e for e in project.images if e.name == "stack.tif")
    before = grey.count
    window.session.set_current(stack.id)
    panel = window.markers
    panel.refresh()
    panel.set_detect_channel(0)
    assert "2 counted images are marked changed" in panel.notice.text()
    assert panel.add_marker("Green", 1)
    window.session.count_pending()
    qtbot.waitUntil(lambda: not window.session.busy
                    and all(e.state in ("counted", "error") for e in project.images), timeout=30_000)
    assert grey.state == "counted" and grey.count == before
    assert grey.params_used["note"].startswith("no Green channel")
    assert stack.state == "counted" and "Green_positive" in stack.summary
    row = window.results.table_model.row_of(grey.id)
    assert window.results.table_model.data(
        window.results.table_model.index(row, COLUMNS.index("status")), Qt.ItemDataRole.ToolTipRole
    ).startswith("no Green channel")
    window.session.set_current(grey.id)
    panel.refresh()
    assert panel.counts.text().startswith("This image is counted without Green: no Green channel")
    window.summary.refresh()
    assert "no Green channel" in window.summary.detail.text()


def test_markers_on_a_one_channel_image_say_what_they_need(qtbot, window, tmp_path):
    write_tiff(tmp_path / "grey.tif", make_marker_image(0).image[..., 0])
    window.actions.add_paths([tmp_path / "grey.tif"])
    wait_counted(qtbot, window, 1)
    panel = window.markers
    panel.refresh()
    assert panel.new_channel.count() == 0
    assert not panel.add_marker("Green")
    assert "several channels" in panel.counts.text()
