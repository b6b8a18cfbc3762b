"""Targets: touching cells come apart, boundary class, weight maps between close cells."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from cellcounter_app.errors import ParameterError
from cellcounter_app.training.targets import make_targets, weight_map


def discs(centres, radius=8, shape=(64, 96)) -> np.ndarray:
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    labels = np.zeros(shape, np.int32)
    for index, (r, c) in enumerate(centres, start=1):
        labels[((rows - r) ** 2 + (cols - c) ** 2 <= radius**2) & (labels == 0)] = index
    return labels


TOUCHING = discs([(32, 30), (32, 44), (20, 70)])  # 1 and 2 overlap (cut by first-come), 3 alone


@pytest.mark.parametrize("n_classes", [1, 2])
def test_binary_target_separates_touching_cells(n_classes):
    assert ndi.label(TOUCHING > 0, structure=np.ones((3, 3)))[1] == 2
    target, _ = make_targets(TOUCHING, n_classes)
    assert target.dtype == np.uint8 and set(np.unique(target)) == {0, 1}
    assert ndi.label(target, structure=np.ones((3, 3)))[1] == 3
    alone = TOUCHING == 3
    np.testing.assert_array_equal(target[alone], 1)


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_cut_is_boundary_width_wide(width):
    labels = np.zeros((20, 40), np.int32)
    labels[5:15, 5:20], labels[5:15, 20:35] = 1, 2
    target, _ = make_targets(labels, boundary_width=width)
    gap = np.flatnonzero(target[10, 5:35] == 0)
    assert gap.size == width
    assert target[10, 5:35].sum() == 30 - width


def test_three_classes_mark_interior_and_boundary():
    target, _ = make_targets(TOUCHING, 3)
    assert set(np.unique(target)) == {0, 1, 2}
    np.testing.assert_array_equal(target == 0, TOUCHING == 0)
    outline = (TOUCHING > 0) & ~ndi.binary_erosion(TOUCHING > 0)
    assert (target[outline] == 2).all()
    contact = (TOUCHING == 1) & ndi.binary_dilation(TOUCHING == 2)
    assert contact.any() and (target[contact] == 2).all()
    for index in (1, 2, 3):
        assert (target[TOUCHING == index] == 1).sum() > 50
    interior = ndi.binary_erosion(TOUCHING == 3, iterations=2)
    assert (target[interior] == 1).all()


def test_weight_is_highest_between_close_cells():
    labels = discs([(32, 20), (32, 41), (32, 80)], radius=8)
    _, weight = make_targets(labels)
    assert weight.dtype == np.float32 and weight.min() >= 1.0
    gap = weight[32, 30]  # between cells 1 and 2, 2 px from each
    far_side = weight[32, 5]  # background beside cell 1 away from cell 2
    lonely = weight[10, 80]  # background near the lone cell 3 only
    assert gap > 5.0 > far_side and gap > lonely
    assert weight[5, 60] == pytest.approx(1.0, abs=0.05)


def test_weight_sigma_follows_the_diameter():
    labels = discs([(32, 20), (32, 41)], radius=8)
    _, small = make_targets(labels, diameter_px=8.0)
    _, large = make_targets(labels, diameter_px=40.0)
    assert large[32, 30] > small[32, 30]
    assert large[32, 5] > small[32, 5]


def test_weight_map_is_flat_without_neighbours():
    one = discs([(32, 40)])
    np.testing.assert_array_equal(weight_map(one, sigma=8.0), 1.0)
    np.testing.assert_array_equal(weight_map(TOUCHING, sigma=8.0, w0=0.0), 1.0)
    np.testing.assert_array_equal(make_targets(np.zeros((8, 8), np.uint16))[1], 1.0)


def test_ids_need_not_be_consecutive():
    sparse = TOUCHING.astype(np.int64) * 1000
    target, weight = make_targets(sparse, 3)
    reference, reference_weight = make_targets(TOUCHING, 3)
    np.testing.assert_array_equal(target, reference)
    np.testing.assert_allclose(weight, reference_weight)


@pytest.mark.parametrize("kwargs, message", [
    ({"n_classes": 4}, "n_classes must be 1, 2 or 3"),
    ({"boundary_width": 0}, "boundary_width must be an integer >= 1"),
    ({"weight_sigma_factor": 0.0}, "weight_sigma_factor must be > 0"),
    ({"w0": -1.0}, "w0 must be >= 0"),
    ({"kind": "edges"}, "kind must be 'mask'"),
    ({"kind": "distance", "n_classes": 3}, "kind must be 'mask'"),
])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        make_targets(TOUCHING, **kwargs)


def test_float_labels_are_refused():
    with pytest.raises(ParameterError, match="integer image"):
        make_targets(TOUCHING.astype(np.float32))


def test_distance_target_peaks_at_each_centre_and_touching_cells_meet_in_a_valley():
    target, weight = make_targets(TOUCHING, kind="distance")
    assert target.dtype == np.float32 and float(target.min()) == 0.0
    for index in (1, 2, 3):
        inside = TOUCHING == index
        assert float(target[inside].max()) == pytest.approx(1.0)
        assert float(target[inside].min()) > 0.0
    np.testing.assert_array_equal(target[TOUCHING == 0], 0.0)
    # along the line through both centres: high, a valley at the contact, high again
    line = target[32, 30:45]
    assert line[0] == pytest.approx(1.0) and line[-1] > 0.8   # cell 2 lost its left side to cell 1
    assert float(line.min()) < 0.2
    assert ndi.label(target >= 0.5, structure=np.ones((3, 3)))[1] == 3
    assert weight.shape == TOUCHING.shape and float(weight.max()) > 1.0


def test_distance_target_keeps_a_cell_cut_by_the_image_edge_whole_inside():
    labels = np.zeros((20, 20), np.int32)
    labels[:8, 5:15] = 1                                   # cut by the top edge
    target, _ = make_targets(labels, kind="distance")
    assert target[0, 10] == pytest.approx(1.0)             # the edge is not an outline
