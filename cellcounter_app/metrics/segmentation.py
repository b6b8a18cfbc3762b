"""Pixel-level scores of an instance segmentation against a reference.

Also home of the label-image helpers shared with `matching`: validation,
compaction of label values and the sparse overlap (contingency) table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import ndimage as ndi

from ..errors import ParameterError

_BINCOUNT_SLACK = 1 << 16
"""Label values up to ``2 * size + slack`` are counted with a dense bincount."""


def as_label_image(labels: ArrayLike, name: str) -> np.ndarray:
    """Return ``labels`` as an integer array, or raise `ParameterError`.

    A label image holds non-negative integers, 0 for background. Boolean masks
    are refused: label them first (``scipy.ndimage.label``).
    """
    arr = np.asarray(labels)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise ParameterError(
            f"{name} must be an integer label image (0 = background), got dtype {arr.dtype}"
        )
    if arr.ndim == 0:
        raise ParameterError(f"{name} must have at least one dimension, got a scalar")
    if arr.size and np.issubdtype(arr.dtype, np.signedinteger) and arr.min() < 0:
        raise ParameterError(f"{name} must hold labels >= 0, got {arr.min()}")
    return arr


def compact_labels(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Renumber the labels present to 1..n (0 stays background).

    Returns
    -------
    compact : ndarray of intp, same shape
    ids : ndarray, shape (n,)
        The original label of each compact label ``k`` is ``ids[k - 1]``.
    """
    flat = labels.ravel()
    if flat.size == 0:
        return np.zeros(labels.shape, dtype=np.intp), np.empty(0, dtype=labels.dtype)
    top = int(flat.max())
    if top <= 2 * flat.size + _BINCOUNT_SLACK:
        flat = flat.astype(np.intp, copy=False)
        ids = np.flatnonzero(np.bincount(flat, minlength=top + 1)[1:]) + 1
        if ids.size == top:
            return flat.reshape(labels.shape), ids
        lut = np.zeros(top + 1, dtype=np.intp)
        lut[ids] = np.arange(1, ids.size + 1)
        return lut[flat].reshape(labels.shape), ids
    ids, inverse = np.unique(flat, return_inverse=True)
    if ids[0] == 0:
        ids = ids[1:]
    else:
        inverse = inverse + 1
    return inverse.astype(np.intp).reshape(labels.shape), ids


@dataclass(frozen=True)
class OverlapTable:
    """Sparse contingency table of two label images.

    One entry per overlapping (true, pred) pair; indices are 0-based compact
    label indices (``i`` is the ``i + 1``-th label present, in increasing order).
    """

    n_true: int
    n_pred: int
    true_area: np.ndarray
    pred_area: np.ndarray
    true_index: np.ndarray
    pred_index: np.ndarray
    intersection: np.ndarray
    iou: np.ndarray


def overlap_table(true_labels: ArrayLike, pred_labels: ArrayLike) -> OverlapTable:
    """Areas, intersections and IoU of every overlapping pair of objects.

    Built with a bincount of paired label codes over the overlapping pixels, so
    memory grows with the number of overlapping pairs, not n_true x n_pred.

    Examples
    --------
    >>> a = np.array([[1, 1, 0, 2]])
    >>> b = np.array([[0, 3, 3, 3]])
    >>> t = overlap_table(a, b)
    >>> t.true_index.tolist(), t.pred_index.tolist(), t.intersection.tolist()
    ([0, 1], [0, 0], [1, 1])
    """
    t = as_label_image(true_labels, "true_labels")
    p = as_label_image(pred_labels, "pred_labels")
    if t.shape != p.shape:
        raise ParameterError(f"true_labels and pred_labels must have the same shape, got {t.shape} and {p.shape}")
    tc, tids = compact_labels(t)
    pc, pids = compact_labels(p)
    nt, npr = tids.size, pids.size
    tc, pc = tc.ravel(), pc.ravel()
    true_area = np.bincount(tc, minlength=nt + 1)[1:]
    pred_area = np.bincount(pc, minlength=npr + 1)[1:]
    both = (tc > 0) & (pc > 0)
    code = (tc[both] - 1) * npr + (pc[both] - 1)
    if nt * npr <= 4 * code.size + _BINCOUNT_SLACK:
        counts = np.bincount(code, minlength=nt * npr)
        code = np.flatnonzero(counts)
        inter = counts[code]
    else:
        code, inter = np.unique(code, return_counts=True)
    ti, pj = np.divmod(code, max(npr, 1))
    iou = inter / (true_area[ti] + pred_area[pj] - inter)
    return OverlapTable(nt, npr, true_area, pred_area, ti, pj, inter, iou)


def object_boundaries(labels: np.ndarray) -> np.ndarray:
    """Inner 1-px boundary of every object (8-connected neighbourhood in 2-D).

    A labelled pixel is on a boundary when a neighbour inside the image has a
    different label (background or another object). The image edge is not a
    boundary: an object cut by the edge continues out of view.
    """
    lab = as_label_image(labels, "labels")
    hi = ndi.maximum_filter(lab, size=3, mode="nearest")
    lo = ndi.minimum_filter(lab, size=3, mode="nearest")
    return (lab > 0) & ((hi != lab) | (lo != lab))


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    total = int(a.sum()) + int(b.sum())
    return 2.0 * int(np.count_nonzero(a & b)) / total if total else 1.0


def boundary_dice(true_labels: ArrayLike, pred_labels: ArrayLike, tolerance: int = 1) -> float:
    """Dice of the object boundaries, with a tolerance in pixels.

    A boundary pixel of one image counts as found when a boundary pixel of the
    other lies within ``tolerance`` pixels (chessboard distance, i.e. in its
    ``(2 tolerance + 1)``-wide square). The score is
    ``(found_pred + found_true) / (n_pred_boundary + n_true_boundary)``; with
    ``tolerance = 0`` it is the plain Dice of the boundary masks. 1 when
    neither image has a boundary.

    Examples
    --------
    >>> a = np.zeros((7, 7), dtype=int); a[1:6, 1:6] = 1
    >>> b = np.zeros((7, 7), dtype=int); b[1:6, 2:6] = 1
    >>> boundary_dice(a, b), round(boundary_dice(a, b, tolerance=0), 3)
    (1.0, 0.733)
    """
    tolerance = int(tolerance)
    if tolerance < 0:
        raise ParameterError(f"tolerance must be >= 0 px, got {tolerance}")
    bt = object_boundaries(true_labels)
    bp = object_boundaries(pred_labels)
    if bt.shape != bp.shape:
        raise ParameterError(f"true_labels and pred_labels must have the same shape, got {bt.shape} and {bp.shape}")
    total = int(bt.sum()) + int(bp.sum())
    if total == 0:
        return 1.0
    if tolerance == 0:
        return _dice(bt, bp)
    square = np.ones((2 * tolerance + 1,) * bt.ndim, dtype=bool)
    near_t = ndi.binary_dilation(bt, structure=square)
    near_p = ndi.binary_dilation(bp, structure=square)
    found = int(np.count_nonzero(bp & near_t)) + int(np.count_nonzero(bt & near_p))
    return found / total


def segmentation_scores(true_labels: ArrayLike, pred_labels: ArrayLike) -> dict[str, float]:
    """Pixel-level scores of a predicted label image against the reference.

    Returns
    -------
    dict with
        ``mean_iou``: mean over true objects of the best IoU any predicted
        object reaches with it (0 for a missed object); NaN without true objects.
        ``seg``: Cell Tracking Challenge SEG: for each true object, the IoU with
        the predicted object covering more than 50 % of its pixels (0 if none),
        averaged over true objects; NaN without true objects.
        ``dice``: Dice of the foregrounds (label > 0); 1 when both are empty.
        ``boundary_dice``: `boundary_dice` with a 1-px tolerance.

    Examples
    --------
    >>> a = np.zeros((4, 8), dtype=int); a[:, 0:4] = 1
    >>> b = np.zeros((4, 8), dtype=int); b[:, 1:5] = 1
    >>> s = segmentation_scores(a, b)
    >>> s["mean_iou"], s["seg"], s["dice"]
    (0.6, 0.6, 0.75)
    """
    table = overlap_table(true_labels, pred_labels)
    if table.n_true:
        best = np.zeros(table.n_true)
        np.maximum.at(best, table.true_index, table.iou)
        covers = 2 * table.intersection > table.true_area[table.true_index]
        seg = np.zeros(table.n_true)
        seg[table.true_index[covers]] = table.iou[covers]
        mean_iou, seg_score = float(best.mean()), float(seg.mean())
    else:
        mean_iou = seg_score = float("nan")
    t = np.asarray(true_labels) > 0
    p = np.asarray(pred_labels) > 0
    return {
        "mean_iou": mean_iou,
        "seg": seg_score,
        "dice": _dice(t, p),
        "boundary_dice": boundary_dice(true_labels, pred_labels),
    }
