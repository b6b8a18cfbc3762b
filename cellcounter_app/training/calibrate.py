"""Calibrate a model's post-processing on validation images.

The best threshold is model dependent (``SCIENCE.md``: 0.825-0.875 for the
c-ResUnet family), and so is the smallest object worth keeping.  `calibrate`
sweeps both against the detection F1 and returns the values to store in the
model's metadata.  Numpy only: the probability maps come from any model.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..errors import ParameterError
from ..metrics import SweepResult, threshold_sweep
from ..postprocess import PostprocessParams, postprocess

__all__ = [
    "DEFAULT_MIN_SIZE_FRACTIONS", "Calibration", "calibrate", "calibrate_grow", "calibrate_network", "search_grid",
]

DEFAULT_MIN_SIZE_FRACTIONS: tuple[float, ...] = (0.0, 0.1, 0.2, 0.35, 0.5)
"""Minimum object area candidates, as fractions of the median true object area."""


def search_grid(diameter: float, *, shape: bool = True) -> dict[str, Any]:
    """The `calibrate` candidates for cells of ``diameter`` px.

    Thresholds 0.1 to 0.95 and minimum sizes 0, 15 and 30 % of the median cell
    area; with ``shape`` (the bundled models' builds), also seeds of split
    cells 0.5 to 0.7 diameters apart (networks that mark the contacts between
    cells themselves need less shape-based splitting; closer seeds, chosen at
    the training size, cut cells twice the model's size into pieces when an
    image is counted without a diameter) and cells cut by the
    image border kept down to 100, 50, 25, 10 or 0 % of the minimum size —
    20 times the work, too slow for fine-tuning in the window, which keeps
    its base model's values.

    >>> search_grid(20.0)["peak_min_distances"]
    [10, 12, 14]
    >>> sorted(search_grid(20.0, shape=False))
    ['min_size_fractions', 'thresholds']
    """
    grid: dict[str, Any] = {
        "thresholds": np.round(np.arange(0.1, 0.951, 0.05), 3),
        "min_size_fractions": (0.0, 0.15, 0.3),
    }
    if shape:
        grid["peak_min_distances"] = [max(1, int(round(f * diameter))) for f in (0.5, 0.6, 0.7)]
        grid["border_min_fractions"] = (1.0, 0.5, 0.25, 0.1, 0.0)
    return grid


@dataclass(frozen=True)
class Calibration:
    """The calibrated post-processing and its validation scores.

    Attributes
    ----------
    threshold_best_f1 : float
        Threshold of the highest detection F1 (at the chosen sizes).
    threshold_knee : float
        Threshold of the precision/recall point closest to (1, 1) (same sizes).
    min_size : int
        Minimum object area (px²) of the highest F1.
    f1, precision, recall : float
        Detection scores at ``threshold_best_f1`` and the chosen sizes.
    params : PostprocessParams
        The base parameters with the calibrated threshold, minimum size, seed
        distance and border fraction.
    table : list of dict
        One row per combination tried: ``min_size``, ``peak_min_distance``,
        ``border_min_fraction``, ``threshold``, ``precision``, ``recall``,
        ``f1``, ``count`` (objects predicted).
    sweeps : dict of (int, int, float) to SweepResult
        The full threshold sweep of every (``min_size``,
        ``peak_min_distance``, ``border_min_fraction``) tried.
    """

    threshold_best_f1: float
    threshold_knee: float
    min_size: int
    f1: float
    precision: float
    recall: float
    params: PostprocessParams
    table: list[dict[str, Any]] = field(repr=False)
    sweeps: dict[tuple[int, int, float], SweepResult] = field(repr=False)


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
    peak_min_distances: Sequence[int] | None = None,
    border_min_fractions: Sequence[float] | None = None,
) -> Calibration:
    """Choose the threshold and minimum object size with the best detection F1.

    For each minimum size (a fraction of the median true object area), and
    each seed distance and border fraction when given, the post-processing
    chain (`postprocess`, the other parameters from ``base_params``) is swept
    over the thresholds (`threshold_sweep`); the combination with the highest
    micro-averaged F1 wins (ties: the smaller size, then ``base_params``' own
    seed distance and border fraction, then the larger ones).

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
    peak_min_distances : sequence of int, optional
        Minimum distances (px) between the seeds of split cells to try
        (default: ``base_params``' only).
    border_min_fractions : sequence of float, optional
        Fractions of the minimum size that objects cut by the image border
        need, to try (default: ``base_params``' only).

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
    distances = _grid(peak_min_distances, "peak_min_distance", base_params)
    borders = _grid(border_min_fractions, "border_min_fraction", base_params)
    median_area = _median_area(truths)
    sizes = sorted({int(round(f * median_area)) for f in fractions})
    sweeps: dict[tuple[int, int, float], SweepResult] = {}
    tried: dict[tuple[int, int, float], PostprocessParams] = {}
    table: list[dict[str, Any]] = []
    for key in itertools.product(sizes, distances, borders):
        size, distance, border = key
        params = tried[key] = _with_min_size(base_params, size).replace(
            peak_min_distance=distance, border_min_fraction=border)

        def segment(prob: np.ndarray, threshold: float, params: PostprocessParams = params) -> np.ndarray:
            return postprocess(prob, params.replace(threshold=threshold))

        sweep = threshold_sweep(probabilities, truths, segment, max_distance=max_distance, thresholds=thresholds)
        sweeps[key] = sweep
        table.extend(
            {"min_size": size, "peak_min_distance": distance, "border_min_fraction": border, "threshold": float(t),
             "precision": float(sweep.precision[k]), "recall": float(sweep.recall[k]), "f1": float(sweep.f1[k]),
             "count": int(sweep.counts[k])}
            for k, t in enumerate(sweep.thresholds)
        )

    def rank(key: tuple[int, int, float]) -> tuple:
        size, distance, border = key
        return (sweeps[key].best_f1, -size, distance == base_params.peak_min_distance, distance,
                border == base_params.border_min_fraction, border)

    best = max(sweeps, key=rank)
    sweep = sweeps[best]
    k = int(np.flatnonzero(sweep.thresholds == sweep.best_f1_threshold)[0])
    return Calibration(
        threshold_best_f1=sweep.best_f1_threshold,
        threshold_knee=sweep.knee_threshold,
        min_size=best[0],
        f1=sweep.best_f1,
        precision=float(sweep.precision[k]),
        recall=float(sweep.recall[k]),
        params=tried[best].replace(threshold=sweep.best_f1_threshold),
        table=table,
        sweeps=sweeps,
    )


def _grid(values: Sequence[Any] | None, name: str, base: PostprocessParams) -> list[Any]:
    """The candidates of one parameter, checked against its bounds (``base``'s value when none are given)."""
    if values is None:
        return [getattr(base, name)]
    checked = [getattr(base.replace(**{name: v}), name) for v in values]
    if not checked:
        raise ParameterError(f"{name}: give at least one value to try")
    return sorted(set(checked))


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


def calibrate_network(probabilities: Sequence[np.ndarray], truths: Sequence[np.ndarray],
                      base_params: PostprocessParams, n_classes: int, target: str = "mask", *,
                      max_distance: float, **grid: Any) -> Calibration:
    """`calibrate` the post-processing of a network's probability maps (``grid``: `calibrate`'s candidates).

    A network that finds cell cores (3 classes, or ``target`` "distance")
    gets its ``grow`` first (`calibrate_grow`, at ``base_params``), so that
    the minimum size and the border rule are chosen on whole cells, as the
    chain applies them; then the rest; then ``grow`` again at the chosen
    threshold (a higher threshold finds smaller cores).
    """
    finds_cores = n_classes == 3 or target == "distance"
    if finds_cores:
        base_params = base_params.replace(grow=calibrate_grow(probabilities, truths, base_params)[0])
    cal = calibrate(probabilities, truths, base_params, max_distance=max_distance, **grid)
    if not finds_cores:
        return cal
    grow, _ = calibrate_grow(probabilities, truths, cal.params)
    return dataclasses.replace(cal, params=cal.params.replace(grow=grow))
