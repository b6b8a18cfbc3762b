"""Per-cell measurements of a label image, one column per `CELL_COLUMNS` name.

Everything is computed from the cells' horizontal runs (`row_runs`, found a
block of rows at a time, so a 20000² image is never copied whole) with
`numpy.bincount`; only the Feret diameter needs a small convex hull per cell.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..results import CELL_COLUMNS
from ..postprocess.stain import cell_stain
from .feret import feret_diameters
from .runs import row_runs
from .units import check_pixel_size

INTEGER_COLUMNS = ("cell_id", "area_px")
"""Columns of integer type; all others are float64."""


def measure_cells(
    labels: np.ndarray, intensity: np.ndarray | None = None, pixel_size_um: float | None = None,
    *, stain: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Measure every labelled cell.

    Parameters
    ----------
    labels : (H, W) array of int
        0 is background; each other id is one cell (ids need not be consecutive).
    intensity : (H, W) or (H, W, C) array, optional
        The image to read intensities from; with channels, the maximum over the
        channels is used.  None gives NaN intensities.
    pixel_size_um : float, optional
        Width of a pixel in µm, > 0.  None gives NaN in the ``*_um*`` columns.
    stain : 1-D array, optional
        Each cell's stain already measured (index ``i`` for label ``i + 1``,
        as `cellcounter_app.postprocess.stain.stain_filter` gives it); by
        default it is measured here in ``intensity``.

    Returns
    -------
    cells : dict of str to 1-D array
        One array per name of `cellcounter_app.results.CELL_COLUMNS`, one entry
        per cell, ordered by ``cell_id``:

        - ``cell_id`` (int64) and ``area_px`` (int64, pixel count);
        - ``x``, ``y``: centroid column and row (px, origin at the centre of the
          top-left pixel);
        - ``equivalent_diameter_px``: diameter of the disc of the same area;
        - ``feret_diameter_px``: largest caliper width of the cell drawn as
          unit squares (a w x h rectangle gives ``hypot(w, h)``; one pixel gives
          ``sqrt(2)``), so it is never below the equivalent diameter;
        - ``eccentricity``: of the ellipse with the same second moments (0 for
          a disc, towards 1 for a line);
        - ``mean_intensity``, ``max_intensity``;
        - ``stain``: mean signal over the background around the cell, in units
          of the image's pixel noise (`cellcounter_app.postprocess.stain`);
        - ``area_um2``, ``equivalent_diameter_um``, ``feret_diameter_um``.

    Examples
    --------
    >>> labels = np.zeros((4, 6), int)
    >>> labels[1:3, 1:5] = 7
    >>> cells = measure_cells(labels, pixel_size_um=0.5)
    >>> cells["cell_id"], cells["area_px"], cells["x"], cells["y"], cells["area_um2"]
    (array([7]), array([8]), array([2.5]), array([1.5]), array([2.]))
    >>> round(float(cells["feret_diameter_px"][0]), 3)
    4.472
    """
    labels = _check_labels(labels)
    values = _check_intensity(intensity, labels.shape)
    pixel_size = check_pixel_size(pixel_size_um, allow_none=True)
    runs = row_runs(labels, values)
    ids, which = _cell_index(runs.label)
    count = ids.size
    if count == 0:
        return _empty()
    n = runs.length
    area = np.bincount(which, weights=n, minlength=count)
    y = np.bincount(which, weights=n * runs.row, minlength=count) / area
    x = np.bincount(which, weights=n * (runs.start + runs.stop) / 2.0, minlength=count) / area
    # second moments about each cell's centroid, summed over each run in closed form
    a, b = runs.start - x[which], runs.row - y[which]
    across = n * a * a + a * n * (n - 1) + (n - 1) * n * (2 * n - 1) / 6.0  # sum of (col - x)^2 along the run
    cells: dict[str, np.ndarray] = {
        "cell_id": ids.astype(np.int64),
        "x": x,
        "y": y,
        "area_px": area.astype(np.int64),
        "equivalent_diameter_px": np.sqrt(4.0 * area / np.pi),
        "feret_diameter_px": feret_diameters(runs, which, count, labels.shape[0]),
        "eccentricity": _eccentricity(
            np.bincount(which, weights=n * b * b, minlength=count) / area,
            np.bincount(which, weights=across, minlength=count) / area,
            np.bincount(which, weights=b * (n * a + n * (n - 1) / 2.0), minlength=count) / area,
        ),
    }
    if values is None:
        cells["mean_intensity"] = np.full(count, np.nan)
        cells["max_intensity"] = np.full(count, np.nan)
    else:
        cells["mean_intensity"] = np.bincount(which, weights=runs.total, minlength=count) / area
        peak = np.full(count, -np.inf)
        np.maximum.at(peak, which, runs.peak)
        cells["max_intensity"] = peak
    if stain is not None:
        cells["stain"] = np.asarray(stain, dtype=np.float64)[ids - 1]
    else:
        cells["stain"] = np.full(count, np.nan) if values is None else _stain(labels, ids, values)
    scale = np.nan if pixel_size is None else pixel_size
    cells["area_um2"] = area * scale**2
    cells["equivalent_diameter_um"] = cells["equivalent_diameter_px"] * scale
    cells["feret_diameter_um"] = cells["feret_diameter_px"] * scale
    return {name: cells[name] for name in CELL_COLUMNS}


def _cell_index(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct ids and each value's index among them (`numpy.unique` without sorting when ids are small)."""
    if values.size == 0 or int(values.max()) > 4 * values.size + 1024:
        return np.unique(values, return_inverse=True)
    present = np.bincount(values) > 0
    ids = np.flatnonzero(present)
    index = np.cumsum(present) - 1
    return ids, index[values]


def _eccentricity(var_rows: np.ndarray, var_cols: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """Eccentricity of the ellipse with the given second central moments (0 where undefined)."""
    half_sum = (var_rows + var_cols) / 2.0
    spread = np.hypot((var_rows - var_cols) / 2.0, covariance)
    major, minor = half_sum + spread, np.maximum(half_sum - spread, 0.0)
    ratio = np.divide(minor, major, out=np.ones_like(major), where=major > 0)
    return np.sqrt(1.0 - ratio)


def _check_labels(labels: np.ndarray) -> np.ndarray:
    array = np.asarray(labels)
    if array.ndim != 2:
        raise ParameterError(f"labels must be a 2-D array (height, width), got shape {array.shape}")
    if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        raise ParameterError(f"labels must be an integer label image, got dtype {array.dtype}")
    if array.size and np.issubdtype(array.dtype, np.signedinteger) and array.min() < 0:
        raise ParameterError(f"labels must not hold negative ids, got minimum {array.min()}")
    return array


def _check_intensity(intensity: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray | None:
    """The (H, W) or (H, W, C) intensities to measure (read a block at a time, never copied whole), or None."""
    if intensity is None:
        return None
    array = np.asarray(intensity)
    if array.shape[:2] != shape or array.ndim not in (2, 3):
        raise ParameterError(
            f"intensity must have shape {shape} or {shape + ('C',)} to match labels, got {array.shape}"
        )
    if array.dtype == bool or not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise ParameterError(f"intensity must be a real-valued image, got dtype {array.dtype}")
    if array.ndim == 3 and array.shape[2] == 0:
        raise ParameterError(f"intensity must have at least one channel, got shape {array.shape}")
    return array


def _stain(labels: np.ndarray, ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """`cell_stain` of the cells ``ids`` (sorted), whatever their ids: sparse ids are numbered densely first."""
    if int(ids[-1]) <= 4 * ids.size + 1024:
        return cell_stain(labels, values)[ids - 1]
    dense = np.zeros(labels.shape, dtype=np.uint32)
    for y in range(0, labels.shape[0], 1024):
        block = labels[y:y + 1024]
        inside = block != 0
        dense[y:y + 1024][inside] = np.searchsorted(ids, block[inside]) + 1
    return cell_stain(dense, values)


def _empty() -> dict[str, np.ndarray]:
    return {
        name: np.zeros(0, dtype=np.int64 if name in INTEGER_COLUMNS else np.float64) for name in CELL_COLUMNS
    }
