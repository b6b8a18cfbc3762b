"""Cells marked with a click become training labels the size of a cell.

A network that counts by segmentation learns from masks, so every point is
painted as an object of the cell diameter (numpy only, no torch):

- ``disc``: a disc of the cell diameter centred on the point;
- ``gaussian``: a Gaussian blob fitted to the image: the pixels of a disc of
  1.25 cell diameters whose Gaussian-smoothed intensity is above half-way
  between the local background and the blob's peak, so the target follows
  the cell's real outline; the plain disc where the image gives no clear
  blob (low contrast, or a blob far smaller or larger than a cell).

Points never overwrite cells already outlined; two close points share the
space between them (each pixel goes to the nearest point).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from ..errors import ParameterError

POINT_SHAPES = ("disc", "gaussian")
BLOB_REACH = 1.25
"""A Gaussian blob may reach this many cell radii from its point."""
MIN_CONTRAST = 0.05
"""Blob peak over background below this fraction of the image's range: use the disc."""


def paint_points(labels: np.ndarray | None, points: np.ndarray, diameter_px: float, shape: tuple[int, int], *,
                 point_shape: str = "disc", image: np.ndarray | None = None) -> np.ndarray:
    """Add one object per point to ``labels`` (new ids after the largest one).

    Parameters
    ----------
    labels : ndarray or None
        ``(H, W)`` integer labels of the cells already outlined (None: none).
    points : ndarray
        ``(k, 2)`` ``(x, y)`` positions, origin at the top-left pixel's centre.
    diameter_px : float
        Cell diameter (px, >= 1): the disc's diameter.
    shape : (H, W)
        The image size.
    point_shape : {"disc", "gaussian"}
        See the module docstring.
    image : ndarray, optional
        ``(H, W)`` intensity, needed for ``gaussian``.

    Returns
    -------
    ndarray
        int32 ``(H, W)`` labels.  Points outside the image add nothing.

    Examples
    --------
    >>> out = paint_points(None, np.array([[4.0, 3.0]]), 5, (8, 10))
    >>> int(out.max()), int((out == 1).sum()), int(out[3, 4])
    (1, 21, 1)
    """
    if point_shape not in POINT_SHAPES:
        raise ParameterError(f"point_shape must be one of {', '.join(POINT_SHAPES)}, got {point_shape!r}")
    if not (np.isfinite(diameter_px) and diameter_px >= 1):
        raise ParameterError(f"diameter_px must be a number >= 1, got {diameter_px!r}")
    height, width = int(shape[0]), int(shape[1])
    out = np.zeros((height, width), np.int32) if labels is None else np.asarray(labels).astype(np.int32)
    if out.shape != (height, width):
        raise ParameterError(f"labels must be {height}x{width}, got {out.shape}")
    if point_shape == "gaussian" and (image is None or np.shape(image) != (height, width)):
        raise ParameterError(f"point_shape 'gaussian' needs the (H, W) = {(height, width)} image")
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    cols, rows = np.rint(points[:, 0]).astype(np.int64), np.rint(points[:, 1]).astype(np.int64)
    inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    rows, cols = rows[inside], cols[inside]
    if rows.size == 0:
        return out
    seeds = np.zeros((height, width), np.int64)
    seeds[rows, cols] = np.arange(1, rows.size + 1)
    distance, (near_r, near_c) = ndi.distance_transform_edt(seeds == 0, return_indices=True)
    owner = seeds[near_r, near_c]
    radius = diameter_px / 2.0
    free = out == 0
    first = int(out.max()) + 1
    if point_shape == "disc":
        paint = free & (distance <= radius)
        out[paint] = first - 1 + owner[paint]
        return out
    smooth = ndi.gaussian_filter(np.asarray(image, dtype=np.float64), sigma=max(radius / 4.0, 0.5))
    span = float(np.percentile(smooth, 99.5) - np.percentile(smooth, 0.5)) or 1.0
    reach = int(np.ceil(BLOB_REACH * radius))
    for index, (r, c) in enumerate(zip(rows, cols), start=1):
        window = (slice(max(r - reach, 0), min(r + reach + 1, height)),
                  slice(max(c - reach, 0), min(c + reach + 1, width)))
        mine = (owner[window] == index) & free[window]
        disc = mine & (distance[window] <= radius)
        blob = _blob(smooth[window], mine & (distance[window] <= BLOB_REACH * radius), disc, span)
        out[window][blob] = first - 1 + index
    return out


def _blob(smooth: np.ndarray, reachable: np.ndarray, disc: np.ndarray, span: float) -> np.ndarray:
    """The half-maximum blob within ``reachable``, or ``disc`` when the image shows none."""
    if not disc.any():
        return disc
    peak = float(smooth[disc].max())
    background = float(np.percentile(smooth[reachable], 10)) if reachable.any() else peak
    if peak - background < MIN_CONTRAST * span:
        return disc
    above = reachable & (smooth >= (peak + background) / 2.0)
    pieces, _ = ndi.label(above)
    keep = np.unique(pieces[disc & above])
    blob = np.isin(pieces, keep[keep > 0])
    area, disc_area = int(blob.sum()), int(disc.sum())
    if not 0.25 * disc_area <= area <= 2.0 * disc_area:
        return disc
    return blob
