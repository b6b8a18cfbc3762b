"""Tests of the one-stop per-image evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.metrics import evaluate_labels


def test_evaluate_labels_by_hand():
    truth = np.zeros((20, 20), dtype=np.int32)
    truth[1:5, 1:5] = 1
    truth[10:14, 10:14] = 2
    truth[1:5, 14:18] = 3
    pred = np.zeros((20, 20), dtype=np.uint16)
    pred[1:5, 2:6] = 8  # IoU 0.6 with cell 1, centroid 1 px away
    pred[10:14, 12:16] = 9  # IoU 1/3 with cell 2, centroid 2 px away
    pred[16:19, 1:4] = 4  # spurious
    r = evaluate_labels(truth, pred, max_distance=3)
    assert (r["n_true"], r["n_pred"], r["tp"], r["fp"], r["fn"]) == (3, 3, 2, 1, 1)
    assert r["f1"] == pytest.approx(2 / 3) and r["accuracy"] == pytest.approx(0.5)
    assert r["mean_distance"] == pytest.approx(1.5)
    assert (r["iou_tp"], r["iou_f1"]) == (1, pytest.approx(1 / 3))
    assert r["mean_iou"] == pytest.approx((0.6 + 1 / 3 + 0) / 3)
    assert r["seg"] == pytest.approx(0.6 / 3)
    assert r["dice"] == pytest.approx(2 * 20 / (48 + 41))
    assert 0 < r["boundary_dice"] < 1


def test_evaluate_empty_image():
    empty = np.zeros((8, 8), dtype=int)
    r = evaluate_labels(empty, empty, max_distance=5)
    assert (r["precision"], r["recall"], r["f1"], r["iou_f1"], r["dice"]) == (1.0, 1.0, 1.0, 1.0, 1.0)
    assert np.isnan(r["seg"])
