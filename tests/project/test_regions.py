from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.project import Corrections, Region, apply_corrections, points_in_regions, region_mask


def test_rectangle_mask_covers_its_corners_inclusive():
    mask = region_mask((10, 12), [Region(((2, 3), (5, 7)), kind="rectangle")])
    rows, cols = np.nonzero(mask)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (3, 7, 2, 5)
    assert mask.sum() == 5 * 4


def test_polygon_mask_is_a_triangle_and_union_of_regions():
    triangle = Region(((0, 0), (9, 0), (0, 9)))
    mask = region_mask((10, 10), [triangle])
    assert mask[0, 0] and mask[0, 9] and mask[9, 0] and not mask[9, 9]
    assert mask[2, 2] and not mask[7, 7]
    both = region_mask((10, 10), [triangle, Region(((8, 8), (9, 9)), kind="rectangle")])
    assert both[9, 9] and both.sum() == mask.sum() + 4


def test_region_outside_the_image_is_clipped_and_no_region_is_empty():
    assert region_mask((5, 5), [Region(((-10, -10), (1, 20)), kind="rectangle")]).sum() == 10
    assert not region_mask((5, 5), []).any()


@pytest.mark.parametrize("vertices, kind, message", [
    (((0, 0), (1, 1)), "polygon", "at least 3 vertices, got 2"),
    (((0, 0), (1, 1), (2, 2)), "rectangle", "2 opposite corners, got 3"),
    (((0, 0), (1, "x"), (2, 2)), "polygon", "pair of numbers"),
    (((0, 0), (1, float("nan")), (2, 2)), "polygon", "must be finite"),
    (((0, 0), (1, 1)), "ellipse", "polygon, rectangle, got 'ellipse'"),
])
def test_bad_regions_say_what_is_allowed(vertices, kind, message):
    with pytest.raises(ParameterError, match=message):
        Region(vertices, kind=kind)


def test_points_follow_the_mask():
    square = Region(((10, 10), (20, 20)), kind="rectangle")
    points = np.array([[15, 15], [20.4, 10], [20.6, 10], [5, 15], [-3, 12], [100, 100]])
    assert points_in_regions(points, [square]).tolist() == [True, True, False, False, False, False]
    assert points_in_regions(points, []).all()
    assert points_in_regions(np.empty((0, 2)), [square]).shape == (0,)


def test_counting_in_a_region_keeps_cells_whose_centroid_is_inside(disc_labels):
    labels = disc_labels(centres=((15, 20), (15, 60), (45, 40)), radius=6)
    left_half = Region(((0, 0), (39, 59)), kind="rectangle")
    fix = Corrections(added=((30.0, 50.0), (70.0, 50.0)))
    result = apply_corrections(labels, None, fix, radius=5, regions=[left_half])
    assert result.kept_ids.tolist() == [1]
    assert result.n_detected == 1 and result.n_added == 1 and result.count == 2
    cut = Region(((0, 0), (21, 59)), kind="rectangle")
    assert apply_corrections(labels, None, Corrections(), 5, [cut]).kept_ids.tolist() == [1]
    assert apply_corrections(labels, None, Corrections(), 5, [Region(((0, 0), (19, 59)), kind="rectangle")]).count == 0


def test_region_round_trips_through_a_dict():
    region = Region(((1.5, 2), (3, 4), (5, 0)))
    assert Region.from_dict(region.to_dict()) == region
