"""The threshold slider after a batch: the shown image recounts from its map, the released value counts."""

from __future__ import annotations

import pytest
from synthetic_images import disc_image, grid_centres, write_png
from window_helpers import close_window, drop, open_window, wait_counted

from cellcounter_app.gui.image_cache import CACHED_IMAGES


def test_the_released_value_is_counted_from_the_cached_map_and_the_status_clears(qtbot, tmp_path):
    shape = (128, 160)
    for i in range(CACHED_IMAGES + 3):  # more images than the cache holds: the shown one must stay
        image, _ = disc_image(shape=shape, centres=grid_centres(6, shape=shape), seed=i)
        write_png(tmp_path / "many" / f"m{i:02d}.png", image)
    window = open_window(qtbot, tmp_path / "project", default_model="classical")
    drop(window, [tmp_path / "many"])
    wait_counted(qtbot, window, CACHED_IMAGES + 3)
    session = window.session
    entry = session.project.image(session.current)
    assert entry.name == "m00.png" and session.cache.probability(entry.id) is not None

    batches, previews = [], []
    session.batch_started.connect(batches.append)
    session.preview_finished.connect(lambda image_id, seconds: previews.append(entry.params_used["threshold"]))
    slider = window.controls.controls["threshold"].slider
    slider.setSliderDown(True)
    for position in range(50, 91, 4):  # a drag: many values in quick succession
        slider.setValue(position)
        qtbot.wait(2)
    slider.setSliderDown(False)
    qtbot.waitUntil(lambda: not session._preview and previews and previews[-1] == pytest.approx(0.90))
    assert entry.params_used["threshold"] == pytest.approx(0.90)
    assert batches == []  # no network run: the probability map of the shown image was kept
    assert not session.busy and not window.actions.cancel.isEnabled()
    assert not window.status.progress.isVisible()
    assert not window.status.currentMessage().startswith("Counting ") or "done" in window.status.currentMessage()
    close_window(window)


def test_a_drag_on_a_reopened_image_runs_the_network_once_and_counts_the_released_value(qtbot, tmp_path):
    shape = (128, 160)
    image, _ = disc_image(shape=shape, centres=grid_centres(6, shape=shape), seed=3)
    write_png(tmp_path / "one.png", image)
    window = open_window(qtbot, tmp_path / "project", default_model="classical")
    drop(window, [tmp_path / "one.png"])
    wait_counted(qtbot, window, 1)
    window.actions.save_project()
    close_window(window)

    window = open_window(qtbot, default_model="classical")
    assert window.actions.open_project(tmp_path / "project")
    session = window.session
    entry = session.project.images[0]
    assert session.cache.probability(entry.id) is None  # read back from disk: labels, no map
    batches = []
    session.batch_started.connect(batches.append)
    slider = window.controls.controls["threshold"].slider
    slider.setSliderDown(True)
    for position in range(50, 91, 4):
        slider.setValue(position)
    slider.setSliderDown(False)
    qtbot.waitUntil(lambda: not session.busy and session._preview is None
                    and entry.params_used["threshold"] == pytest.approx(0.90), timeout=30_000)
    assert batches == [1]
    assert not window.actions.cancel.isEnabled() and not window.status.progress.isVisible()
    close_window(window)
