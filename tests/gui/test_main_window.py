"""The real window, driven as a biologist would: drop, count, adjust, correct, save, reopen, export."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_images import disc_image, grid_centres, write_png
from window_helpers import (
    click_image,
    close_window,
    counts,
    drag_image,
    drop,
    make_images,
    open_window,
    wait_counted,
)

from cellcounter_app.export import read_workbook
from cellcounter_app.project import load_project


def graded_image(path, n=12, seed=1):
    """Discs from dim to bright: a higher threshold drops the dim ones (classical model)."""
    rng = np.random.default_rng(seed)
    _, labels = disc_image(centres=grid_centres(n), seed=seed)
    image = np.full(labels.shape, 10.0) + rng.normal(0, 3, labels.shape)
    for i, value in enumerate(np.linspace(40, 200, n), start=1):
        image[labels == i] = value
    return write_png(path, np.clip(image, 0, 255).astype(np.uint8))


@pytest.fixture
def window(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "project", default_model="classical")
    yield window
    close_window(window)


def test_a_dropped_folder_is_counted_and_a_corrupt_file_gets_an_error(qtbot, window, tmp_path):
    expected = make_images(tmp_path / "images")
    (tmp_path / "images" / "corrupt.tif").write_bytes(b"II*\x00 this is not really a TIFF")
    drop(window, [tmp_path / "images"])
    wait_counted(qtbot, window, 4)
    found = counts(window)
    assert {name: found[name] for name in expected} == expected
    bad = next(e for e in window.session.project.images if e.name == "corrupt.tif")
    assert bad.status == "error" and bad.error
    assert window.browser.table_model.rowCount() == 4
    qtbot.waitUntil(lambda: window.errors.count >= 1)
    assert "corrupt.tif" in window.errors.error_log.records[-1].as_text()
    assert len([r for r in window.errors.error_log.records if "corrupt.tif" in r.as_text()]) == 1
    window.browser.select_image(window.session.project.images[1].id)
    window.session.set_current(window.session.project.images[1].id)
    assert window.viewer.displayed_data() is not None


def test_the_threshold_slider_recounts_the_image_and_redraws_the_overlay(qtbot, window, tmp_path):
    graded_image(tmp_path / "graded.png")
    drop(window, [tmp_path / "graded.png"])
    wait_counted(qtbot, window, 1)
    entry = window.session.project.images[0]
    before = entry.count
    qtbot.waitUntil(lambda: window.viewer.overlay_pixmap_stats()["n_markers"] == before)
    outline_before = window.viewer.overlay_pixmap_stats()["outline_pixels"]
    window.controls.controls["threshold"].slider.setValue(95)
    qtbot.waitUntil(lambda: entry.count is not None and entry.count < before, timeout=10_000)
    assert entry.params_used["threshold"] == pytest.approx(0.95)
    qtbot.waitUntil(lambda: window.viewer.overlay_pixmap_stats()["n_markers"] == entry.count)
    assert window.viewer.overlay_pixmap_stats()["outline_pixels"] < outline_before
    qtbot.waitUntil(lambda: window.summary.count.text().startswith(str(entry.count)))


def test_corrections_add_remove_undo_redo(qtbot, window, tmp_path):
    make_images(tmp_path / "images", counts=(5,))
    drop(window, [tmp_path / "images" / "img0.png"])
    wait_counted(qtbot, window, 1)
    project, image_id = window.session.project, window.session.project.images[0].id
    window.viewer.set_mode("edit")
    click_image(qtbot, window, 140, 110)  # empty corner: a missed cell
    assert project.image(image_id).corrected_count == 6
    row, col = grid_centres(5)[0]
    click_image(qtbot, window, col, row)  # a detected cell: remove it
    entry = project.image(image_id)
    assert entry.corrected_count == 5 and entry.corrected.n_removed == 1 and entry.corrected.n_added == 1
    qtbot.waitUntil(lambda: window.viewer.overlay_pixmap_stats()["n_removed"] == 1)
    window.actions.undo.trigger()
    assert project.image(image_id).corrected_count == 6
    window.actions.undo.trigger()
    assert project.image(image_id).corrected_count == 5 and not project.image(image_id).is_corrected
    window.actions.redo.trigger()
    assert project.image(image_id).corrected_count == 6
    assert window.results.table_model.text(0, 3).endswith("*")


def test_a_rectangle_region_restricts_the_count(qtbot, window, tmp_path):
    make_images(tmp_path / "images", counts=(5,))
    drop(window, [tmp_path / "images" / "img0.png"])
    wait_counted(qtbot, window, 1)
    window.actions.modes.actions()[3].trigger()
    assert window.viewer.mode() == "rectangle"
    drag_image(qtbot, window, (5, 5), (65, 40))  # around the first two discs of the top row
    entry = window.session.project.images[0]
    assert len(entry.regions) == 1 and entry.corrected_count == 2
    window.actions.undo.trigger()
    assert entry.corrected_count == 5


def test_save_close_reopen_restores_the_same_state(qtbot, tmp_path):
    make_images(tmp_path / "images")
    window = open_window(qtbot, tmp_path / "project", default_model="classical")
    drop(window, [tmp_path / "images"])
    wait_counted(qtbot, window, 3)
    project = window.session.project
    first = project.images[0].id
    window.session.set_current(first)
    window.viewer.set_mode("edit")
    click_image(qtbot, window, 140, 110)
    project.set_params({"min_size": 40})
    window.actions.save_project()
    state = {e.name: (e.corrected_count, e.state, e.corrections) for e in project.images}
    close_window(window)

    reopened = open_window(qtbot, default_model="classical")
    assert reopened.actions.open_project(tmp_path / "project")
    again = reopened.session.project
    assert {e.name: (e.corrected_count, e.state, e.corrections) for e in again.images} == state
    assert again.defaults.params["min_size"] == 40
    assert reopened.viewer.displayed_data() is not None
    qtbot.waitUntil(lambda: reopened.viewer.overlay_pixmap_stats()["n_added"] == 1)
    close_window(reopened)
    assert load_project(tmp_path / "project").images[0].corrections == state["img0.png"][2]


def test_export_writes_a_workbook_with_corrected_counts(qtbot, window, tmp_path):
    expected = make_images(tmp_path / "images")
    drop(window, [tmp_path / "images"])
    wait_counted(qtbot, window, 3)
    window.viewer.set_mode("edit")
    window.session.set_current(window.session.project.images[0].id)
    click_image(qtbot, window, 140, 110)
    exports = window.actions.exports
    out = tmp_path / "out" / "counts.xlsx"
    out.parent.mkdir()
    with qtbot.waitSignal(exports.finished, timeout=30_000) as blocker:
        exports.export_workbook(out)
    assert blocker.args == [out]
    book = read_workbook(out)
    images = {row["image"].split("/")[-1]: row for row in book["Images"]}
    assert images["img0.png"]["count"] == expected["img0.png"] + 1
    assert images["img0.png"]["detected"] == expected["img0.png"]
    assert images["img0.png"]["added"] == 1
    assert images["img1.png"]["count"] == expected["img1.png"]
    assert images["img0.png"]["corrected"] is True and images["img1.png"]["corrected"] is False
    cells = [row for row in book["Cells"] if row["image"].endswith("img0.png")]
    assert len(cells) == expected["img0.png"] + 1
    assert [row["manual"] for row in cells].count(True) == 1
    assert window.session.settings.last_export_dir == str(out.parent)


def test_cancel_stops_a_running_batch_and_keeps_what_was_counted(qtbot, window, tmp_path):
    folder = tmp_path / "many"
    for i in range(30):
        image, _ = disc_image(shape=(256, 320), centres=grid_centres(6, shape=(256, 320)), seed=i)
        write_png(folder / f"m{i:02d}.png", image)
    drop(window, [folder])
    qtbot.waitUntil(lambda: any(e.state == "counted" for e in window.session.project.images), timeout=30_000)
    with qtbot.waitSignal(window.session.batch_finished, timeout=30_000) as blocker:
        window.actions.cancel.trigger()
    assert blocker.args[0] is True
    states = [e.state for e in window.session.project.images]
    assert 0 < states.count("counted") < 30 and set(states) <= {"counted", "new"}
    assert all(e.count == 6 for e in window.session.project.images if e.state == "counted")


def test_overlay_parts_and_colour_follow_the_view_menu_and_settings(qtbot, tmp_path):
    make_images(tmp_path / "images", counts=(5,))
    window = open_window(qtbot, tmp_path / "project", default_model="classical", overlay_opacity=0.5)
    drop(window, [tmp_path / "images"])
    wait_counted(qtbot, window, 1)
    qtbot.waitUntil(lambda: window.viewer.overlay_pixmap_stats()["n_markers"] == 5)
    assert window.viewer.overlay_pixmap_stats()["n_ids"] == 0
    assert window.viewer._overlay.group.opacity() == pytest.approx(0.5)
    window.actions._show_overlay_part("ids", True)
    window.actions._show_overlay_part("centroids", False)
    stats = window.viewer.overlay_pixmap_stats()
    assert stats["n_ids"] == 5 and stats["n_markers"] == 0 and stats["outline_pixels"] > 0
    close_window(window)


def test_the_browser_filter_shows_matching_names_and_page_keys_follow_it(qtbot, window, tmp_path):
    make_images(tmp_path / "images", counts=(2, 3, 4))
    drop(window, [tmp_path / "images"])
    wait_counted(qtbot, window, 3)
    window.filter.setText("IMG1")
    assert window.browser.proxy.rowCount() == 1
    window.actions.step(1)
    assert window.session.project.image(window.session.current).name == "img1.png"
    window.filter.clear()
    assert window.browser.proxy.rowCount() == 3
    window.actions.step(1)
    assert window.session.project.image(window.session.current).name == "img2.png"
