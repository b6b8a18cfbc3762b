"""The workbook of images counted in the window reads like the command line's."""

from __future__ import annotations

import pytest
from window_helpers import click_image, close_window, drop, make_images, open_window, wait_counted

from cellcounter_app.export import read_workbook


@pytest.fixture
def window(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "project", default_model="classical")
    yield window
    close_window(window)


def _export(qtbot, window, out):
    with qtbot.waitSignal(window.actions.exports.finished, timeout=30_000):
        window.actions.exports.export_workbook(out)
    return read_workbook(out)


def test_seconds_diameter_and_manual_columns_are_filled(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "sized", default_model="classical", diameter="20px")
    make_images(tmp_path / "images", counts=(3, 5))
    drop(window, [tmp_path / "images"])
    wait_counted(qtbot, window, 2)
    book = _export(qtbot, window, tmp_path / "plain.xlsx")
    close_window(window)
    for row in book["Images"]:
        assert row["seconds"] > 0
        assert row["diameter"] == "20.0 px, set in px" and row["diameter_px"] == 20
    assert "manual" in book["Cells"][0] and all(cell["manual"] is False for cell in book["Cells"])


def test_the_histogram_counts_the_cells_added_by_hand(qtbot, window, tmp_path):
    make_images(tmp_path / "images", counts=(5,))
    drop(window, [tmp_path / "images" / "img0.png"])
    wait_counted(qtbot, window, 1)
    qtbot.waitUntil(lambda: window.summary.histogram.title_text.startswith("5 cells"))
    window.viewer.set_mode("edit")
    click_image(qtbot, window, 140, 110)
    qtbot.waitUntil(lambda: window.summary.histogram.title_text.startswith("6 cells (1 added by hand, no size)"))
    assert window.summary.count.text().startswith("6")
