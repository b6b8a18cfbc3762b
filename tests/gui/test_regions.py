"""Counting regions in the window: every number of an image is about the cells inside its regions."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_images import write_png
from window_helpers import click_image, close_window, drop, open_window, wait_counted

from cellcounter_app.export import read_workbook
from cellcounter_app.project import Region

SMALL, BIG = 5, 10
SMALL_CENTRES = ((30, 25), (90, 25), (30, 55), (90, 55))
BIG_CENTRES = ((30, 115), (90, 115), (30, 142), (90, 142))


def two_sizes(path):
    """Small discs on the left half, big ones on the right (classical model)."""
    rows, cols = np.mgrid[:128, :170]
    image = np.full(rows.shape, 10.0) + np.random.default_rng(0).normal(0, 2, rows.shape)
    for radius, centres in ((SMALL, SMALL_CENTRES), (BIG, BIG_CENTRES)):
        for r, c in centres:
            image[(rows - r) ** 2 + (cols - c) ** 2 <= radius**2] = 200
    return write_png(path, np.clip(image, 0, 255).astype(np.uint8))


@pytest.fixture
def counted(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "project", default_model="classical")
    two_sizes(tmp_path / "sizes.png")
    drop(window, [tmp_path / "sizes.png"])
    wait_counted(qtbot, window, 1)
    yield window
    close_window(window)


def _mean_area(window):
    return float(window.summary.size.text().split()[0].replace(",", ""))


def test_mean_size_and_area_fraction_are_those_of_the_cells_in_the_region(qtbot, counted, tmp_path):
    window, project = counted, counted.session.project
    entry = project.images[0]
    assert entry.count == 8
    qtbot.waitUntil(lambda: window.summary.size.text() != "")
    whole = _mean_area(window)
    project.add_region(entry.id, Region(((0, 0), (80, 127)), kind="rectangle"))
    assert entry.corrected_count == 4
    small_area = np.pi * SMALL**2
    qtbot.waitUntil(lambda: _mean_area(window) < whole)
    assert _mean_area(window) == pytest.approx(small_area, rel=0.25)
    column = window.results.table_model.header(5)
    assert column.startswith("mean area")
    assert float(window.results.table_model.text(0, 5)) == pytest.approx(small_area, rel=0.25)

    out = tmp_path / "regions.xlsx"
    with qtbot.waitSignal(window.actions.exports.finished, timeout=30_000):
        window.actions.exports.export_workbook(out)
    row = read_workbook(out)["Images"][0]
    assert row["count"] == 4 and row["regions"] == 1
    assert row["mean_area_px"] == pytest.approx(_mean_area(window), abs=0.6)
    region_pixels = 81 * 128
    assert row["area_fraction"] == pytest.approx(4 * small_area / region_pixels, rel=0.25)


def test_a_cell_added_outside_the_region_stays_visible_and_can_be_clicked_away(qtbot, counted):
    window, project = counted, counted.session.project
    entry = project.images[0]
    window.viewer.set_mode("edit")
    click_image(qtbot, window, 40, 110)  # empty background: a missed cell
    assert entry.corrected_count == 9
    project.add_region(entry.id, Region(((0, 0), (80, 60)), kind="rectangle"))
    assert entry.corrected_count == 2  # the added cell lies outside the region
    qtbot.waitUntil(lambda: window.viewer.overlay_pixmap_stats()["n_added_outside"] == 1)
    assert window.viewer.overlay_pixmap_stats()["n_added"] == 0
    click_image(qtbot, window, 40, 110)
    assert entry.corrections.added == ()
    qtbot.waitUntil(lambda: window.viewer.overlay_pixmap_stats()["n_added_outside"] == 0)
