"""Marker positivity in the window: set up, drag the threshold, see counts and overlay follow, export."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_images import write_tiff
from synthetic_markers import f1_score, make_marker_image
from window_helpers import close_window, open_window, wait_counted

from cellcounter_app.export import read_workbook


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
