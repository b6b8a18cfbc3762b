"""The images table model follows the project: rows, counts, corrections, units, sorting."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402

from cellcounter_app.gui import images_table_model  # noqa: E402
from cellcounter_app.gui.images_table_model import (  # noqa: E402
    COLUMNS,
    IMAGE_ID_ROLE,
    ImagesSortProxy,
    ImagesTableModel,
)
from cellcounter_app.project import Project  # noqa: E402
from cellcounter_app.results import STATUS_ERROR, ImageResult, ModelInfo  # noqa: E402

pytestmark = pytest.mark.gui

COL = {name: i for i, name in enumerate(COLUMNS)}
TOOLTIP = Qt.ItemDataRole.ToolTipRole


def disc_labels(centres, radius=4, shape=(40, 60)) -> np.ndarray:
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    labels = np.zeros(shape, np.uint16)
    for i, (r, c) in enumerate(centres, start=1):
        labels[(rows - r) ** 2 + (cols - c) ** 2 <= radius**2] = i
    return labels


def result(path: Path, n: int, *, density=float("nan"), area_px=50.0, area_um2=float("nan")) -> ImageResult:
    """What the pipeline gives for an image of ``n`` cells on a row."""
    labels = disc_labels([(20, 6 + 10 * i) for i in range(n)])
    return ImageResult(
        path=path, name=path.name,
        summary={"count": float(n), "density_per_mm2": density, "area_fraction": 0.1, "mean_area_px": area_px,
                 "mean_area_um2": area_um2, "pixel_size_um": float("nan"), "height": 40.0, "width": 60.0},
        model=ModelInfo("nuclei", "1.0.0", "ab" * 32, "CPUExecutionProvider"),
        params={"threshold": 0.5}, labels=labels,
    )


@pytest.fixture
def project(tmp_path) -> Project:
    project = Project(tmp_path / "proj")
    folder = tmp_path / "exp"
    folder.mkdir()
    paths = []
    for name in ("a10.tif", "a2.tif", "a1.tif"):
        (folder / name).write_bytes(b"not read")
        paths.append(folder / name)
    project.add_images(paths)
    return project


def column(model, name):
    return [model.text(row, COL[name]) for row in range(model.rowCount())]


def test_docstring_examples():
    assert doctest.testmod(images_table_model).failed == 0


def test_rows_follow_added_and_removed_images(qtbot, project, tmp_path):
    model = ImagesTableModel(project)
    assert column(model, "image") == ["a10.tif", "a2.tif", "a1.tif"]
    assert column(model, "status") == ["new"] * 3 and column(model, "group") == ["exp"] * 3
    with qtbot.waitSignal(model.rowsInserted):
        project.add_images([tmp_path / "exp" / "gone.tif"])
    assert column(model, "image")[-1] == "gone.tif" and column(model, "status")[-1] == "missing"
    assert model.data(model.index(3, COL["status"]), TOOLTIP).startswith("file not found")
    with qtbot.waitSignal(model.rowsRemoved):
        project.remove_images([project.images[1].id])
    assert column(model, "image") == ["a10.tif", "a1.tif", "gone.tif"]
    assert model.data(model.index(1, 0), IMAGE_ID_ROLE) == project.images[1].id


def test_a_recorded_result_updates_only_its_row(qtbot, project):
    model = ImagesTableModel(project)
    resets, changes = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(lambda a, b: changes.append((a.row(), b.row())))
    entry = project.images[1]
    project.record_result(entry.id, result(entry.path, 3, density=1234.5))
    assert changes and set(changes) == {(1, 1)} and not resets
    assert model.text(1, COL["count"]) == "3" and model.text(1, COL["corrected"]) == "3"
    assert model.text(1, COL["density"]) == "1234.5" and model.text(1, COL["mean area"]) == "50.0"
    assert model.text(1, COL["model"]) == "nuclei 1.0.0" and model.text(1, COL["status"]) == "counted"
    assert model.text(0, COL["count"]) == "" and model.text(0, COL["density"]) == ""


def test_uncalibrated_density_is_blank_and_error_has_its_reason(project):
    model = ImagesTableModel(project)
    first, second = project.images[0], project.images[1]
    project.record_result(first.id, result(first.path, 2))
    project.record_result(second.id, ImageResult(second.path, second.name, STATUS_ERROR, "truncated TIFF"))
    assert model.text(0, COL["density"]) == "" and model.text(0, COL["count"]) == "2"
    assert model.text(1, COL["status"]) == "error"
    assert model.data(model.index(1, COL["status"]), TOOLTIP) == "truncated TIFF"
    assert model.data(model.index(1, COL["status"]), Qt.ItemDataRole.ForegroundRole) is not None


def test_corrections_mark_the_count_and_say_what_changed(project):
    model = ImagesTableModel(project)
    entry = project.images[0]
    project.record_result(entry.id, result(entry.path, 3))
    project.add_point(entry.id, (50.0, 5.0))
    project.add_point(entry.id, (50.0, 35.0))
    project.remove_cell(entry.id, (6.0, 20.0))
    assert model.text(0, COL["count"]) == "3" and model.text(0, COL["corrected"]) == "4*"
    assert model.data(model.index(0, COL["corrected"]), TOOLTIP) == "2 added, 1 removed"
    project.undo()
    project.undo()
    project.undo()
    assert model.text(0, COL["corrected"]) == "3"
    assert model.data(model.index(0, COL["corrected"]), TOOLTIP) is None


def test_parameter_change_marks_rows_stale(project):
    model = ImagesTableModel(project)
    entry = project.images[2]
    project.record_result(entry.id, result(entry.path, 1))
    project.set_params({"threshold": 0.8})
    assert model.text(2, COL["status"]) == "stale"
    assert "parameters changed" in model.data(model.index(2, COL["status"]), TOOLTIP)


def test_mean_area_unit_follows_calibration(qtbot, project):
    model = ImagesTableModel(project)
    assert model.header(COL["mean area"]) == "mean area (px²)" and model.header(COL["density"]) == "density (/mm²)"
    first, second = project.images[0], project.images[1]
    with qtbot.waitSignal(model.headerDataChanged):
        project.record_result(first.id, result(first.path, 2, area_px=100.0, area_um2=25.0))
    assert model.header(COL["mean area"]) == "mean area (µm²)" and model.text(0, COL["mean area"]) == "25.0"
    project.record_result(second.id, result(second.path, 2, area_px=80.0))
    assert model.header(COL["mean area"]) == "mean area (px²)"
    assert column(model, "mean area")[:2] == ["100.0", "80.0"]


def test_sorting_is_numeric_and_keeps_empty_cells_last(project, tmp_path):
    model = ImagesTableModel(project)
    proxy = ImagesSortProxy()
    proxy.setSourceModel(model)
    counts = {"a10.tif": 12, "a2.tif": 3}
    for entry in project.images:
        if entry.name in counts:
            project.record_result(entry.id, result(entry.path, counts[entry.name]))

    def shown(name):
        return [proxy.index(r, COL[name]).data() for r in range(proxy.rowCount())]

    proxy.sort(COL["count"], Qt.SortOrder.AscendingOrder)
    assert shown("count") == ["3", "12", ""]
    proxy.sort(COL["count"], Qt.SortOrder.DescendingOrder)
    assert shown("count") == ["12", "3", ""]
    proxy.sort(COL["image"], Qt.SortOrder.AscendingOrder)
    assert shown("image") == ["a1.tif", "a2.tif", "a10.tif"]
    entry = next(e for e in project.images if e.name == "a1.tif")
    project.record_result(entry.id, result(entry.path, 5))
    proxy.sort(COL["count"], Qt.SortOrder.AscendingOrder)
    assert shown("count") == ["3", "5", "12"]


def test_set_project_swaps_and_stops_listening(project, tmp_path):
    model = ImagesTableModel(project)
    other = Project(tmp_path / "other")
    model.set_project(other)
    assert model.rowCount() == 0
    project.add_images([tmp_path / "exp" / "new.tif"])
    assert model.rowCount() == 0 and not project._subscribers
    model.set_project(None)
    assert model.rowCount() == 0 and model.project is None and not other._subscribers


def test_tsv_has_a_header_and_the_shown_text(project):
    model = ImagesTableModel(project)
    entry = project.images[0]
    project.record_result(entry.id, result(entry.path, 3))
    project.add_point(entry.id, (50.0, 5.0))
    lines = model.rows_as_tsv([0]).splitlines()
    assert lines[0].split("\t") == ["image", "group", "count", "corrected", "density (/mm²)",
                                    "mean area (px²)", "positive", "model", "status", "reliability"]
    # a corrected image's mean area is measured on the cells it counts (discs of 49 px²)
    assert lines[1].split("\t") == ["a10.tif", "exp", "3", "4*", "", "49.0", "", "nuclei 1.0.0", "counted", ""]
    assert len(model.rows_as_tsv().splitlines()) == 4


def test_marker_counts_show_as_positive_counts_and_percentages(project):
    model = ImagesTableModel(project)
    entry = project.images[0]
    counted = result(entry.path, 4)
    counted.summary.update({"Cy3_positive": 1.0, "Cy3_percent_positive": 25.0,
                            "GFP_positive": 2.0, "GFP_percent_positive": 50.0})
    project.record_result(entry.id, counted)
    column = COLUMNS.index("positive")
    assert model.text(0, column) == "Cy3+ 1 (25.0%) · GFP+ 2 (50.0%)"
    assert model.sort_key(0, column) == 25.0
