"""Tables show whole titles and telling names; outlines read on any cell; a click says what it will do."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem
from synthetic_images import disc_image, write_png
from window_helpers import click_image, close_window, drop, make_images, open_window, viewport_point, wait_counted

BIG_CELLS = ((40, 40), (40, 110), (95, 75))

from cellcounter_app.gui.qt_viewer import QtImageViewer


@pytest.fixture
def window(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "project", default_model="classical")
    yield window
    close_window(window)


def _titles_fit(table):
    header = table.horizontalHeader()
    return [table.model().headerData(c, Qt.Orientation.Horizontal) for c in range(header.count())
            if not table.isColumnHidden(c) and header.sectionSize(c) < header.sectionSizeFromContents(c).width()]


def test_titles_are_whole_and_long_names_keep_both_ends(qtbot, window, tmp_path):
    long_name = "2024-05-01_experiment-with-a-long-name_well-B07_field-0003_DAPI.png"
    make_images(tmp_path / "images", counts=(3,))
    (tmp_path / "images" / "img0.png").rename(tmp_path / "images" / long_name)
    drop(window, [tmp_path / "images"])
    wait_counted(qtbot, window, 1)
    qtbot.waitUntil(lambda: window.cells.table_model.rowCount() == 3)
    assert _titles_fit(window.results) == [] and _titles_fit(window.browser) == []
    assert _titles_fit(window.cells) == []
    for table in (window.browser, window.results):
        column = table.table_model.header(0)
        assert column == "image"
        option = QStyleOptionViewItem()
        table.itemDelegateForColumn(0).initStyleOption(option, table.model().index(0, 0))
        assert option.textElideMode == Qt.TextElideMode.ElideMiddle
        assert table.itemDelegateForColumn(6) is None  # other columns keep their end ("cFos+ 34 (28.3%)")
    model = window.browser.table_model
    tip = model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    path = tip.splitlines()[0]  # a count to check by eye says why on the next line
    assert path == str(window.session.project.images[0].path) and path.endswith(long_name)


def test_outlines_have_a_dark_halo_that_shows_on_white_cells(qtbot):
    viewer = QtImageViewer()
    qtbot.addWidget(viewer)
    viewer.show()
    image = np.full((40, 40), 255, np.uint8)  # a saturated white field
    labels = np.zeros((40, 40), np.int32)
    labels[10:20, 10:20] = 1
    viewer.set_image(image)
    viewer.set_overlay(labels)
    stats = viewer.overlay_pixmap_stats()
    assert stats["outline_pixels"] == 36 and stats["halo_pixels"] > 36
    rgba = viewer._overlay.outlines.image
    assert tuple(rgba[9, 15]) [:3] == (0, 0, 0) and rgba[9, 15, 3] > 0  # just outside the outline: dark
    assert tuple(rgba[11, 15])[:3] == (0, 0, 0) and rgba[11, 15, 3] > 0  # just inside it: dark too
    assert rgba[10, 15, 3] == 255 and tuple(rgba[10, 15])[:3] != (0, 0, 0)  # the outline: the accent colour


def test_the_viewer_says_what_a_click_will_do_and_shift_always_adds(qtbot, window, tmp_path):
    image, _ = disc_image(centres=BIG_CELLS, radius=16)
    write_png(tmp_path / "big.png", image)
    drop(window, [tmp_path / "big.png"])
    wait_counted(qtbot, window, 1)
    entry = window.session.project.images[0]
    assert entry.count == len(BIG_CELLS)
    window.actions.modes.actions()[1].trigger()
    viewer = window.viewer
    assert viewer.mode() == "edit" and "Shift+click" in viewer.click_hint()
    row, col = BIG_CELLS[0]
    edge = viewport_point(window, col + 13, row)  # inside the big cell, beyond the correction radius
    qtbot.mouseMove(viewer.graphics_view.viewport(), edge)
    qtbot.waitUntil(lambda: viewer.click_hint().startswith("Click: remove this cell"))
    qtbot.wait(50)  # pyqtgraph drops mouse moves that follow each other too closely
    qtbot.mouseMove(viewer.graphics_view.viewport(), viewport_point(window, 150, 120))
    qtbot.waitUntil(lambda: viewer.click_hint() == "Click: add a missed cell here")
    qtbot.mouseClick(viewer.graphics_view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                     pos=edge, delay=QApplication.doubleClickInterval() + 10)
    assert entry.corrected_count == 4 and entry.corrected.n_removed == 0 and entry.corrected.n_added == 1
    qtbot.waitUntil(lambda: viewer.click_hint() == "Click: take back this added cell")
    click_image(qtbot, window, col + 13, row)
    assert entry.corrected_count == 3 and entry.corrections.added == ()
