from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.project import Corrections, Detections, apply_corrections, cell_at


def test_no_corrections_keep_every_detection(disc_labels):
    result = apply_corrections(disc_labels(), None, Corrections(), radius=5)
    assert result.kept_ids.tolist() == [1, 2, 3]
    assert (result.count, result.n_detected, result.n_added, result.n_removed) == (3, 3, 0, 0)
    assert result.kept_mask(disc_labels()).sum() == (disc_labels() > 0).sum()


def test_removed_and_added_points_change_the_count(disc_labels):
    labels = disc_labels()
    fix = Corrections(added=((5.0, 55.0),), removed=((60.0, 15.0),))
    result = apply_corrections(labels, None, fix, radius=5)
    assert result.kept_ids.tolist() == [1, 3]
    assert result.added.tolist() == [[5.0, 55.0]]
    assert (result.count, result.n_added, result.n_removed) == (3, 1, 1)
    assert not result.kept_mask(labels)[15, 60]


def test_cells_columns_give_the_centroids(disc_labels):
    labels = disc_labels()
    cells = {"cell_id": np.array([1, 2, 3]), "x": np.array([20.0, 60.0, 40.0]), "y": np.array([15.0, 15.0, 45.0])}
    fix = Corrections(removed=((40.0, 52.0),))
    assert apply_corrections(labels, cells, fix, radius=8).kept_ids.tolist() == [1, 2]
    assert apply_corrections(labels, cells, fix, radius=6).kept_ids.tolist() == [1, 2, 3]


def test_corrections_survive_a_recount(disc_labels):
    """After a re-count the objects have new ids and shapes; corrections apply by position."""
    before = disc_labels(centres=((15, 20), (15, 60), (45, 40)))
    hit = cell_at(before, None, (58, 17), radius=5)
    assert hit is not None and hit[0] == 2
    fix = Corrections(added=((70.0, 50.0),), removed=(hit[1],))
    assert apply_corrections(before, None, fix, 5).count == 3

    after = disc_labels(centres=((50, 70), (45, 40), (16, 61), (15, 20)), radius=5)
    result = apply_corrections(after, None, fix, radius=5)
    assert result.kept_ids.tolist() == [1, 2, 4]
    assert result.redundant.tolist() == [[70.0, 50.0]]
    assert (result.count, result.n_added, result.n_removed) == (3, 0, 1)


def test_removed_point_uses_the_nearest_centroid_within_radius_then_nothing(disc_labels):
    labels = disc_labels(radius=3)
    near = Corrections(removed=((24.0, 15.0),))
    assert apply_corrections(labels, None, near, radius=5).kept_ids.tolist() == [2, 3]
    far = Corrections(removed=((30.0, 30.0),))
    result = apply_corrections(labels, None, far, radius=5)
    assert result.kept_ids.tolist() == [1, 2, 3] and result.n_removed == 0


def test_two_removals_of_the_same_object_remove_it_once(disc_labels):
    fix = Corrections(removed=((20.0, 15.0), (21.0, 16.0)))
    result = apply_corrections(disc_labels(), None, fix, radius=5)
    assert result.n_removed == 1 and result.count == 2


def test_a_removed_detection_does_not_make_an_added_point_redundant(disc_labels):
    fix = Corrections(added=((22.0, 16.0),), removed=((20.0, 15.0),))
    result = apply_corrections(disc_labels(), None, fix, radius=5)
    assert result.n_added == 1 and result.n_removed == 1 and result.count == 3


def test_empty_labels_count_only_added_points():
    fix = Corrections(added=((1.0, 1.0), (3.0, 3.0)))
    result = apply_corrections(np.zeros((8, 8), np.uint8), None, fix, radius=2)
    assert (result.count, result.n_detected, result.n_added) == (2, 0, 2)


def test_cell_at_prefers_the_object_under_the_click(disc_labels):
    labels = disc_labels()
    assert cell_at(labels, None, (24, 15), radius=20) == (1, (20.0, 15.0))
    assert cell_at(labels, None, (28, 15), radius=3) is None
    assert cell_at(labels, None, (28, 15), radius=8)[0] == 1


def test_bad_inputs_say_what_is_allowed(disc_labels):
    with pytest.raises(ParameterError, match="radius must be a positive number of pixels, got 0"):
        apply_corrections(disc_labels(), None, Corrections(), radius=0)
    with pytest.raises(ValueError, match="2-D integer array"):
        apply_corrections(np.zeros((4, 4)), None, Corrections(), radius=1)
    with pytest.raises(ParameterError, match="between 0 and 0, got 3"):
        Corrections(added=((1, 1),)).without_added(3)


def test_corrections_round_trip_and_edit_copies():
    fix = Corrections().with_added((1, 2)).with_added((3, 4)).with_removed((5, 6))
    assert fix.without_added(0).added == ((3.0, 4.0),)
    assert Corrections.from_dict(fix.to_dict()) == fix
    assert Corrections().is_empty and not fix.is_empty


def test_detections_id_at_outside_the_image_is_background(disc_labels):
    detections = Detections.from_labels(disc_labels())
    assert detections.id_at((20, 15)) == 1
    assert detections.id_at((-1, 15)) == 0 and detections.id_at((500, 15)) == 0
