"""Tests of the single post-processing steps, on small synthetic masks."""

from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.postprocess import binarize, drop_border, fill_holes, relabel, remove_small


def disc(shape: tuple[int, int], centre: tuple[float, float], radius: float) -> np.ndarray:
    rows, cols = np.indices(shape)
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2


def test_binarize_uses_greater_or_equal_and_nan_is_background():
    probability = np.array([[0.49, 0.5, np.nan, 1.0]], dtype=np.float32)
    assert binarize(probability, 0.5).tolist() == [[False, True, False, True]]


@pytest.mark.parametrize("threshold", [-0.1, 1.5, float("nan"), "0.5", True])
def test_binarize_rejects_bad_thresholds(threshold):
    with pytest.raises(ParameterError, match="threshold"):
        binarize(np.zeros((2, 2)), threshold)


@pytest.mark.parametrize("shape", [(4,), (2, 2, 2), (0, 3)])
def test_binarize_rejects_non_2d_or_empty(shape):
    with pytest.raises(ParameterError, match="probability"):
        binarize(np.zeros(shape), 0.5)


def test_fill_holes_fills_up_to_the_size_and_not_larger():
    mask = disc((40, 40), (20, 20), 15)
    small = disc((40, 40), (12, 20), 1.5)  # 9 px hole
    large = disc((40, 40), (24, 20), 4)  # 49 px hole
    mask &= ~small & ~large
    assert small.sum() == 9 and large.sum() == 49
    filled = fill_holes(mask, 9)
    assert filled[small].all() and not filled[large].any()
    assert fill_holes(mask, 49)[large].all()
    assert not fill_holes(mask, 8)[small].any()
    assert np.array_equal(fill_holes(mask, 0), mask)


def test_fill_holes_leaves_background_open_to_the_border():
    mask = np.ones((10, 10), dtype=bool)
    mask[0, 3:6] = False  # a notch in the border, not a hole
    mask[4:6, 0] = False
    assert np.array_equal(fill_holes(mask, 1000), mask)


def test_fill_holes_uses_four_connected_background():
    mask = np.ones((5, 5), dtype=bool)
    mask[1, 1] = mask[2, 2] = False  # diagonal neighbours: two separate one-pixel holes
    assert fill_holes(mask, 1).all()


def test_fill_holes_does_not_modify_its_input():
    mask = np.ones((5, 5), dtype=bool)
    mask[2, 2] = False
    fill_holes(mask, 10)
    assert not mask[2, 2]


def test_remove_small_keeps_objects_of_exactly_min_size():
    mask = np.zeros((10, 20), dtype=bool)
    mask[1:3, 1:3] = True  # 4 px
    mask[5:8, 5:8] = True  # 9 px
    kept = remove_small(mask, 9)
    assert kept.dtype == bool
    assert kept.sum() == 9 and kept[6, 6]
    assert remove_small(mask, 4).sum() == 13


def test_remove_small_max_size_on_labels_keeps_ids():
    labels = np.zeros((10, 20), dtype=np.uint16)
    labels[1:3, 1:3] = 5  # 4 px
    labels[5:8, 5:8] = 9  # 9 px
    labels[1:2, 10:19] = 2  # 9 px
    kept = remove_small(labels, 0, max_size=8)
    assert kept.dtype == np.uint16
    assert set(np.unique(kept)) == {0, 5}
    assert set(np.unique(remove_small(labels, 5, max_size=9))) == {0, 2, 9}


def test_remove_small_handles_huge_label_ids():
    labels = np.zeros((4, 4), dtype=np.uint32)
    labels[0, :2] = 4_000_000_000
    labels[3, 3] = 7
    assert np.array_equal(remove_small(labels, 2), np.where(labels == 7, 0, labels))


def test_remove_small_lets_objects_cut_by_the_border_off_with_a_fraction_of_the_minimum():
    labels = np.zeros((10, 20), dtype=np.uint16)
    labels[0:2, 5:8] = 3  # 6 px on the top border
    labels[4:6, 4:7] = 4  # 6 px inside
    labels[8:10, 18:20] = 7  # 4 px in the corner
    assert set(np.unique(remove_small(labels, 9))) == {0}
    assert set(np.unique(remove_small(labels, 9, border_min_fraction=0.6))) == {0, 3}
    assert set(np.unique(remove_small(labels, 9, border_min_fraction=0.0))) == {0, 3, 7}
    with pytest.raises(ParameterError, match="border_min_fraction"):
        remove_small(labels, 9, border_min_fraction=-0.1)


def test_remove_small_rejects_max_below_min():
    with pytest.raises(ParameterError, match="max_size"):
        remove_small(np.zeros((3, 3), dtype=bool), 10, max_size=5)


@pytest.mark.parametrize("bad", [-1, 2.5, "3", None])
def test_remove_small_rejects_bad_sizes(bad):
    with pytest.raises(ParameterError, match="min_size"):
        remove_small(np.zeros((3, 3), dtype=bool), bad)


def test_drop_border_with_and_without_margin():
    labels = np.zeros((12, 12), dtype=np.int32)
    labels[0:2, 5:7] = 1  # touches the top border
    labels[2:4, 2:4] = 2  # 2 px from the border
    labels[5:7, 5:7] = 3  # well inside
    assert set(np.unique(drop_border(labels))) == {0, 2, 3}
    assert set(np.unique(drop_border(labels, margin=1))) == {0, 2, 3}
    assert set(np.unique(drop_border(labels, margin=2))) == {0, 3}


def test_drop_border_on_a_mask_returns_a_mask():
    mask = np.zeros((6, 6), dtype=bool)
    mask[0, 0] = mask[3, 3] = True
    dropped = drop_border(mask)
    assert dropped.dtype == bool and dropped.sum() == 1 and dropped[3, 3]


def test_drop_border_margin_wider_than_the_image_drops_everything():
    labels = np.ones((3, 3), dtype=np.int32)
    assert not drop_border(labels, margin=5).any()


def test_relabel_orders_ids_by_first_pixel():
    labels = np.array([[0, 9, 9, 0], [4, 0, 0, 2], [4, 0, 7, 2]])
    relabelled = relabel(labels)
    assert relabelled.dtype == np.uint32
    assert relabelled.tolist() == [[0, 1, 1, 0], [2, 0, 0, 3], [2, 0, 4, 3]]


def test_relabel_is_consecutive_for_huge_ids_and_empty_images():
    labels = np.array([[0, 3_000_000_000], [12, 0]], dtype=np.uint32)
    assert relabel(labels).tolist() == [[0, 1], [2, 0]]
    assert not relabel(np.zeros((3, 4), dtype=np.int64)).any()


def test_relabel_rejects_float_and_negative_labels():
    with pytest.raises(ParameterError, match="integer"):
        relabel(np.zeros((2, 2)))
    with pytest.raises(ParameterError, match="negative"):
        relabel(np.array([[-1, 0]]))
