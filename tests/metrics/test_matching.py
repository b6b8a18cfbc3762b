"""Tests of centroid and IoU matching and of the detection scores."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.metrics import MatchResult, aggregate, centroids, match_labels, match_points


def test_hand_computed_case():
    true = [[10, 10], [50, 50], [90, 90]]
    pred = [[12, 11], [50, 47], [10, 90]]
    r = match_points(true, pred, max_distance=5)
    assert (r.tp, r.fp, r.fn) == (2, 1, 1)
    assert r.precision == pytest.approx(2 / 3)
    assert r.recall == pytest.approx(2 / 3)
    assert r.f1 == pytest.approx(2 / 3)
    assert r.accuracy == pytest.approx(0.5)
    assert r.pairs.tolist() == [[0, 0], [1, 1]]
    assert r.mean_matched_score == pytest.approx((np.sqrt(5) + 3) / 2)


def test_optimal_matching_beats_greedy():
    # Greedy closest-first takes (t0, p0) at distance 1 and then nothing else fits;
    # the optimum matches t0 with p1 and t1 with p0.
    true = [[0, 0], [0, 2.5]]
    pred = [[0, 1], [0, -2]]
    r = match_points(true, pred, max_distance=2.2)
    assert r.tp == 2
    assert r.pairs.tolist() == [[0, 1], [1, 0]]
    assert r.mean_matched_score == pytest.approx((2 + 1.5) / 2)


def test_among_full_matchings_total_distance_is_minimal():
    r = match_points([[0, 0], [0, 10]], [[0, 9], [0, 1]], max_distance=20)
    assert r.pairs.tolist() == [[0, 1], [1, 0]]
    assert r.mean_matched_score == pytest.approx(1.0)


def test_distance_exactly_at_radius_does_not_match():
    assert match_points([[0, 0]], [[3, 4]], max_distance=5).tp == 0
    assert match_points([[0, 0]], [[3, 4]], max_distance=5.0001).tp == 1


def test_coincident_points_match():
    r = match_points([[7, 7]], [[7, 7]], max_distance=1)
    assert r.tp == 1 and r.mean_matched_score == 0.0


def _brute_force(true: np.ndarray, pred: np.ndarray, radius: float) -> tuple[int, float]:
    """Most pairs, then least total distance, over every one-to-one assignment."""
    d = np.linalg.norm(true[:, None] - pred[None], axis=2)
    best = (0, 0.0)
    for perm in itertools.permutations(range(len(pred)), len(true)):
        dist = d[np.arange(len(true)), perm]
        ok = dist < radius
        cand = (int(ok.sum()), float(dist[ok].sum()))
        if cand[0] > best[0] or (cand[0] == best[0] and cand[1] < best[1]):
            best = cand
    return best


@pytest.mark.parametrize("seed", range(12))
def test_matches_brute_force_on_small_random_sets(seed):
    rng = np.random.default_rng(seed)
    true = rng.uniform(0, 10, (int(rng.integers(1, 5)), 2))
    pred = rng.uniform(0, 10, (int(rng.integers(len(true), 6)), 2))
    n, total = _brute_force(true, pred, 4.0)
    r = match_points(true, pred, 4.0)
    assert r.tp == n
    assert r.tp * (r.mean_matched_score if r.tp else 0.0) == pytest.approx(total)
    assert len(set(r.pairs[:, 0])) == len(set(r.pairs[:, 1])) == r.tp


def test_empty_conventions():
    none = np.empty((0, 2))
    both = match_points(none, none, 5)
    assert (both.precision, both.recall, both.f1, both.accuracy) == (1.0, 1.0, 1.0, 1.0)
    assert np.isnan(both.mean_matched_score)
    no_truth = match_points(none, [[1, 1], [2, 2]], 5)
    assert (no_truth.precision, no_truth.recall, no_truth.f1, no_truth.fp) == (0.0, 1.0, 0.0, 2)
    no_pred = match_points([[1, 1]], [], 5)
    assert (no_pred.precision, no_pred.recall, no_pred.f1, no_pred.fn) == (1.0, 0.0, 0.0, 1)
    disjoint = match_points([[0, 0]], [[100, 100]], 5)
    assert (disjoint.precision, disjoint.recall, disjoint.f1, disjoint.accuracy) == (0.0, 0.0, 0.0, 0.0)


@pytest.mark.parametrize("radius", [0, -1, float("nan"), float("inf")])
def test_bad_radius_is_refused(radius):
    with pytest.raises(ParameterError, match="max_distance must be a finite number > 0"):
        match_points([[0, 0]], [[0, 0]], radius)


def test_bad_points_are_refused():
    with pytest.raises(ParameterError, match="same dimension"):
        match_points([[0, 0]], [[0, 0, 0]], 5)
    with pytest.raises(ParameterError, match=r"\(n, d\) array"):
        match_points([0, 0], [[0, 0]], 5)
    with pytest.raises(ParameterError, match="finite"):
        match_points([[0, np.nan]], [[0, 0]], 5)


def test_two_thousand_points_match_almost_all_true_pairs():
    rng = np.random.default_rng(1)
    true = rng.uniform(0, 2000, (2000, 2))
    keep = true[rng.random(2000) < 0.9]
    pred = np.concatenate([keep + rng.normal(0, 4, keep.shape), rng.uniform(0, 2000, (200, 2))])
    near = match_points(true, pred, 20)
    random_sets = match_points(true, rng.uniform(0, 2000, (2000, 2)), 50)
    assert near.tp >= keep.shape[0] * 0.98
    assert 0 < random_sets.tp <= 2000


def test_centroids_in_label_order():
    lab = np.zeros((6, 6), dtype=np.uint16)
    lab[0:2, 0:2] = 7
    lab[4, 1:6] = 3
    np.testing.assert_allclose(centroids(lab), [[4.0, 3.0], [0.5, 0.5]])
    assert centroids(np.zeros((3, 3), dtype=int)).shape == (0, 2)


def test_centroids_refuse_masks_and_floats():
    with pytest.raises(ParameterError, match="integer label image"):
        centroids(np.ones((2, 2), dtype=bool))
    with pytest.raises(ParameterError, match="integer label image"):
        centroids(np.ones((2, 2)))
    with pytest.raises(ParameterError, match="labels >= 0"):
        centroids(-np.ones((2, 2), dtype=int))


def _squares(shift: int, width: int = 4) -> tuple[np.ndarray, np.ndarray]:
    a = np.zeros((6, 12), dtype=int)
    b = np.zeros((6, 12), dtype=int)
    a[1:5, 1:5] = 1
    b[1:5, 1 + shift:1 + shift + width] = 1
    return a, b


def test_iou_matching_of_overlapping_squares():
    a, b = _squares(1)  # intersection 12, union 20
    r = match_labels(a, b)
    assert r.tp == 1 and r.mean_matched_score == pytest.approx(0.6)
    a, b = _squares(2)  # intersection 8, union 24
    assert match_labels(a, b).tp == 0
    assert match_labels(a, b, iou_threshold=0.3).mean_matched_score == pytest.approx(1 / 3)


def test_iou_threshold_is_strict():
    a, b = _squares(0, width=2)  # IoU exactly 8 / 16
    assert match_labels(a, b, 0.5).tp == 0
    assert match_labels(a, b, 0.49).tp == 1


def test_iou_matching_is_one_to_one_below_one_half():
    truth = np.zeros((4, 8), dtype=int)
    truth[:, :] = 1
    pred = np.zeros((4, 8), dtype=int)
    pred[:, 0:4] = 5
    pred[:, 4:8] = 9
    r = match_labels(truth, pred, iou_threshold=0.1)
    assert (r.tp, r.fp, r.fn) == (1, 1, 0)


def test_iou_pairs_index_labels_present_in_order():
    truth = np.zeros((4, 12), dtype=int)
    truth[:, 0:3] = 4
    truth[:, 6:9] = 2
    pred = np.zeros((4, 12), dtype=int)
    pred[:, 6:9] = 1000
    pred[:, 10:12] = 3
    r = match_labels(truth, pred)
    assert r.pairs.tolist() == [[0, 1]]
    assert (r.n_true, r.n_pred, r.mean_matched_score) == (2, 2, 1.0)


def test_iou_matching_refuses_bad_input():
    with pytest.raises(ParameterError, match="same shape"):
        match_labels(np.zeros((2, 2), dtype=int), np.zeros((2, 3), dtype=int))
    with pytest.raises(ParameterError, match="iou_threshold must be between 0 and 1"):
        match_labels(np.zeros((2, 2), dtype=int), np.zeros((2, 2), dtype=int), 1.0)


def test_aggregate_is_a_micro_average():
    a = match_points([[0, 0], [10, 10]], [[0, 1]], 3)
    b = match_points([[0, 0]], [[0, 2], [9, 9]], 3)
    r = aggregate([a, b])
    assert (r.n_true, r.n_pred, r.tp, r.fp, r.fn) == (3, 3, 2, 1, 1)
    assert r.precision == pytest.approx(2 / 3) and r.recall == pytest.approx(2 / 3)
    assert r.mean_matched_score == pytest.approx(1.5)
    assert r.pairs.shape == (0, 2)
    with pytest.raises(ParameterError, match="at least one"):
        aggregate([])


def test_result_record():
    r = MatchResult.from_counts(n_true=4, n_pred=2, tp=2)
    assert r.to_dict() == {
        "n_true": 4, "n_pred": 2, "tp": 2, "fp": 0, "fn": 2, "precision": 1.0, "recall": 0.5,
        "f1": pytest.approx(2 / 3), "accuracy": 0.5, "mean_matched_score": pytest.approx(float("nan"), nan_ok=True),
    }
    with pytest.raises(ParameterError, match="tp must be between 0 and min"):
        MatchResult.from_counts(n_true=1, n_pred=2, tp=2)
