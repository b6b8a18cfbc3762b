"""Cell outlines as polygons, for the ROI set and the GeoJSON exports.

Coordinates are ``(x, y)`` in pixels with the origin at the top-left corner
of the top-left pixel (ImageJ's and QuPath's convention: pixel ``(0, 0)``
covers ``[0, 1) × [0, 1)``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from scipy import ndimage
from skimage.measure import find_contours

from ..results import MANUAL_COLUMN


def cell_outlines(labels: np.ndarray | None,
                  cells: Mapping[str, Any]) -> Iterator[tuple[int, int, np.ndarray]]:
    """``(row index in cells, cell id, points)`` per cell listed in ``cells``.

    ``points`` is an ``(N, 2)`` float array of ``(x, y)`` vertices of the
    cell's outer boundary (not closed); a cell without pixels in ``labels``
    (a cell added by hand) gets its centroid as a single point.  Only the
    cells in ``cells`` are returned, so removed cells and cells outside the
    counting regions stay out.

    Examples
    --------
    >>> labels = np.zeros((5, 5), np.uint16); labels[1:3, 1:4] = 1
    >>> [(i, cid, pts.min(axis=0).tolist()) for i, cid, pts in cell_outlines(labels, {"cell_id": [1]})]
    [(0, 1, [1.0, 1.0])]
    """
    ids = np.asarray(cells.get("cell_id", ()), dtype=np.int64)
    manual = np.asarray(cells.get(MANUAL_COLUMN, np.zeros(len(ids), bool)), dtype=bool)
    boxes = ndimage.find_objects(labels) if labels is not None and labels.size else []
    for row, cell_id in enumerate(ids):
        box = boxes[cell_id - 1] if 0 < cell_id <= len(boxes) and not manual[row] else None
        if box is None:
            x, y = float(cells["x"][row]) + 0.5, float(cells["y"][row]) + 0.5
            yield row, int(cell_id), np.array([[x, y]])
            continue
        mask = np.pad(labels[box] == cell_id, 1)
        contour = max(find_contours(mask.astype(np.uint8), 0.5), key=len)
        points = contour[:-1, ::-1] + [box[1].start - 0.5, box[0].start - 0.5]
        yield row, int(cell_id), _corners(points)


def _corners(points: np.ndarray) -> np.ndarray:
    """The polygon without vertices that lie on a straight line between their neighbours."""
    if len(points) < 4:
        return points
    before, after = np.roll(points, 1, axis=0), np.roll(points, -1, axis=0)
    cross = (points - before)[:, 0] * (after - points)[:, 1] - (points - before)[:, 1] * (after - points)[:, 0]
    return points[np.abs(cross) > 1e-9]
