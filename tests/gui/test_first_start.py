"""What a biologist sees before and around the first count: a hint, sensible defaults, clear failures."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_images import disc_image, write_png
from window_helpers import close_window, drop, open_window, wait_counted

from cellcounter_app.postprocess.size import DEFAULT_SIZE


@pytest.fixture
def window(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "project", default_model="classical")
    yield window
    close_window(window)


def test_an_empty_window_says_what_to_do(window):
    viewer = window.viewer
    assert "Drop a folder of images here" in viewer.message() and "File → Add folder" in viewer.message()
    assert not viewer.auto_contrast_action.isEnabled() and not viewer.fit_action.isEnabled()
    assert not window.summary.histogram.isVisible()
    assert "no model loaded" not in window.status.device.text()
    assert "ONNX Runtime" in window.status.device.text()
    diameter = window.controls.diameter
    assert diameter.text() == DEFAULT_SIZE.to_text()
    assert "Default" in diameter.toolTip() and "30px" in diameter.toolTip() and "14um" in diameter.toolTip()


def test_images_are_listed_in_natural_name_order(qtbot, window, tmp_path):
    image, _ = disc_image()
    for name in ("a10.png", "a2.png", "B3.png", "a1.png"):
        write_png(tmp_path / "images" / name, image)
    drop(window, [tmp_path / "images"])
    wait_counted(qtbot, window, 4)
    names = {e.id: e.name for e in window.session.project.images}
    assert [names[i] for i in window.browser.shown_image_ids()] == ["a1.png", "a2.png", "a10.png", "B3.png"]
    assert window.viewer.message() == ""
    qtbot.waitUntil(lambda: window.summary.histogram.isVisible())


def test_an_unreadable_image_says_why_in_the_viewer(qtbot, window, tmp_path):
    image, _ = disc_image()
    write_png(tmp_path / "images" / "good.png", image)
    (tmp_path / "images" / "corrupt.tif").write_bytes(b"II*\x00 this is not really a TIFF")
    project = window.session.project
    project.set_params({"threshold": 0.7})
    drop(window, [tmp_path / "images"])
    wait_counted(qtbot, window, 2)
    good = next(e for e in project.images if e.name == "good.png")
    bad = next(e for e in project.images if e.name == "corrupt.tif")
    window.session.set_current(good.id)
    window.viewer.set_levels(3.0, 40.0)
    window.session.set_current(bad.id)
    qtbot.waitUntil(lambda: "corrupt.tif cannot be read" in window.viewer.message())
    assert window.viewer.levels() == (0.0, 1.0)
    assert window.viewer.displayed_data() is None
    qtbot.waitUntil(lambda: window.controls.controls["threshold"].value() == pytest.approx(0.7))
    window.session.set_current(good.id)
    assert window.viewer.message() == "" and window.viewer.displayed_data() is not None


def test_an_all_zero_image_is_called_blank(qtbot, window, tmp_path):
    write_png(tmp_path / "blank.png", np.zeros((64, 80), np.uint8))
    drop(window, [tmp_path / "blank.png"])
    wait_counted(qtbot, window, 1)
    assert window.session.project.images[0].count == 0
    assert window.viewer.note().startswith("Blank image: every pixel is 0")
    qtbot.waitUntil(lambda: "Blank image" in window.summary.detail.text())
