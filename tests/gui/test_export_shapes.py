"""The Export menu hands the corrected cells to Fiji (ROI sets), QuPath (GeoJSON) and napari (calibrated labels)."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pyqtgraph")

import tifffile  # noqa: E402
from window_helpers import close_window, drop, make_images, open_window, wait_counted  # noqa: E402

from cellcounter_app.gui import export_actions  # noqa: E402
from cellcounter_app.io.annotations import read_rois  # noqa: E402
from cellcounter_app.project import Region  # noqa: E402

pytestmark = pytest.mark.gui

ADDED = (80.0, 100.0)
"""An empty spot of img1 (x, y) where a cell is added by hand."""
REMOVED = (50.0, 20.0)
"""The centre of img1's second disc, removed by hand."""


@pytest.fixture
def corrected(qtbot, tmp_path):
    """Two counted images: img0 (3 discs, a region keeps the 2 on the left), img1 (5 discs, one removed,
    one added); pixel size 0.5 µm."""
    window = open_window(qtbot, tmp_path / "project", default_model="classical", pixel_size_um=0.5)
    make_images(tmp_path / "images", counts=(3, 5))
    drop(window, [tmp_path / "images"])
    wait_counted(qtbot, window, 2)
    project = window.session.project
    first, second = project.images
    assert (first.count, second.count) == (3, 5)
    project.add_region(first.id, Region(((0, 0), (65, 127)), kind="rectangle"))
    project.remove_cell(second.id, REMOVED)
    project.add_point(second.id, ADDED)
    assert (first.corrected_count, second.corrected_count) == (2, 5)
    yield window
    close_window(window)


def _export(qtbot, window, kind, folder):
    with qtbot.waitSignal(window.actions.exports.finished, timeout=60_000) as blocker:
        window.actions.exports.export_shapes(kind, folder)
    return blocker.args[0]


def test_the_menu_offers_the_roi_and_geojson_exports(corrected):
    texts = [action.text() for action in corrected.actions.exports.menu.actions()]
    assert "Export ImageJ ROI sets…" in texts and "Export QuPath GeoJSON…" in texts


def test_roi_sets_hold_the_corrected_cells(qtbot, corrected, tmp_path, monkeypatch):
    import roifile

    out = tmp_path / "rois"
    out.mkdir()
    monkeypatch.setattr(export_actions.QFileDialog, "getExistingDirectory", lambda *args: str(out))
    with qtbot.waitSignal(corrected.actions.exports.finished, timeout=60_000) as blocker:
        corrected.actions.exports.rois.trigger()
    assert blocker.args[0] == out
    assert sorted(p.name for p in out.iterdir()) == ["img0_rois.zip", "img1_rois.zip"]
    assert len(roifile.roiread(out / "img0_rois.zip")) == 2
    rois = read_rois(out / "img1_rois.zip")
    points = [roi for roi in rois if roi.kind == "point"]
    outlines = [roi for roi in rois if roi.is_area]
    assert len(points) == 1 and len(outlines) == 4
    centres = np.array([roi.coordinates.mean(axis=0) for roi in outlines])
    assert np.hypot(*(centres - REMOVED).T).min() > 10  # the removed disc is not there
    assert np.hypot(*(points[0].points[0] - ADDED)) < 1.0


def test_geojson_has_one_feature_per_counted_cell(qtbot, corrected, tmp_path):
    out = tmp_path / "qupath"
    out.mkdir()
    assert _export(qtbot, corrected, "geojson", out) == out
    project = corrected.session.project
    for entry in project.images:
        document = json.loads((out / f"{entry.path.stem}.geojson").read_text())
        assert document["type"] == "FeatureCollection"
        assert len(document["features"]) == entry.corrected_count
    features = json.loads((out / "img1.geojson").read_text())["features"]
    kinds = sorted(f["geometry"]["type"] for f in features)
    assert kinds == ["Point", "Polygon", "Polygon", "Polygon", "Polygon"]
    point = next(f for f in features if f["geometry"]["type"] == "Point")
    assert point["geometry"]["coordinates"] == pytest.approx([ADDED[0] + 0.5, ADDED[1] + 0.5])


def test_existing_files_are_never_overwritten_and_nothing_is_written(qtbot, corrected, tmp_path):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "img1.geojson").write_text("mine")
    messages = []
    corrected.session.message.connect(messages.append)
    assert _export(qtbot, corrected, "geojson", out) is None
    assert (out / "img1.geojson").read_text() == "mine"
    assert not (out / "img0.geojson").exists()
    assert any("already holds img1.geojson" in m and "nothing was written" in m for m in messages)


def test_label_images_carry_the_pixel_size_and_the_corrections(qtbot, corrected, tmp_path):
    out = tmp_path / "overlays"
    out.mkdir()
    with qtbot.waitSignal(corrected.actions.exports.finished, timeout=60_000):
        corrected.actions.exports.export_images(out)
    with tifffile.TiffFile(out / "img0_labels.tif") as tif:
        labels = tif.asarray()
        assert tif.imagej_metadata["unit"] == "um"
        x_resolution = tif.pages[0].tags["XResolution"].value
    assert x_resolution[0] / x_resolution[1] == pytest.approx(2.0)  # pixels per µm
    assert len(np.unique(labels[labels > 0])) == 2  # the disc outside the region is left out
    assert (out / "img0_overlay.png").is_file() and (out / "img1_labels.tif").is_file()
    (out / "img0_overlay.png").unlink()
    with qtbot.waitSignal(corrected.actions.exports.finished, timeout=60_000) as blocker:
        corrected.actions.exports.export_images(out)  # the labels are there: refused before writing
    assert blocker.args[0] is None and not (out / "img0_overlay.png").exists()
