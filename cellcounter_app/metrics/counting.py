"""Counting scores: how close the number of cells found is to the true number."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import ParameterError


def _as_counts(values: Sequence[float], name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ParameterError(f"{name} must be a 1-D sequence of counts, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"{name} must hold finite counts, got NaN or infinity")
    if arr.size and arr.min() < 0:
        raise ParameterError(f"{name} must hold counts >= 0, got {arr.min():g}")
    return arr


def counting_metrics(n_true: Sequence[float], n_pred: Sequence[float]) -> dict[str, float]:
    """Per-image count errors, summarised over a set of images.

    Parameters
    ----------
    n_true, n_pred : sequence of int
        True and predicted number of cells, one entry per image (same length,
        at least one image).

    Returns
    -------
    dict with
        ``n_images``;
        ``mae``: mean of ``|n_true - n_pred|``;
        ``median_ae``: median of ``|n_true - n_pred|``;
        ``mpe``: mean percentage error, ``mean((n_true - n_pred) / max(n_true, 1)) * 100``
        (``SCIENCE.md``): negative when the method over-counts;
        ``r2``: coefficient of determination of ``n_pred`` against ``n_true``,
        ``1 - SS_res / SS_tot`` with ``SS_res = sum((n_true - n_pred)**2)`` and
        ``SS_tot = sum((n_true - mean(n_true))**2)``; NaN when ``SS_tot == 0``
        (all images have the same true count). It can be negative.

    Examples
    --------
    >>> m = counting_metrics([10, 20, 30], [12, 18, 30])
    >>> round(m["mae"], 4), m["median_ae"], round(m["mpe"], 4), m["r2"]
    (1.3333, 2.0, -3.3333, 0.96)
    """
    t = _as_counts(n_true, "n_true")
    p = _as_counts(n_pred, "n_pred")
    if t.size != p.size:
        raise ParameterError(f"n_true and n_pred must have the same length, got {t.size} and {p.size}")
    if t.size == 0:
        raise ParameterError("counting_metrics needs at least one image, got none")
    err = t - p
    abs_err = np.abs(err)
    ss_tot = float(np.sum((t - t.mean()) ** 2))
    ss_res = float(np.sum(err**2))
    return {
        "n_images": int(t.size),
        "mae": float(abs_err.mean()),
        "median_ae": float(np.median(abs_err)),
        "mpe": float(np.mean(err / np.maximum(t, 1.0)) * 100.0),
        "r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan"),
    }
