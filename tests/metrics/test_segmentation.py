"""Tests of the pixel-level segmentation scores and the label helpers."""

from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.metrics import boundary_dice, object_boundaries, overlap_table, segmentation_scores
from cellcounter_app.metrics.segmentation import compact_labels


def _pair() -> tuple[np.ndarray, np.ndarray]:
    truth = np.zeros((10, 10), dtype=int)
    truth[0:4, 0:4] = 1  # 16 px
    truth[6:8, 6:8] = 2  # 4 px
    pred = np.zeros((10, 10), dtype=int)
    pred[0:4, 1:5] = 3  # covers 12 of object 1: IoU 12 / 20
    pred[6:8, 7:9] = 4  # covers 2 of object 2 (exactly half): IoU 2 / 6
    return truth, pred


def test_seg_mean_iou_and_dice_by_hand():
    s = segmentation_scores(*_pair())
    assert s["seg"] == pytest.approx((0.6 + 0.0) / 2)
    assert s["mean_iou"] == pytest.approx((0.6 + 1 / 3) / 2)
    assert s["dice"] == pytest.approx(2 * 14 / 40)
    assert 0 < s["boundary_dice"] < 1


def test_perfect_segmentation_scores_one():
    truth, _ = _pair()
    relabelled = np.where(truth > 0, truth + 10, 0)
    assert segmentation_scores(truth, relabelled) == {"mean_iou": 1.0, "seg": 1.0, "dice": 1.0, "boundary_dice": 1.0}


def test_empty_images():
    empty = np.zeros((5, 5), dtype=int)
    s = segmentation_scores(empty, empty)
    assert np.isnan(s["mean_iou"]) and np.isnan(s["seg"])
    assert s["dice"] == 1.0 and s["boundary_dice"] == 1.0
    truth, _ = _pair()
    missed = segmentation_scores(truth, np.zeros_like(truth))
    assert (missed["mean_iou"], missed["seg"], missed["dice"], missed["boundary_dice"]) == (0.0, 0.0, 0.0, 0.0)


def test_object_boundaries():
    lab = np.zeros((5, 8), dtype=int)
    lab[1:4, 1:4] = 1
    lab[1:4, 4:7] = 2
    lab[0, 7] = 3
    b = object_boundaries(lab)
    assert not b[2, 2] and not b[2, 5]  # interiors
    assert b[2, 3] and b[2, 4]  # both sides of the contact line
    assert b[1:4, 1:7].sum() == 16
    assert b[0, 7]  # a 1-px object next to background is all boundary
    full = np.ones((4, 4), dtype=int)
    assert not object_boundaries(full).any()  # the image edge is not a boundary


def test_boundary_dice_tolerance():
    a = np.zeros((9, 9), dtype=int)
    a[2:7, 2:7] = 1
    shifted = np.roll(a, 1, axis=1)
    far = np.roll(a, 3, axis=1)
    assert boundary_dice(a, shifted) == 1.0
    # exact boundaries: ring of 16 px each, overlapping on 8 (top and bottom rows, 4 each)
    assert boundary_dice(a, shifted, tolerance=0) == pytest.approx(2 * 8 / 32)
    assert boundary_dice(a, far) < 1.0
    assert boundary_dice(a, far, tolerance=3) == 1.0
    with pytest.raises(ParameterError, match="tolerance must be >= 0"):
        boundary_dice(a, a, tolerance=-1)


def test_overlap_table_sparse_path_and_large_labels():
    truth = np.zeros((4, 6), dtype=np.uint64)
    truth[:, 0:3] = 2**40
    truth[:, 3:6] = 5
    pred = np.zeros((4, 6), dtype=np.int32)
    pred[:, 2:4] = 7
    t = overlap_table(truth, pred)
    assert (t.n_true, t.n_pred) == (2, 1)
    assert t.true_area.tolist() == [12, 12]
    assert sorted(zip(t.true_index.tolist(), t.pred_index.tolist(), t.intersection.tolist())) == [
        (0, 0, 4), (1, 0, 4)
    ]
    np.testing.assert_allclose(t.iou, [4 / 16, 4 / 16])


def test_compact_labels():
    lab = np.array([[0, 9, 9], [4, 0, 4]])
    compact, ids = compact_labels(lab)
    assert ids.tolist() == [4, 9]
    assert compact.tolist() == [[0, 2, 2], [1, 0, 1]]
    huge = np.array([[0, 10**12], [3, 0]], dtype=np.int64)
    compact, ids = compact_labels(huge)
    assert ids.tolist() == [3, 10**12] and compact.tolist() == [[0, 2], [1, 0]]
    no_background = np.array([[10**12, 3]], dtype=np.int64)
    assert compact_labels(no_background)[0].tolist() == [[2, 1]]


def test_shape_mismatch_is_refused():
    with pytest.raises(ParameterError, match="same shape"):
        segmentation_scores(np.zeros((3, 3), dtype=int), np.zeros((3, 4), dtype=int))
