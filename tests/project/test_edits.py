from __future__ import annotations

import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.project import Project, Region


@pytest.fixture
def project(tmp_path, make_images, disc_labels, counted):
    project = Project(tmp_path / "exp")
    project.add_images(make_images())
    project.record_result(project.images[0].id, counted(disc_labels()))
    return project


def test_add_remove_undo_redo_sequence(project):
    image_id = project.images[0].id
    entry = project.image(image_id)
    events: list[tuple[str, object]] = []
    project.subscribe(lambda event, payload: events.append((event, payload)))
    assert not project.can_undo and not project.can_redo

    project.add_point(image_id, (5, 55))
    project.remove_cell(image_id, (60.0, 15.0))
    project.add_point(image_id, (70, 55))
    assert entry.corrected_count == 4 and entry.corrected.n_added == 2 and entry.corrected.n_removed == 1
    assert events == [("image_changed", image_id)] * 3

    assert project.undo().kind == "add point"
    assert entry.corrected_count == 3 and entry.corrections.added == ((5.0, 55.0),)
    assert project.undo().kind == "remove cell"
    assert project.undo().kind == "add point"
    assert entry.corrections.is_empty and entry.corrected is None and entry.corrected_count == 3
    assert project.undo() is None and not project.can_undo and project.can_redo

    assert project.redo().kind == "add point"
    assert project.redo().kind == "remove cell"
    assert entry.corrected_count == 3 and entry.corrected.n_removed == 1
    project.add_point(image_id, (40, 5))
    assert not project.can_redo and project.redo() is None
    assert entry.corrections.added == ((5.0, 55.0), (40.0, 5.0))


def test_clear_and_remove_added_point_are_undoable(project):
    image_id = project.images[0].id
    entry = project.image(image_id)
    project.add_point(image_id, (5, 55))
    project.add_point(image_id, (70, 55))
    project.remove_added_point(image_id, 0)
    assert entry.corrections.added == ((70.0, 55.0),)
    project.clear_corrections(image_id)
    assert entry.corrections.is_empty and entry.corrected_count == 3
    project.undo()
    assert entry.corrections.added == ((70.0, 55.0),) and entry.corrected_count == 4
    project.undo()
    assert entry.corrections.added == ((5.0, 55.0), (70.0, 55.0))


def test_regions_are_undoable_and_count_inside(project):
    image_id = project.images[0].id
    entry = project.image(image_id)
    top = Region(((0, 0), (79, 30)), kind="rectangle")
    project.add_region(image_id, top)
    assert entry.corrected_count == 2 and entry.corrected.n_detected == 2
    project.add_point(image_id, (48, 54))
    project.add_point(image_id, (40, 5))
    assert entry.corrected_count == 3
    project.add_region(image_id, Region(((30, 40), (50, 55)), kind="rectangle"))
    assert entry.corrected_count == 5
    project.remove_region(image_id, 0)
    assert entry.regions == (Region(((30, 40), (50, 55)), kind="rectangle"),) and entry.corrected_count == 2
    project.undo()
    project.undo()
    assert entry.regions == (top,)
    project.clear_regions(image_id)
    assert entry.regions == () and entry.corrected_count == 5
    with pytest.raises(ParameterError, match="region index must be between 0 and -1, got 0"):
        project.remove_region(image_id, 0)


def test_corrections_reapply_after_a_recount(project, disc_labels, counted):
    image_id = project.images[0].id
    entry = project.image(image_id)
    project.remove_cell(image_id, (60.0, 15.0))
    project.add_point(image_id, (70, 50))
    assert entry.corrected_count == 3
    project.record_result(image_id, counted(disc_labels(centres=((50, 70), (45, 40), (16, 61), (15, 20)), radius=5)))
    assert entry.count == 4 and entry.corrected_count == 3
    assert (entry.corrected.n_removed, entry.corrected.n_added) == (1, 0)


def test_corrections_on_an_uncounted_image_count_the_points(project):
    image_id = project.images[1].id
    project.add_point(image_id, (1, 1))
    assert project.image(image_id).corrected_count == 1


def test_removing_an_image_forgets_its_edits(project):
    first, second = (e.id for e in project.images)
    project.add_point(first, (5, 55))
    project.add_point(second, (5, 5))
    project.remove_images([second])
    assert project.undo().image_id == first and not project.can_undo


def test_correction_radius_change_recomputes(project):
    image_id = project.images[0].id
    entry = project.image(image_id)
    project.add_point(image_id, (27, 15))
    assert entry.corrected_count == 3
    project.set_defaults(correction_radius=5.0)
    assert entry.corrected_count == 4
