"""Per-image summary: count, density, area fraction, mean cell area."""

from __future__ import annotations

import math

import numpy as np

from ..errors import ParameterError
from ..results import SUMMARY_KEYS
from .units import UM2_PER_MM2, check_pixel_size

REQUIRED_COLUMNS = ("cell_id", "x", "y", "area_px")


def summarize(
    labels: np.ndarray,
    cells: dict[str, np.ndarray],
    pixel_size_um: float | None = None,
    region_mask: np.ndarray | None = None,
) -> dict[str, float]:
    """Summarise one counted image.

    Parameters
    ----------
    labels : (H, W) array of int
        The label image the cells were measured on (0 = background).
    cells : dict of str to 1-D array
        Output of `measure_cells` (at least ``cell_id``, ``x``, ``y``, ``area_px``).
    pixel_size_um : float, optional
        Width of a pixel in µm, > 0.  None leaves the calibrated values NaN.
    region_mask : (H, W) array of bool, optional
        The region of interest.  When given, only cells whose centroid lies in
        it are counted (and averaged), and the density and the area fraction
        refer to its area and to the cell pixels inside it.

    Returns
    -------
    summary : dict of str to number
        The keys of `cellcounter_app.results.SUMMARY_KEYS`:

        - ``count``: number of cells (int);
        - ``density_per_mm2``: cells per mm² of image (or region); NaN without
          pixel size or with an empty region;
        - ``area_fraction``: cell pixels / image (or region) pixels;
        - ``mean_area_px``, ``mean_area_um2``: mean cell area; NaN without
          cells (and, for µm², without pixel size);
        - ``pixel_size_um``: NaN when unknown;
        - ``height``, ``width``: image size in px (int).

    Examples
    --------
    >>> labels = np.zeros((100, 100), int)
    >>> labels[10:20, 10:20] = 1
    >>> labels[50:60, 50:70] = 2
    >>> cells = {"cell_id": np.array([1, 2]), "x": np.array([14.5, 59.5]),
    ...          "y": np.array([14.5, 54.5]), "area_px": np.array([100, 200])}
    >>> s = summarize(labels, cells, pixel_size_um=10.0)
    >>> s["count"], s["density_per_mm2"], s["area_fraction"], s["mean_area_um2"]
    (2, 2.0, 0.03, 15000.0)
    """
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ParameterError(f"labels must be a 2-D array (height, width), got shape {labels.shape}")
    pixel_size = check_pixel_size(pixel_size_um, allow_none=True)
    columns = _check_cells(cells)
    height, width = labels.shape
    area_px = columns["area_px"].astype(np.float64)
    if region_mask is None:
        region_pixels = labels.size
        cell_pixels = int(np.count_nonzero(labels))  # no whole-image mask: a 20000² one is 0.4 GB
    else:
        region = _check_region(region_mask, labels.shape)
        region_pixels = int(np.count_nonzero(region))
        cell_pixels = int(np.count_nonzero((labels != 0) & region))
        if area_px.size:
            rows = np.clip(np.rint(columns["y"]).astype(np.int64), 0, height - 1)
            cols = np.clip(np.rint(columns["x"]).astype(np.int64), 0, width - 1)
            area_px = area_px[region[rows, cols]]
    count = int(area_px.size)
    mean_area = float(area_px.mean()) if count else math.nan
    calibrated = pixel_size is not None
    region_mm2 = region_pixels * pixel_size**2 / UM2_PER_MM2 if calibrated else math.nan
    summary: dict[str, float] = {
        "count": count,
        "density_per_mm2": count / region_mm2 if calibrated and region_mm2 > 0 else math.nan,
        "area_fraction": cell_pixels / region_pixels if region_pixels else math.nan,
        "mean_area_px": mean_area,
        "mean_area_um2": mean_area * pixel_size**2 if calibrated else math.nan,
        "pixel_size_um": pixel_size if calibrated else math.nan,
        "height": height,
        "width": width,
    }
    return {key: summary[key] for key in SUMMARY_KEYS}


def _check_cells(cells: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    missing = [name for name in REQUIRED_COLUMNS if name not in cells]
    if missing:
        raise ParameterError(f"cells lacks the column(s) {', '.join(missing)}; pass the output of measure_cells")
    columns = {name: np.asarray(cells[name]).reshape(-1) for name in REQUIRED_COLUMNS}
    lengths = {name: column.size for name, column in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ParameterError(f"cells columns must all have the same length, got {lengths}")
    return columns


def _check_region(region_mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    region = np.asarray(region_mask)
    if region.shape != shape:
        raise ParameterError(f"region_mask must have the labels' shape {shape}, got {region.shape}")
    if region.dtype != bool:
        if not np.issubdtype(region.dtype, np.number):
            raise ParameterError(f"region_mask must be boolean or numeric, got dtype {region.dtype}")
        region = region != 0
    return region


def counted_summary(
    labels: np.ndarray,
    kept_ids: np.ndarray,
    count: int,
    pixel_size_um: float | None = None,
    region_mask: np.ndarray | None = None,
) -> dict[str, float]:
    """The values of a summary that depend on which cells are counted.

    After corrections and counting regions, the count is ``count`` (the
    detections kept plus the cells added by hand); the mean area and the area
    fraction are those of the kept detections only (an added cell has no
    outline), and the density and the area fraction refer to the region.

    Parameters
    ----------
    labels : (H, W) array of int
        The detections (0 = background).
    kept_ids : 1-D array of int
        Labels of the detections that count (inside the regions, not removed).
    count : int
        The corrected count, >= 0.
    pixel_size_um : float, optional
        Width of a pixel in µm, > 0.  None leaves the calibrated values NaN.
    region_mask : (H, W) array of bool, optional
        The counting regions; None for the whole image.

    Returns
    -------
    values : dict of str to float
        ``count``, ``density_per_mm2``, ``area_fraction``, ``mean_area_px``
        and ``mean_area_um2``, defined as in `summarize`.

    Examples
    --------
    >>> labels = np.zeros((100, 100), int)
    >>> labels[10:20, 10:20] = 1
    >>> labels[50:60, 50:70] = 2
    >>> region = np.zeros((100, 100), bool); region[:50] = True
    >>> v = counted_summary(labels, np.array([1]), 2, pixel_size_um=10.0, region_mask=region)
    >>> v["count"], v["mean_area_px"], v["area_fraction"], v["density_per_mm2"]
    (2, 100.0, 0.02, 4.0)
    """
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ParameterError(f"labels must be a 2-D array (height, width), got shape {labels.shape}")
    if count < 0:
        raise ParameterError(f"count must be >= 0, got {count}")
    pixel_size = check_pixel_size(pixel_size_um, allow_none=True)
    kept = np.asarray(kept_ids, np.int64).reshape(-1)
    kept = kept[(kept > 0) & (kept <= (int(labels.max()) if labels.size else 0))]
    areas = np.bincount(labels.ravel(), minlength=1) if labels.size else np.zeros(1, np.int64)
    mean_area = float(areas[kept].mean()) if kept.size else math.nan
    counted = np.isin(labels, kept)
    if region_mask is None:
        region_pixels = labels.size
    else:
        region = _check_region(region_mask, labels.shape)
        region_pixels = int(np.count_nonzero(region))
        counted &= region
    calibrated = pixel_size is not None
    region_mm2 = region_pixels * pixel_size**2 / UM2_PER_MM2 if calibrated else math.nan
    return {
        "count": int(count),
        "density_per_mm2": count / region_mm2 if calibrated and region_mm2 > 0 else math.nan,
        "area_fraction": int(np.count_nonzero(counted)) / region_pixels if region_pixels else math.nan,
        "mean_area_px": mean_area,
        "mean_area_um2": mean_area * pixel_size**2 if calibrated else math.nan,
    }
