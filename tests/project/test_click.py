"""One click in correction mode: add, remove, restore, take back — all undoable."""

from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.project import Project
from cellcounter_app.results import ImageResult


@pytest.fixture
def counted(tmp_path):
    project = Project(tmp_path / "p")
    (tmp_path / "a.png").write_bytes(b"")
    [image_id] = project.add_images([tmp_path / "a.png"])
    labels = np.zeros((60, 80), np.uint16)
    labels[10:20, 10:20] = 1
    labels[30:40, 50:60] = 2
    project.record_result(image_id, ImageResult(tmp_path / "a.png", "a.png", summary={"count": 2.0}), labels)
    return project, image_id


def test_click_on_empty_space_adds_a_cell_and_again_takes_it_back(counted):
    project, image_id = counted
    assert project.click(image_id, (70, 5)) == "add point"
    assert project.image(image_id).corrected_count == 3
    assert project.click(image_id, (71, 6)) == "remove added point"
    assert project.image(image_id).corrected_count == 2


def test_click_on_a_cell_removes_it_and_again_restores_it(counted):
    project, image_id = counted
    assert project.click(image_id, (15, 15)) == "remove cell"
    entry = project.image(image_id)
    assert entry.corrected_count == 1 and entry.corrected.n_removed == 1
    assert project.click(image_id, (12, 18)) == "restore cell"
    assert project.image(image_id).corrected_count == 2


def test_clicks_undo_and_redo_in_order(counted):
    project, image_id = counted
    project.click(image_id, (15, 15))
    project.click(image_id, (70, 50))
    assert project.image(image_id).corrected_count == 2
    project.undo()
    assert project.image(image_id).corrected_count == 1
    project.undo()
    assert project.image(image_id).corrected_count == 2 and not project.image(image_id).is_corrected
    project.redo()
    project.redo()
    assert project.image(image_id).corrected_count == 2 and project.image(image_id).corrected.n_added == 1


def test_detections_stay_available_while_a_save_writes_their_label_file(counted, tmp_path):
    from cellcounter_app.project.store import plan_save, write_plan

    project, image_id = counted
    plan = plan_save(project)
    project._detections.clear()  # only the array handed to the save is left
    assert project.detections(image_id) is not None  # its file is not written yet
    write_plan(plan)
    project.labels_written([i for i, _, _ in plan.labels])
    project._detections.clear()
    assert project.detections(image_id) is not None  # now read from the file
