"""Threshold sweep: detection precision/recall over heatmap thresholds.

Used to calibrate a model's threshold on validation images (``SCIENCE.md``:
pick the best-F1 threshold or the knee of the precision/recall curve).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Generator, Sequence

import numpy as np

from ..errors import ParameterError
from .matching import MatchResult, aggregate, centroids, match_points
from .segmentation import as_label_image

DEFAULT_THRESHOLDS: np.ndarray = np.round(np.linspace(0.05, 0.95, 37), 6)
"""0.05 to 0.95 in steps of 0.025: fine enough for the 0.825-0.875 optima of ``SCIENCE.md``."""

_TIE = 1e-12


@dataclass(frozen=True)
class SweepResult:
    """Detection scores of one post-processing chain over a range of thresholds.

    Attributes
    ----------
    thresholds, precision, recall, f1 : ndarray of float, shape (k,)
        One entry per threshold, thresholds increasing; scores are
        micro-averaged over the images (`aggregate`).
    counts, tp : ndarray of int, shape (k,)
        Total predicted objects and matched pairs over all images.
    n_true : int
        Total true objects over all images.
    pr_auc : float
        Area under the precision/recall curve (see `threshold_sweep`); NaN
        when the images hold no true object.
    best_f1, best_f1_threshold : float
        Highest F1 and its threshold.
    knee_threshold : float
        Threshold of the point of the curve closest to the ideal corner
        (recall 1, precision 1).
    """

    thresholds: np.ndarray = field(repr=False)
    precision: np.ndarray = field(repr=False)
    recall: np.ndarray = field(repr=False)
    f1: np.ndarray = field(repr=False)
    counts: np.ndarray = field(repr=False)
    tp: np.ndarray = field(repr=False)
    n_true: int
    pr_auc: float
    best_f1: float
    best_f1_threshold: float
    knee_threshold: float

    def to_dict(self) -> dict[str, Any]:
        """All fields as plain Python numbers and lists, for JSON."""
        return {
            "thresholds": self.thresholds.tolist(),
            "precision": self.precision.tolist(),
            "recall": self.recall.tolist(),
            "f1": self.f1.tolist(),
            "counts": self.counts.tolist(),
            "tp": self.tp.tolist(),
            "n_true": self.n_true,
            "pr_auc": self.pr_auc,
            "best_f1": self.best_f1,
            "best_f1_threshold": self.best_f1_threshold,
            "knee_threshold": self.knee_threshold,
        }


def _check_thresholds(thresholds: Sequence[float] | None) -> np.ndarray:
    if thresholds is None:
        return DEFAULT_THRESHOLDS.copy()
    arr = np.asarray(thresholds, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ParameterError(f"thresholds must be a non-empty 1-D sequence, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > 1:
        raise ParameterError(
            f"thresholds must lie between 0 and 1, got values from {arr.min():g} to {arr.max():g}"
        )
    return np.unique(arr)


def _middle_of_best(scores: np.ndarray) -> int:
    """Index of the highest score; among ties, the middle one (centre of a plateau)."""
    tied = np.flatnonzero(scores >= scores.max() - _TIE)
    return int(tied[tied.size // 2])


def pr_auc(thresholds: np.ndarray, precision: np.ndarray, recall: np.ndarray) -> float:
    """Trapezoid area under a precision/recall curve sampled at thresholds.

    The points are taken from the highest to the lowest threshold and sorted by
    recall (stable, so equal recalls keep that order). The curve is closed at
    (recall 0, precision 1): the limit of a threshold above every probability,
    where nothing is predicted and, by the conventions of `matching`,
    precision is 1 and recall 0. It is not extended beyond the highest recall
    reached: recall no threshold reaches adds no area.

    Examples
    --------
    >>> pr_auc(np.array([0.3, 0.7]), np.array([0.5, 1.0]), np.array([1.0, 0.5]))
    0.875
    """
    down = np.argsort(-np.asarray(thresholds), kind="stable")
    r, p = np.asarray(recall)[down], np.asarray(precision)[down]
    order = np.argsort(r, kind="stable")
    r = np.concatenate([[0.0], r[order]])
    p = np.concatenate([[1.0], p[order]])
    return float(np.sum(np.diff(r) * (p[1:] + p[:-1]) / 2.0))


def iter_threshold_sweep(
    probabilities: Sequence[np.ndarray],
    truths: Sequence[np.ndarray],
    segment: Callable[[np.ndarray, float], np.ndarray],
    *,
    max_distance: float,
    thresholds: Sequence[float] | None = None,
) -> Generator[tuple[int, int], None, SweepResult]:
    """`threshold_sweep` as a generator: yields ``(done, total)`` after each
    segmentation and returns the `SweepResult` (``StopIteration.value``), so a
    caller can show progress and cancel between steps."""
    probs = list(probabilities)
    refs = [as_label_image(t, f"truths[{i}]") for i, t in enumerate(truths)]
    if not probs or len(probs) != len(refs):
        raise ParameterError(
            f"probabilities and truths must be non-empty and of the same length, got {len(probs)} and {len(refs)}"
        )
    grid = _check_thresholds(thresholds)
    true_points = [centroids(t) for t in refs]
    total = grid.size * len(probs)
    per_threshold: list[MatchResult] = []
    for k, threshold in enumerate(grid):
        results = []
        for i, (prob, ref, points) in enumerate(zip(probs, refs, true_points)):
            pred = as_label_image(segment(np.asarray(prob), float(threshold)), "segment(...) result")
            if pred.shape != ref.shape:
                raise ParameterError(
                    f"segment must return a label image of the truth's shape {ref.shape}, got {pred.shape}"
                )
            results.append(match_points(points, centroids(pred), max_distance))
            yield k * len(probs) + i + 1, total
        per_threshold.append(aggregate(results))
    return _summarise(grid, per_threshold)


def _summarise(grid: np.ndarray, results: list[MatchResult]) -> SweepResult:
    precision = np.array([r.precision for r in results])
    recall = np.array([r.recall for r in results])
    f1 = np.array([r.f1 for r in results])
    n_true = results[0].n_true
    best = _middle_of_best(f1)
    knee = _middle_of_best(-np.hypot(1.0 - precision, 1.0 - recall))
    return SweepResult(
        thresholds=grid,
        precision=precision,
        recall=recall,
        f1=f1,
        counts=np.array([r.n_pred for r in results], dtype=np.int64),
        tp=np.array([r.tp for r in results], dtype=np.int64),
        n_true=int(n_true),
        pr_auc=pr_auc(grid, precision, recall) if n_true else float("nan"),
        best_f1=float(f1[best]),
        best_f1_threshold=float(grid[best]),
        knee_threshold=float(grid[knee]),
    )


def threshold_sweep(
    probabilities: Sequence[np.ndarray],
    truths: Sequence[np.ndarray],
    segment: Callable[[np.ndarray, float], np.ndarray],
    *,
    max_distance: float,
    thresholds: Sequence[float] | None = None,
) -> SweepResult:
    """Detection precision, recall and F1 of a post-processing chain per threshold.

    For every threshold, each probability map is turned into instance labels by
    ``segment(probability, threshold)``, its object centroids are matched to
    those of the truth (`match_points`) and the results are micro-averaged over
    the images (`aggregate`).

    Parameters
    ----------
    probabilities : sequence of ndarray
        Probability maps (heatmaps), one per image.
    truths : sequence of ndarray of int
        True instance label images, same shapes as the maps.
    segment : callable ``(probability, threshold) -> labels``
        The post-processing chain (threshold, fill holes, size filter, split).
    max_distance : float
        Centroid matching radius in pixels (strictly closer pairs match).
    thresholds : sequence of float, optional
        Thresholds in [0, 1]; sorted, duplicates dropped. Default
        `DEFAULT_THRESHOLDS` (0.05 to 0.95, step 0.025).

    Returns
    -------
    SweepResult
        ``pr_auc`` is the trapezoid area of `pr_auc`. The best-F1 threshold and
        the knee are both given; among tied thresholds the middle one is taken
        (the centre of a plateau is the most robust choice). The knee is the
        point closest (Euclidean) to the ideal corner precision = recall = 1.
        Unlike the "farthest from the chord between the end points" rule, it
        does not depend on which threshold range was swept and stays defined
        when the curve is straight or concave.

    Examples
    --------
    >>> from scipy import ndimage as ndi
    >>> prob = np.zeros((20, 20)); prob[2:6, 2:6] = 0.9; prob[12:16, 12:16] = 0.4
    >>> truth = np.zeros((20, 20), dtype=int); truth[2:6, 2:6] = 1
    >>> seg = lambda p, t: ndi.label(p > t)[0]
    >>> r = threshold_sweep([prob], [truth], seg, max_distance=3, thresholds=[0.3, 0.5])
    >>> r.f1.round(3).tolist(), r.best_f1_threshold
    ([0.667, 1.0], 0.5)
    """
    steps = iter_threshold_sweep(
        probabilities, truths, segment, max_distance=max_distance, thresholds=thresholds
    )
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value
