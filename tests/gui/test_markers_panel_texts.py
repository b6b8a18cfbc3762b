"""The markers panel explains itself: what markers need, an empty histogram, an image that is not split."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from synthetic_images import write_tiff
from synthetic_markers import make_marker_image
from window_helpers import close_window, open_window, wait_counted

from cellcounter_app.markers import MEASURES


@pytest.fixture
def window(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "project", default_model="classical")
    yield window
    close_window(window)


def test_a_one_channel_image_says_markers_need_channels_and_the_histogram_says_no_cells(qtbot, window, tmp_path):
    write_tiff(tmp_path / "grey.tif", make_marker_image(0).image[..., 0])
    window.actions.add_paths([tmp_path / "grey.tif"])
    wait_counted(qtbot, window, 1)
    panel = window.markers
    panel.refresh()
    assert "several channels" in panel.counts.text() and "paired" in panel.counts.text()
    assert panel.new_channel.placeholderText() == "needs several channels"
    assert panel.empty.isVisible() and panel.empty.toPlainText() == "no cells"
    (x0, x1), (y0, y1) = panel.plot.viewRange()
    assert (x0, x1, y0, y1) == pytest.approx((0, 1, 0, 1))
    assert not panel.plot.getAxis("left").autoSIPrefix


def test_one_population_is_said_to_be_flagged_not_split(qtbot, window, tmp_path):
    made = make_marker_image(5, positive_fraction=1.0)  # every cell is bright in the marker
    write_tiff(tmp_path / "images" / "all.tif", np.moveaxis(made.image, -1, 0), metadata={"axes": "CYX"})
    window.actions.add_paths([tmp_path / "images"])
    wait_counted(qtbot, window, 1)
    panel = window.markers
    panel.refresh()
    panel.set_detect_channel(0)
    assert panel.add_marker("Green", 1)
    window.session.count_pending()
    qtbot.waitUntil(lambda: not window.session.busy and window.session.project.images[0].state == "counted",
                    timeout=30_000)
    panel.refresh()
    result = window.session.result(window.session.current)
    assert result.summary["Green_flag"].startswith("one population")
    text = panel.counts.text()
    assert "not split" in text and "flagged" in text and "called positive" in text
    assert "%" not in text  # no "24 of 24 (100 %)" that reads like a split
    values = np.asarray(result.cells["Green_corrected"], float)
    assert panel.line.value() == pytest.approx(np.nanmax(values))  # at the edge, not mid-histogram
    assert panel.line.pen.style() == Qt.PenStyle.DashLine
    assert not panel.empty.isVisible()


def test_every_measure_of_positive_when_is_explained(window):
    box = window.markers.measure
    assert [box.itemText(i) for i in range(box.count())] == list(MEASURES)
    for i in range(box.count()):
        tip = box.itemData(i, Qt.ItemDataRole.ToolTipRole)
        assert tip.startswith(box.itemText(i) + ":") and len(tip) > 30
    assert "corrected" in box.toolTip() and "background" in box.toolTip()
