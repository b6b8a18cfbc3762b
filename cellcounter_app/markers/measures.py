"""Per-cell marker measures in one channel, with a local background ring around each cell.

A cell's ring is the background around it: the unlabelled pixels whose
nearest cell is that cell, between ``gap`` and ``gap + width`` pixels from its
edge.  Pixels of other cells are never part of a ring, and the background
between two neighbours is shared between them (each pixel goes to its nearest
cell).  ``gap`` and ``width`` grow with the cell's equivalent diameter, so a
large cell looks further out than a small one.  The ring's median is the
cell's local background: a missed bright neighbour in the ring does not move it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..errors import ParameterError

MEASURE_COLUMNS: tuple[str, ...] = (
    "mean", "median", "integrated", "background", "background_sd", "corrected", "ratio",
)
"""What `measure_markers` returns per cell, in this order."""

MIN_RING_PIXELS = 5
"""Rings with fewer pixels use the image's overall background (the median of all unlabelled pixels)."""

_IQR_TO_SD = 1.349  # interquartile range to standard deviation, for normal noise
_BAND_ROWS = 1024  # rows of the image handled at a time by the ring search


@dataclass(frozen=True)
class RingSettings:
    """Where each cell's local background ring lies, relative to its equivalent diameter ``d``.

    The ring starts ``clip(gap_factor * d, 1, max_px)`` pixels from the cell's
    edge and is ``clip(width_factor * d, min_width_px, max_px)`` pixels wide.

    Examples
    --------
    >>> RingSettings().bounds(np.array([10.0, 40.0]))
    (array([2., 6.]), array([ 7., 26.]))
    >>> RingSettings(width_factor=0)
    Traceback (most recent call last):
    ...
    cellcounter_app.errors.ParameterError: width_factor must be between 0.05 and 5, got 0
    """

    gap_factor: float = 0.15
    width_factor: float = 0.5
    min_width_px: float = 2.0
    max_px: float = 40.0

    def __post_init__(self) -> None:
        for name, low, high in (("gap_factor", 0.0, 2.0), ("width_factor", 0.05, 5.0),
                                ("min_width_px", 1.0, 100.0), ("max_px", 2.0, 500.0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise ParameterError(f"{name} must be between {low:g} and {high:g}, got {value!r}")

    def bounds(self, diameter: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inner and outer ring distances (px from the cell's edge) for cells of ``diameter`` px."""
        gap = np.round(np.clip(self.gap_factor * diameter, 1.0, self.max_px))
        width = np.round(np.clip(self.width_factor * diameter, self.min_width_px, self.max_px))
        return gap, gap + width


def measure_markers(
    labels: np.ndarray, channel: np.ndarray, ring: RingSettings = RingSettings(),
) -> dict[str, np.ndarray]:
    """Measure one marker channel in every labelled cell.

    Parameters
    ----------
    labels : (H, W) array of int
        0 is background, each other id one cell (as `count_image` returns).
    channel : (H, W) array of real numbers
        The marker channel, same shape.  Non-finite pixels are ignored.
    ring : RingSettings
        Where the local background is taken.

    Returns
    -------
    dict of str to 1-D float64 array
        One entry per cell, ordered by cell id (the order of
        `cellcounter_app.measure.measure_cells`), keyed by `MEASURE_COLUMNS`:
        ``mean``, ``median`` and ``integrated`` (sum) of the cell's pixels;
        ``background``, the median of its ring; ``background_sd``, the
        ring's robust spread (interquartile range / 1.349: the pixel noise of
        the background); ``corrected`` = mean − background; ``ratio`` = mean / background (NaN where the background
        is not above 0).

    Raises
    ------
    ParameterError
        When the arrays are not 2-D label and intensity images of one shape.

    Examples
    --------
    >>> labels = np.zeros((40, 40), int)
    >>> labels[10:20, 10:20] = 1
    >>> image = np.full((40, 40), 10.0)
    >>> image[10:20, 10:20] = 50.0
    >>> m = measure_markers(labels, image)
    >>> float(m["mean"][0]), float(m["integrated"][0]), float(m["corrected"][0]), float(m["ratio"][0])
    (50.0, 5000.0, 40.0, 5.0)
    """
    labels, values = _check(labels, channel)
    flat = labels.ravel()
    pixels = np.flatnonzero(flat)
    if pixels.size == 0:
        return {name: np.zeros(0) for name in MEASURE_COLUMNS}
    _, which = np.unique(flat[pixels], return_inverse=True)
    count = int(which.max()) + 1
    inside = values.ravel()[pixels]
    finite = np.isfinite(inside)
    area = np.bincount(which, minlength=count).astype(np.float64)
    used = np.bincount(which[finite], minlength=count).astype(np.float64)
    total = np.bincount(which[finite], weights=inside[finite], minlength=count)
    mean = np.divide(total, used, out=np.full(count, np.nan), where=used > 0)
    background, spread = _ring_background(labels, values, which, pixels, np.sqrt(4.0 * area / np.pi), ring)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(background > 0, mean / background, np.nan)
    return {
        "mean": mean,
        "median": group_medians(which[finite], inside[finite], count),
        "integrated": np.where(used > 0, total, np.nan),
        "background": background,
        "background_sd": spread,
        "corrected": mean - background,
        "ratio": ratio,
    }


def group_medians(groups: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    """Median of ``values`` per group index in ``range(count)``; NaN for an empty group.

    Examples
    --------
    >>> group_medians(np.array([0, 0, 0, 2, 2]), np.array([3.0, 1.0, 2.0, 5.0, 7.0]), 3)
    array([ 2., nan,  6.])
    """
    return group_quantiles(groups, values, count, (0.5,))[0]


def group_quantiles(groups: np.ndarray, values: np.ndarray, count: int,
                    quantiles: tuple[float, ...]) -> list[np.ndarray]:
    """Quantiles (linear interpolation, as `numpy.quantile`) of ``values`` per group; NaN for an empty group.

    One sort of all values serves every quantile.

    Examples
    --------
    >>> q1, q3 = group_quantiles(np.array([1, 1, 1, 1, 1]), np.arange(5.0), 2, (0.25, 0.75))
    >>> q1, q3
    (array([nan,  1.]), array([nan,  3.]))
    """
    n = values.size
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(values)] = np.arange(n)
    ordered = values[np.argsort(groups.astype(np.int64) * n + rank)]  # by group, then by value
    sizes = np.bincount(groups, minlength=count)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    has = sizes > 0
    results = []
    for q in quantiles:
        position = q * (sizes[has] - 1)
        low = np.floor(position).astype(np.int64)
        high = np.ceil(position).astype(np.int64)
        fraction = position - low
        result = np.full(count, np.nan)
        lower, upper = ordered[starts[has] + low], ordered[starts[has] + high]
        result[has] = lower + (upper - lower) * fraction
        results.append(result)
    return results


def _ring_background(labels: np.ndarray, values: np.ndarray, which: np.ndarray, pixels: np.ndarray,
                     diameter: np.ndarray, ring: RingSettings) -> tuple[np.ndarray, np.ndarray]:
    """Median and robust SD of each cell's ring; the whole background's where a ring is too small."""
    count = diameter.size
    index = np.zeros(int(labels.max()) + 1, dtype=np.int64)
    index[labels.ravel()[pixels]] = which
    inner, outer = ring.bounds(diameter)
    reach = int(outer.max()) + 1
    groups, samples = [], []
    height = labels.shape[0]
    for top in range(0, height, _BAND_ROWS):
        bottom = min(height, top + _BAND_ROWS)
        start, stop = max(0, top - reach), min(height, bottom + reach)
        window = labels[start:stop]
        if not window.any():
            continue
        distance, (rows, cols) = ndimage.distance_transform_edt(window == 0, return_indices=True)
        keep = slice(top - start, bottom - start)
        nearest = index[window[rows[keep], cols[keep]]]
        found = window[keep] == 0
        d = distance[keep]
        in_ring = found & (d > inner[nearest]) & (d <= outer[nearest]) & np.isfinite(values[top:bottom])
        groups.append(nearest[in_ring])
        samples.append(values[top:bottom][in_ring])
    group = np.concatenate(groups) if groups else np.zeros(0, np.int64)
    sample = np.concatenate(samples) if samples else np.zeros(0)
    low, background, high = group_quantiles(group, sample, count, (0.25, 0.5, 0.75))
    spread = (high - low) / _IQR_TO_SD
    small = np.bincount(group, minlength=count) < MIN_RING_PIXELS
    if np.any(small):
        unlabelled = values[(labels == 0) & np.isfinite(values)]
        low_all, overall, high_all = np.quantile(unlabelled, (0.25, 0.5, 0.75)) if unlabelled.size else (np.nan,) * 3
        background[small] = overall
        spread[small] = (high_all - low_all) / _IQR_TO_SD
    return background, spread


def _check(labels: np.ndarray, channel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    labels = np.asarray(labels)
    values = np.asarray(channel)
    if labels.ndim != 2 or labels.dtype == bool or not np.issubdtype(labels.dtype, np.integer):
        raise ParameterError(f"labels must be a 2-D integer label image, got {labels.dtype} shape {labels.shape}")
    if labels.size and labels.min() < 0:
        raise ParameterError(f"labels must not hold negative ids, got minimum {labels.min()}")
    if values.shape != labels.shape:
        raise ParameterError(f"the marker channel must have the labels' shape {labels.shape}, got {values.shape}")
    if values.dtype == bool or values.dtype.kind not in "iuf":
        raise ParameterError(f"the marker channel must hold real numbers, got dtype {values.dtype}")
    return labels, values.astype(np.float64, copy=False)
