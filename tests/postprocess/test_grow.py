"""Growing found cell interiors back to whole cells (3-class models)."""

from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.postprocess import PostprocessParams, grow_labels, postprocess


def disc(shape, centre, radius):
    yy, xx = np.indices(shape)
    return (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius ** 2


def test_interiors_grown_by_the_rim_get_back_the_cells_area_and_stay_apart():
    shape = (40, 70)
    cells = np.zeros(shape, np.int32)
    cells[disc(shape, (20, 20), 10)] = 1
    cells[disc(shape, (20, 40), 10) & (cells == 0)] = 2   # touches cell 1
    interiors = np.where(disc(shape, (20, 20), 8) | disc(shape, (20, 40), 8), cells, 0)
    interiors[:, 30] = 0                                   # a gap where they touch
    grown = grow_labels(interiors, 2)
    assert set(np.unique(grown)) == {0, 1, 2}
    for cell in (1, 2):
        # within a pixel's rim of the true outline
        assert abs(int((grown == cell).sum()) - int((cells == cell).sum())) < 0.15 * (cells == cell).sum()
    assert grown[20, 29] == 1 and grown[20, 31] == 2        # each side keeps its cell


def test_growth_never_merges_and_keeps_every_pixel_of_the_objects():
    rng = np.random.default_rng(3)
    labels = np.zeros((50, 50), np.int32)
    for index in range(1, 25):
        labels[tuple(rng.integers(0, 50, 2))] = index
    grown = grow_labels(labels, 4)
    assert np.array_equal(grown[labels > 0], labels[labels > 0])
    assert set(np.unique(grown)) == set(np.unique(labels))
    assert grown.dtype == labels.dtype


def test_a_mask_is_labelled_first_and_zero_growth_is_a_copy():
    mask = np.zeros((5, 9), bool)
    mask[2, 1] = mask[2, 6] = True
    grown = grow_labels(mask, 1)
    assert grown.max() == 2 and int((grown > 0).sum()) == 10
    labels = mask.astype(np.uint16)
    assert np.array_equal(grow_labels(labels, 0), labels)


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_bad_distance_is_refused_with_its_name(bad):
    with pytest.raises(ParameterError, match="distance"):
        grow_labels(np.ones((3, 3), np.int32), bad)


def test_the_size_filters_judge_the_grown_cells():
    shape = (40, 80)
    probability = np.zeros(shape)
    probability[disc(shape, (20, 12), 7)] = 1.0
    probability[disc(shape, (20, 40), 3)] = 1.0            # the core of a small nucleus: 29 px², whole ~80 px²
    probability[disc(shape, (20, 65), 1)] = 1.0            # debris: 5 px², still below 40 px² when grown
    params = PostprocessParams(min_size=40, split_touching=False)
    plain = postprocess(probability, params)
    grown = postprocess(probability, params.replace(grow=2))
    assert plain.max() == 1 and grown.max() == 2
    assert grown[20, 40] == 2 and grown[20, 65] == 0
    assert (grown == 1).sum() > (plain == 1).sum()
    assert postprocess(probability, params.replace(grow=2, max_size=150)).max() == 1  # the big one grew past it


def test_grow_is_a_length_so_it_follows_the_cell_size():
    from cellcounter_app.postprocess.size import derive_params
    assert derive_params(PostprocessParams(grow=1), 0.5).grow == 2


def nearest_object_reference(labels: np.ndarray, distance: int) -> np.ndarray:
    """Each background pixel to the nearest object within ``distance`` (ties: lower id), by brute force."""
    grown = labels.copy()
    points = np.argwhere(labels > 0)
    ids = labels[points[:, 0], points[:, 1]]
    for y, x in np.argwhere(labels == 0):
        d2 = ((points - (y, x)) ** 2).sum(axis=1)
        near = d2 <= distance * distance
        if near.any():
            grown[y, x] = ids[near][d2[near] == d2[near].min()].min()
    return grown


@pytest.mark.parametrize("distance", [1, 2, 3, 4, 6])
def test_each_background_pixel_goes_to_the_nearest_object_ties_to_the_lower_id(distance):
    rng = np.random.default_rng(distance)
    for _ in range(8):
        shape = tuple(int(n) for n in rng.integers(5, 50, 2))
        labels = np.zeros(shape, np.int32)
        for index in rng.permutation(np.arange(1, 16)):
            y, x = rng.integers(0, shape[0]), rng.integers(0, shape[1])
            labels[max(0, y - rng.integers(0, 3)):y + rng.integers(1, 3),
                   max(0, x - rng.integers(0, 3)):x + rng.integers(1, 3)] = index
        assert np.array_equal(grow_labels(labels, distance), nearest_object_reference(labels, distance))
