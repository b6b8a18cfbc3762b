"""One-to-one matching of predicted to true objects, and the detection scores.

Two ways to match, as in ``SCIENCE.md``:

* by centroid distance (`match_points`): a pair counts when the centroids are
  closer than ``max_distance`` (about one cell diameter);
* by overlap (`match_labels`): a pair counts when its IoU exceeds a threshold.

Both return a `MatchResult`. The conventions for empty images are fixed here
once for the whole package:

* precision = TP / n_pred, and 1 when nothing was predicted (nothing wrongly
  found);
* recall = TP / n_true, and 1 when there is nothing to find;
* F1 = 2PR / (P + R), and 0 when P + R = 0;
* accuracy = TP / (TP + FP + FN), and 1 when all three are 0.

So an empty truth with an empty prediction scores 1 everywhere, an empty truth
with predictions has precision 0, recall 1 and F1 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from ..errors import ParameterError
from .segmentation import as_label_image, compact_labels, overlap_table


@dataclass(frozen=True)
class MatchResult:
    """The outcome of matching predicted objects to true ones.

    Attributes
    ----------
    n_true, n_pred : int
        Number of true and predicted objects.
    tp, fp, fn : int
        Matched pairs, unmatched predictions, unmatched true objects.
    precision, recall, f1, accuracy : float
        Scores under the conventions of this module (accuracy = TP/(TP+FP+FN)).
    pairs : ndarray of int, shape (tp, 2)
        ``(true_index, pred_index)`` of each matched pair, sorted by true index.
        Empty for an `aggregate` of several images.
    mean_matched_score : float
        Mean centroid distance (centroid matching) or mean IoU (IoU matching)
        of the matched pairs; NaN when there are none.
    """

    n_true: int
    n_pred: int
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float
    accuracy: float
    pairs: np.ndarray = field(compare=False, repr=False)
    mean_matched_score: float = float("nan")

    @classmethod
    def from_counts(
        cls, n_true: int, n_pred: int, tp: int, pairs: np.ndarray | None = None,
        mean_matched_score: float = float("nan"),
    ) -> MatchResult:
        """Build a result from the three counts, computing every score."""
        n_true, n_pred, tp = int(n_true), int(n_pred), int(tp)
        if not 0 <= tp <= min(n_true, n_pred):
            raise ParameterError(
                f"tp must be between 0 and min(n_true, n_pred) = {min(n_true, n_pred)}, got {tp}"
            )
        precision = tp / n_pred if n_pred > 0 else 1.0
        recall = tp / n_true if n_true > 0 else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
        union = n_true + n_pred - tp
        accuracy = tp / union if union > 0 else 1.0
        if pairs is None:
            pairs = np.empty((0, 2), dtype=np.intp)
        pairs = np.asarray(pairs, dtype=np.intp).reshape(-1, 2)
        pairs.setflags(write=False)
        return cls(
            n_true=n_true, n_pred=n_pred, tp=tp, fp=n_pred - tp, fn=n_true - tp,
            precision=float(precision), recall=float(recall), f1=float(f1),
            accuracy=float(accuracy), pairs=pairs, mean_matched_score=float(mean_matched_score),
        )

    def to_dict(self) -> dict[str, Any]:
        """The scalar fields as plain Python numbers (``pairs`` left out), for tables and JSON."""
        return {
            "n_true": self.n_true, "n_pred": self.n_pred,
            "tp": self.tp, "fp": self.fp, "fn": self.fn,
            "precision": self.precision, "recall": self.recall,
            "f1": self.f1, "accuracy": self.accuracy,
            "mean_matched_score": self.mean_matched_score,
        }


def centroids(labels: ArrayLike) -> np.ndarray:
    """Centroid of every object of a label image.

    Parameters
    ----------
    labels : ndarray of int
        Instance label image, 0 = background. Labels need not be consecutive.

    Returns
    -------
    ndarray of float, shape (n, labels.ndim)
        Centroids in pixel coordinates ((row, col) for 2-D), one per label
        present, in increasing label order: for labels 1..n, row ``i`` is
        label ``i + 1``.

    Examples
    --------
    >>> lab = np.zeros((4, 5), dtype=int)
    >>> lab[0:2, 0:2] = 1
    >>> lab[3, 2:5] = 2
    >>> centroids(lab)
    array([[0.5, 0.5],
           [3. , 3. ]])
    """
    labels = as_label_image(labels, "labels")
    compact, ids = compact_labels(labels)
    n = ids.size
    flat = compact.ravel()
    fg = np.flatnonzero(flat)
    which = flat[fg]
    counts = np.bincount(which, minlength=n + 1)[1:]
    coords = np.unravel_index(fg, labels.shape)
    out = np.empty((n, labels.ndim), dtype=np.float64)
    for axis, c in enumerate(coords):
        out[:, axis] = np.bincount(which, weights=c, minlength=n + 1)[1:] / counts
    return out


def _assign(
    rows: np.ndarray, cols: np.ndarray, costs: np.ndarray, bound: float
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal one-to-one matching on a sparse candidate set.

    Maximises the number of pairs first, then minimises the total cost. Every
    candidate cost must lie in [0, ``bound``). The candidate graph is split into
    connected groups; a group with one candidate is taken as is, larger groups
    are solved with the Hungarian method on a dense group-sized matrix whose
    forbidden entries cost more than any set of allowed pairs can
    (``(min(group rows, group cols) + 1) * bound``), so one pair more always
    wins. Time and memory grow with the largest group, not with n x m.

    Returns the ``(k, 2)`` pairs sorted by row and their costs.
    """
    if rows.size == 0:
        return np.empty((0, 2), dtype=np.intp), np.empty(0)
    rows, cols = rows.astype(np.intp), cols.astype(np.intp)
    n_rows = int(rows.max()) + 1
    graph = coo_matrix((np.ones(rows.size), (rows, n_rows + cols)), shape=(n_rows + int(cols.max()) + 1,) * 2)
    _, component = connected_components(graph, directed=False)
    edge_group = component[rows]
    size = np.bincount(edge_group)
    single = size[edge_group] == 1
    out_r, out_c, out_cost = [rows[single]], [cols[single]], [costs[single]]
    multi = np.flatnonzero(~single)
    order = multi[np.argsort(edge_group[multi], kind="stable")]
    groups = np.split(order, np.flatnonzero(np.diff(edge_group[order])) + 1) if order.size else []
    for edges in groups:
        r_ids, r_loc = np.unique(rows[edges], return_inverse=True)
        c_ids, c_loc = np.unique(cols[edges], return_inverse=True)
        forbidden = (min(r_ids.size, c_ids.size) + 1) * bound
        dense = np.full((r_ids.size, c_ids.size), forbidden)
        dense[r_loc, c_loc] = costs[edges]
        ri, ci = linear_sum_assignment(dense)
        ok = dense[ri, ci] < forbidden
        out_r.append(r_ids[ri[ok]])
        out_c.append(c_ids[ci[ok]])
        out_cost.append(dense[ri[ok], ci[ok]])
    r, c, cost = np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_cost)
    order = np.argsort(r, kind="stable")
    return np.stack([r[order], c[order]], axis=1), cost[order]


def _check_points(points: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(points, dtype=np.float64)
    if arr.size == 0:
        return arr.reshape(0, arr.shape[-1] if arr.ndim == 2 else 2)
    if arr.ndim != 2:
        raise ParameterError(f"{name} must be an (n, d) array of coordinates, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"{name} must hold finite coordinates, got NaN or infinity")
    return arr


def match_points(true_points: ArrayLike, pred_points: ArrayLike, max_distance: float) -> MatchResult:
    """Match predicted to true points one-to-one by Euclidean distance.

    Only pairs strictly closer than ``max_distance`` may match (a pair exactly
    at ``max_distance`` does not). Among all one-to-one matchings the one with
    the most pairs is chosen, and among those the one with the smallest total
    distance (optimal, not greedy). Candidates come from a KD-tree and each
    connected group of candidates is solved separately with the Hungarian
    method, so thousands of points take well under a second.

    Parameters
    ----------
    true_points, pred_points : array_like, shape (n, d) and (m, d)
        Coordinates, e.g. (row, col) centroids from `centroids`.
    max_distance : float
        Matching radius in pixels, > 0 (``SCIENCE.md``: about a cell diameter).

    Returns
    -------
    MatchResult
        ``mean_matched_score`` is the mean distance of the matched pairs.

    Examples
    --------
    >>> r = match_points([[0, 0], [10, 10], [50, 50]], [[1, 0], [10, 12], [30, 30]], 5)
    >>> r.tp, r.fp, r.fn, round(r.f1, 3), r.accuracy
    (2, 1, 1, 0.667, 0.5)
    >>> r.pairs.tolist()
    [[0, 0], [1, 1]]
    """
    max_distance = float(max_distance)
    if not (np.isfinite(max_distance) and max_distance > 0):
        raise ParameterError(f"max_distance must be a finite number > 0 px, got {max_distance!r}")
    t = _check_points(true_points, "true_points")
    p = _check_points(pred_points, "pred_points")
    if t.shape[0] and p.shape[0] and t.shape[1] != p.shape[1]:
        raise ParameterError(
            f"true_points and pred_points must have the same dimension, got {t.shape[1]} and {p.shape[1]}"
        )
    if t.shape[0] == 0 or p.shape[0] == 0:
        return MatchResult.from_counts(t.shape[0], p.shape[0], 0)
    cand = cKDTree(t).sparse_distance_matrix(cKDTree(p), max_distance, output_type="ndarray")
    cand = cand[cand["v"] < max_distance]
    pairs, dist = _assign(cand["i"], cand["j"], cand["v"], max_distance)
    mean = float(dist.mean()) if dist.size else float("nan")
    return MatchResult.from_counts(t.shape[0], p.shape[0], pairs.shape[0], pairs, mean)


def match_labels(true_labels: ArrayLike, pred_labels: ArrayLike, iou_threshold: float = 0.5) -> MatchResult:
    """Match predicted to true objects one-to-one by intersection over union.

    A pair may match when its IoU is strictly greater than ``iou_threshold``.
    For thresholds >= 0.5 each object has at most one such partner, so the
    matching is unique; below 0.5 the matching with the most pairs, then the
    highest total IoU, is chosen (Hungarian method). Overlaps come from a
    sparse contingency table of the labels, never from per-object images.

    Parameters
    ----------
    true_labels, pred_labels : ndarray of int, same shape
        Instance label images, 0 = background. Indices in ``pairs`` count the
        labels present in increasing order (index ``i`` is label ``i + 1`` for
        consecutive labels), as in `centroids`.
    iou_threshold : float, optional
        In [0, 1); default 0.5 (``SCIENCE.md``).

    Returns
    -------
    MatchResult
        ``mean_matched_score`` is the mean IoU of the matched pairs.

    Examples
    --------
    >>> a = np.zeros((4, 8), dtype=int); a[:, 0:4] = 1
    >>> b = np.zeros((4, 8), dtype=int); b[:, 1:5] = 1
    >>> r = match_labels(a, b)
    >>> r.tp, r.mean_matched_score
    (1, 0.6)
    """
    iou_threshold = float(iou_threshold)
    if not 0.0 <= iou_threshold < 1.0:
        raise ParameterError(f"iou_threshold must be between 0 and 1 (1 excluded), got {iou_threshold!r}")
    table = overlap_table(true_labels, pred_labels)
    keep = table.iou > iou_threshold
    rows, cols, iou = table.true_index[keep], table.pred_index[keep], table.iou[keep]
    pairs, cost = _assign(rows, cols, 1.0 - iou, 1.0)
    mean = float((1.0 - cost).mean()) if cost.size else float("nan")
    return MatchResult.from_counts(table.n_true, table.n_pred, pairs.shape[0], pairs, mean)


def aggregate(results: Sequence[MatchResult]) -> MatchResult:
    """Micro-average several results: sum TP, n_true and n_pred, then score.

    ``mean_matched_score`` is the mean over all matched pairs of all results;
    ``pairs`` is empty (indices of different images cannot be mixed).

    Examples
    --------
    >>> a = MatchResult.from_counts(n_true=10, n_pred=8, tp=8)
    >>> b = MatchResult.from_counts(n_true=0, n_pred=2, tp=0)
    >>> r = aggregate([a, b])
    >>> r.tp, r.fp, r.fn, r.precision, r.recall
    (8, 2, 2, 0.8, 0.8)
    """
    results = list(results)
    if not results:
        raise ParameterError("aggregate needs at least one MatchResult, got none")
    tp = sum(r.tp for r in results)
    scored = [r for r in results if r.tp > 0 and np.isfinite(r.mean_matched_score)]
    weight = sum(r.tp for r in scored)
    mean = sum(r.mean_matched_score * r.tp for r in scored) / weight if weight else float("nan")
    return MatchResult.from_counts(
        sum(r.n_true for r in results), sum(r.n_pred for r in results), tp, None, mean
    )
