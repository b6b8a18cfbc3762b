"""Calibrate a model's post-processing on validation images.

The best threshold is model dependent (``SCIENCE.md``: 0.825-0.875 for the
c-ResUnet family), and so is the smallest object worth keeping.  `calibrate`
sweeps both against the detection F1 and returns the values to store in the
model's metadata.  Numpy only: the probability maps come from any model.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..errors import ParameterError
from ..metrics import SweepResult, threshold_sweep
from ..postprocess import PostprocessParams, postprocess

__all__ = ["DEFAULT_MIN_SIZE_FRACTIONS", "Calibration", "calibrate", "calibrate_grow", "with_grow"]

DEFAULT_MIN_SIZE_FRACTIONS: tuple[float, ...] = (0.0, 0.1, 0.2, 0.35, 0.5)
"""Minimum object area candidates, as fractions of the median true object area."""


@dataclass(frozen=True)
class Calibration:
    """The calibrated post-processing and its validation scores.

    Attributes
    ----------
    threshold_best_f1 : float
        Threshold of the highest detection F1 (at ``min_size``).
    threshold_knee : float
        Threshold of the precision/recall point closest to (1, 1) (at ``min_size``).
    min_size : int
        Minimum object area (px²) of the highest F1.
    f1, precision, recall : float
        Detection scores at ``threshold_best_f1`` and ``min_size``.
    params : PostprocessParams
        The base parameters with the calibrated threshold and minimum size.
    table : list of dict
        One row per (min_size, threshold) tried: ``min_size``, ``threshold``,
        ``precision``, ``recall``, ``f1``, ``count`` (objects predicted).
    sweeps : dict of int to SweepResult
        The full threshold sweep of every ``min_size`` tried.
    """

    threshold_best_f1: float
    threshold_knee: float
    min_size: int
    f1: float
    precision: float
    recall: float
    params: PostprocessParams
    table: list[dict[str, Any]] = field(repr=False)
    sweeps: dict[int, SweepResult] = field(repr=False)


def _median_area(truths: Sequence[np.ndarray]) -> float:
    areas = [np.bincount(np.asarray(t).ravel().astype(np.int64))[1:] for t in truths]
    nonzero = np.concatenate([a[a > 0] for a in areas]) if areas else np.empty(0)
    return float(np.median(nonzero)) if nonzero.size else 0.0


def calibrate(
    probabilities: Sequence[np.ndarray],
    truths: Sequence[np.ndarray],
    base_params: PostprocessParams,
    *,
    max_distance: float,
    thresholds: Sequence[float] | None = None,
    min_size_fractions: Sequence[float] = DEFAULT_MIN_SIZE_FRACTIONS,
) -> Calibration:
    """Choose the threshold and minimum object size with the best detection F1.

    For each minimum size (a fraction of the median true object area), the
    post-processing chain (`postprocess`, the other parameters from
    ``base_params``) is swept over the thresholds (`threshold_sweep`); the
    pair with the highest micro-averaged F1 wins (ties: the smaller size).

    Parameters
    ----------
    probabilities : sequence of (H, W) ndarray of float
        Cell probability maps of the validation images.
    truths : sequence of (H, W) ndarray of int
        Their true instance labels.
    base_params : PostprocessParams
        Hole filling, splitting, border settings to keep.
    max_distance : float
        Centroid matching radius in px (about one cell diameter).
    thresholds : sequence of float, optional
        Thresholds to try (default: `metrics.DEFAULT_THRESHOLDS`).
    min_size_fractions : sequence of float
        Fractions (0 to 1) of the median true object area to try as minimum size.

    Returns
    -------
    Calibration

    Examples
    --------
    >>> yy, xx = np.mgrid[:64, :64]
    >>> truth = (((yy - 20) ** 2 + (xx - 20) ** 2) < 64).astype(int)
    >>> truth[((yy - 44) ** 2 + (xx - 44) ** 2) < 64] = 2
    >>> prob = np.where(truth > 0, 0.8, 0.1)
    >>> cal = calibrate([prob], [truth], PostprocessParams(min_size=0, peak_min_distance=8), max_distance=8)
    >>> cal.f1
    1.0
    """
    fractions = np.asarray(min_size_fractions, dtype=np.float64)
    if fractions.ndim != 1 or fractions.size == 0 or fractions.min() < 0 or fractions.max() > 1:
        raise ParameterError(f"min_size_fractions must be 1 to n values between 0 and 1, got {min_size_fractions!r}")
    if thresholds is not None:
        grid = np.asarray(thresholds, dtype=np.float64)
        if grid.size and (not np.all(np.isfinite(grid)) or grid.min() < 0.01 or grid.max() > 0.99):
            raise ParameterError(
                f"thresholds must lie between 0.01 and 0.99, got values from {grid.min():g} to {grid.max():g}"
            )
    median_area = _median_area(truths)
    sizes = sorted({int(round(f * median_area)) for f in fractions})
    sweeps: dict[int, SweepResult] = {}
    table: list[dict[str, Any]] = []
    for size in sizes:
        params = _with_min_size(base_params, size)

        def segment(prob: np.ndarray, threshold: float, params: PostprocessParams = params) -> np.ndarray:
            return postprocess(prob, params.replace(threshold=threshold))

        sweep = threshold_sweep(probabilities, truths, segment, max_distance=max_distance, thresholds=thresholds)
        sweeps[size] = sweep
        table.extend(
            {"min_size": size, "threshold": float(t), "precision": float(sweep.precision[k]),
             "recall": float(sweep.recall[k]), "f1": float(sweep.f1[k]), "count": int(sweep.counts[k])}
            for k, t in enumerate(sweep.thresholds)
        )
    size = max(sizes, key=lambda s: (sweeps[s].best_f1, -s))
    sweep = sweeps[size]
    k = int(np.flatnonzero(sweep.thresholds == sweep.best_f1_threshold)[0])
    return Calibration(
        threshold_best_f1=sweep.best_f1_threshold,
        threshold_knee=sweep.knee_threshold,
        min_size=size,
        f1=sweep.best_f1,
        precision=float(sweep.precision[k]),
        recall=float(sweep.recall[k]),
        params=_with_min_size(base_params, size).replace(threshold=sweep.best_f1_threshold),
        table=table,
        sweeps=sweeps,
    )


def _with_min_size(params: PostprocessParams, size: int) -> PostprocessParams:
    """``params`` with ``min_size`` set (and a maximum size kept no smaller than it)."""
    if params.max_size and params.max_size < size:
        return params.replace(max_size=size, min_size=size)
    return params.replace(min_size=size)


def calibrate_grow(probabilities: Sequence[np.ndarray], truths: Sequence[np.ndarray], params: PostprocessParams,
                   max_grow: int = 10) -> tuple[int, list[dict[str, float]]]:
    """The ``grow`` (px) that gives the objects found the median area of the true ones.

    For models whose output finds cell cores (3-class interiors, distance
    maps): growing does not change the count, only the outlines, so it is
    chosen after the threshold, by the median object area over all
    ``probabilities`` (ties: the smaller growth).  Returns the growth and a
    table of ``grow`` and ``area_ratio`` (median found / median true) tried.

    >>> yy, xx = np.mgrid[:40, :40]
    >>> truth = ((yy - 20) ** 2 + (xx - 20) ** 2 <= 100).astype(np.int32)
    >>> core = ((yy - 20) ** 2 + (xx - 20) ** 2 <= 49).astype(float)
    >>> calibrate_grow([core], [truth], PostprocessParams(min_size=0, split_touching=False))[0]
    3
    """
    true_area = _median_area(truths)
    if not np.isfinite(true_area) or true_area <= 0:
        raise ParameterError("calibrate_grow needs truth labels with at least one object")
    table = []
    for grow in range(0, max_grow + 1):
        areas = np.concatenate([np.bincount(postprocess(p, params.replace(grow=grow)).ravel())[1:]
                                for p in probabilities])
        areas = areas[areas > 0]
        ratio = float(np.median(areas)) / true_area if areas.size else 0.0
        table.append({"grow": grow, "area_ratio": ratio})
        if ratio >= 1.0:
            break
    best = min(table, key=lambda row: (abs(np.log(max(row["area_ratio"], 1e-9))), row["grow"]))
    return int(best["grow"]), table


def with_grow(cal: Calibration, probabilities: Sequence[np.ndarray], truths: Sequence[np.ndarray],
              n_classes: int, target: str = "mask") -> Calibration:
    """``cal`` with its ``grow`` calibrated (`calibrate_grow`) when the network finds cell cores
    (3-class interiors, or ``target`` "distance"), else unchanged."""
    if n_classes != 3 and target != "distance":
        return cal
    grow, _ = calibrate_grow(probabilities, truths, cal.params)
    return dataclasses.replace(cal, params=cal.params.replace(grow=grow))
