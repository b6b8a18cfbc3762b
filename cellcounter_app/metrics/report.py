"""One-stop evaluation of one predicted label image against its truth."""

from __future__ import annotations

from typing import Any

from numpy.typing import ArrayLike

from .matching import centroids, match_labels, match_points
from .segmentation import as_label_image, segmentation_scores


def evaluate_labels(
    true_labels: ArrayLike, pred_labels: ArrayLike, *, max_distance: float, iou_threshold: float = 0.5
) -> dict[str, Any]:
    """Detection, segmentation and count scores of one image.

    Parameters
    ----------
    true_labels, pred_labels : ndarray of int, same shape
        Instance label images, 0 = background.
    max_distance : float
        Centroid matching radius in pixels (`match_points`).
    iou_threshold : float, optional
        IoU above which objects match for ``iou_f1`` (`match_labels`), default 0.5.

    Returns
    -------
    dict
        ``n_true``, ``n_pred``; centroid detection ``tp``, ``fp``, ``fn``,
        ``precision``, ``recall``, ``f1``, ``accuracy``, ``mean_distance``;
        IoU detection ``iou_tp``, ``iou_precision``, ``iou_recall``, ``iou_f1``;
        and ``mean_iou``, ``seg``, ``dice``, ``boundary_dice`` of
        `segmentation_scores`. Plain Python numbers, ready for a table.

    Examples
    --------
    >>> import numpy as np
    >>> truth = np.zeros((10, 10), dtype=int); truth[1:4, 1:4] = 1; truth[6:9, 6:9] = 2
    >>> pred = np.zeros((10, 10), dtype=int); pred[1:4, 1:4] = 5
    >>> r = evaluate_labels(truth, pred, max_distance=3)
    >>> r["tp"], r["fn"], r["recall"], r["iou_f1"], r["dice"]
    (1, 1, 0.5, 0.6666666666666666, 0.6666666666666666)
    """
    t = as_label_image(true_labels, "true_labels")
    p = as_label_image(pred_labels, "pred_labels")
    detection = match_points(centroids(t), centroids(p), max_distance)
    overlap = match_labels(t, p, iou_threshold)
    report: dict[str, Any] = {
        "n_true": detection.n_true,
        "n_pred": detection.n_pred,
        "tp": detection.tp,
        "fp": detection.fp,
        "fn": detection.fn,
        "precision": detection.precision,
        "recall": detection.recall,
        "f1": detection.f1,
        "accuracy": detection.accuracy,
        "mean_distance": detection.mean_matched_score,
        "iou_tp": overlap.tp,
        "iou_precision": overlap.precision,
        "iou_recall": overlap.recall,
        "iou_f1": overlap.f1,
    }
    report.update(segmentation_scores(t, p))
    return report
