"""Tests of the threshold sweep."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import ndimage as ndi

from cellcounter_app.errors import ParameterError
from cellcounter_app.metrics import DEFAULT_THRESHOLDS, iter_threshold_sweep, pr_auc, threshold_sweep

GRID = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


def _segment(prob: np.ndarray, threshold: float) -> np.ndarray:
    return ndi.label(prob > threshold)[0]


def _image(cells: list[float], spurious: int) -> tuple[np.ndarray, np.ndarray]:
    """A probability map with one 4x4 blob per true cell (at the given
    probability) and ``spurious`` blobs of probability 0.35 that are not cells."""
    prob = np.zeros((40, 40))
    truth = np.zeros((40, 40), dtype=np.int32)
    spots = [(r, c) for r in range(2, 40, 8) for c in range(2, 40, 8)]
    for k, p in enumerate(cells):
        r, c = spots[k]
        prob[r:r + 4, c:c + 4] = p
        truth[r:r + 4, c:c + 4] = k + 1
    for r, c in spots[len(cells):len(cells) + spurious]:
        prob[r:r + 4, c:c + 4] = 0.35
    return prob, truth


def _dataset() -> tuple[list[np.ndarray], list[np.ndarray]]:
    # Image A: four confident cells, one faint cell (0.55), three spurious blobs (0.35).
    # Image B: two confident cells. Best thresholds: 0.4 and 0.5 (all 7 found, no FP).
    a = _image([0.85, 0.85, 0.85, 0.85, 0.55], spurious=3)
    b = _image([0.85, 0.85], spurious=0)
    return [a[0], b[0]], [a[1], b[1]]


def test_sweep_finds_the_known_best_threshold():
    probs, truths = _dataset()
    r = threshold_sweep(probs, truths, _segment, max_distance=3, thresholds=GRID)
    assert r.n_true == 7
    assert r.counts.tolist() == [10, 10, 10, 7, 7, 6, 6, 6, 0]
    assert r.tp.tolist() == [7, 7, 7, 7, 7, 6, 6, 6, 0]
    np.testing.assert_allclose(r.precision, [0.7] * 3 + [1.0] * 6)
    np.testing.assert_allclose(r.recall, [1.0] * 5 + [6 / 7] * 3 + [0.0])
    assert r.f1[0] == pytest.approx(14 / 17)
    assert r.best_f1 == 1.0
    assert r.best_f1_threshold == 0.5  # middle of the {0.4, 0.5} plateau (upper of two)
    assert r.knee_threshold == 0.5
    # curve (0,1) -> (6/7, 1) -> (1, 1) -> (1, 0.7): area 1
    assert r.pr_auc == pytest.approx(1.0)


def test_pr_auc_by_hand():
    thresholds = np.array([0.2, 0.5, 0.8])
    precision = np.array([0.4, 0.8, 1.0])
    recall = np.array([1.0, 0.5, 0.25])
    expected = 0.25 * 1.0 + 0.25 * (1.0 + 0.8) / 2 + 0.5 * (0.8 + 0.4) / 2
    assert pr_auc(thresholds, precision, recall) == pytest.approx(expected)


def test_progress_generator_returns_the_same_result():
    probs, truths = _dataset()
    steps = iter_threshold_sweep(probs, truths, _segment, max_distance=3, thresholds=[0.3, 0.6])
    progress = []
    while True:
        try:
            progress.append(next(steps))
        except StopIteration as stop:
            result = stop.value
            break
    assert progress == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert result.f1.tolist() == threshold_sweep(probs, truths, _segment, max_distance=3, thresholds=[0.6, 0.3]).f1.tolist()


def test_default_grid_and_json():
    probs, truths = _dataset()
    r = threshold_sweep(probs[1:], truths[1:], _segment, max_distance=3)
    assert r.thresholds.tolist() == DEFAULT_THRESHOLDS.tolist()
    assert len(DEFAULT_THRESHOLDS) == 37 and DEFAULT_THRESHOLDS[0] == 0.05 and DEFAULT_THRESHOLDS[-1] == 0.95
    data = json.loads(json.dumps(r.to_dict()))
    assert data["n_true"] == 2 and len(data["f1"]) == 37


def test_no_true_objects_gives_nan_auc():
    prob = np.zeros((10, 10))
    prob[2:5, 2:5] = 0.7
    r = threshold_sweep([prob], [np.zeros((10, 10), dtype=int)], _segment, max_distance=3, thresholds=[0.5, 0.8])
    assert np.isnan(r.pr_auc)
    assert r.f1.tolist() == [0.0, 1.0] and r.best_f1_threshold == 0.8


def test_bad_input_is_refused():
    probs, truths = _dataset()
    with pytest.raises(ParameterError, match="between 0 and 1"):
        threshold_sweep(probs, truths, _segment, max_distance=3, thresholds=[0.5, 1.5])
    with pytest.raises(ParameterError, match="non-empty 1-D"):
        threshold_sweep(probs, truths, _segment, max_distance=3, thresholds=[])
    with pytest.raises(ParameterError, match="same length"):
        threshold_sweep(probs, truths[:1], _segment, max_distance=3)
    with pytest.raises(ParameterError, match="truth's shape"):
        threshold_sweep(probs, truths, lambda p, t: _segment(p[:-1], t), max_distance=3, thresholds=[0.5])
