"""A project's results as export records: corrections and regions applied, image by image."""

from __future__ import annotations

import numpy as np
from synthetic_images import disc_image, grid_centres, write_png

from cellcounter_app.export import read_workbook
from cellcounter_app.inference import load_model
from cellcounter_app.io import read_image
from cellcounter_app.pipeline import count_image
from cellcounter_app.project import Project, Region
from cellcounter_app.reports import entry_result, export_workbook


def counted_project(tmp_path):
    project = Project(tmp_path / "project")
    image, _ = disc_image(centres=grid_centres(5), seed=0)
    path = write_png(tmp_path / "plate" / "a.png", image)
    [image_id] = project.add_images([path])
    project.add_images([tmp_path / "plate" / "gone.png"])
    project.record_result(image_id, count_image(read_image(path), load_model("classical")))
    return project, image_id


def test_corrections_and_regions_shape_the_count_and_the_cells(tmp_path):
    project, image_id = counted_project(tmp_path)
    project.add_point(image_id, (150.0, 120.0))
    project.add_region(image_id, Region(((0.0, 0.0), (100.0, 127.0)), kind="rectangle"))
    result = entry_result(project, project.image(image_id))
    # the region keeps the discs at x 20, 50, 80 (three of the top row, one below); the added point lies outside
    assert result.summary["count"] == 4 and result.summary["detected"] == 4
    assert result.summary["added"] == 0 and result.summary["corrected"] is True
    assert len(result.cells["cell_id"]) == 4 and np.all(result.cells["x"] < 100)


def test_the_workbook_marks_corrected_counts_and_cells_added_by_hand(tmp_path):
    project, image_id = counted_project(tmp_path)
    project.add_point(image_id, (150.0, 120.0))
    book = read_workbook(export_workbook(project, tmp_path / "out.xlsx"))
    counted, missing = book["Images"]
    assert (counted["image"], counted["count"], counted["detected"], counted["added"]) == ("plate/a.png", 6, 5, 1)
    assert missing["status"] == "error" and missing["error"] == "file not found"
    manual = [row for row in book["Cells"] if row["manual"]]
    assert len(manual) == 1 and (manual[0]["x"], manual[0]["y"]) == (150.0, 120.0) and manual[0]["area_px"] is None
    assert [row["group"] for row in book["Summary"]] == ["plate", "All"]
