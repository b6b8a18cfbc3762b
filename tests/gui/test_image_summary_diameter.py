"""THIS IMAGE says which cell diameter the count used, where it came from and how sure an estimate is."""

from __future__ import annotations

import re

import pytest
from window_helpers import close_window, drop, make_images, open_window, wait_counted

from cellcounter_app.postprocess.size import SizeSetting


@pytest.fixture
def window(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "project", default_model="classical")
    yield window
    close_window(window)


def recount_with(qtbot, window, size: str) -> str:
    session = window.session
    session.project.set_defaults(size=SizeSetting.parse(size).to_dict())
    session.count_pending()
    qtbot.waitUntil(lambda: not session.busy and session.project.images[0].state == "counted", timeout=30_000)
    window.summary.refresh()
    return window.summary.diameter.text()


def test_the_diameter_used_and_its_source_are_shown(qtbot, window, tmp_path):
    make_images(tmp_path / "images", counts=(5,))
    drop(window, [tmp_path / "images"])
    wait_counted(qtbot, window, 1)

    text = recount_with(qtbot, window, "auto")
    params = window.session.result(window.session.current).params
    assert params["diameter"] == "auto"
    match = re.fullmatch(r"estimated (\d+) px \(sure (\d\.\d)\)( — uncertain.*)?", text)
    assert match, text
    assert int(match[1]) == round(params["diameter_px"])
    assert float(match[2]) == pytest.approx(params["diameter_confidence"], abs=0.05)
    qtbot.waitUntil(lambda: window.controls.estimate.text() == f"this image: {text}")  # Detection refreshes after

    assert recount_with(qtbot, window, "30px") == "30 px (set in px)"
    assert recount_with(qtbot, window, "model") == "the model's own size (not rescaled)"
