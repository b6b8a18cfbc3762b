"""Maximum Feret (caliper) diameter of every labelled cell.

A cell is taken as the union of its pixels' unit squares, as ImageJ does, so
a w x h rectangle of pixels has a Feret diameter of ``hypot(w, h)`` and a
single pixel ``sqrt(2)``.  The farthest pair of points of such a shape are
corners on its convex hull.  A cell's rows are contiguous (it is
8-connected), so on each horizontal grid line of the cell only the leftmost
and the rightmost corner can be on the hull.  These two chains are pruned to
the hull for all cells at once, and the largest distance between the
remaining corners is computed for many cells at once, in batches of cells
with about as many corners.
"""

from __future__ import annotations

import numpy as np

from .runs import Runs

BATCH_ELEMENTS = 1 << 20
"""Largest number of point pairs computed in one batch (bounds the memory used)."""


def feret_diameters(runs: Runs, which: np.ndarray, count: int, height: int) -> np.ndarray:
    """Maximum Feret diameter (px) of each cell.

    Parameters
    ----------
    runs : Runs
        The foreground runs of the label image (`row_runs`).
    which : 1-D array of int
        Each run's cell, as an index in ``0..count-1``.
    count : int
        Number of cells.
    height : int
        Rows of the label image.

    Returns
    -------
    feret : array of float64, length ``count``
    """
    y, left, right, cell = _outline(runs, which, height)
    points, owner = [], []
    for x, side in ((left, 1.0), (right, -1.0)):
        hull_y, hull_x, hull_cell = _convex_side(y, x, cell, side)
        points.append(np.stack((hull_y, hull_x), axis=1))
        owner.append(hull_cell)
    order = np.argsort(np.concatenate(owner), kind="stable")
    corners = np.concatenate(points)[order]
    starts = np.searchsorted(np.concatenate(owner)[order], np.arange(count + 1))
    return _largest_distances(corners, starts)


def _outline(runs: Runs, which: np.ndarray, height: int) -> tuple[np.ndarray, ...]:
    """Leftmost and rightmost corner x on each horizontal grid line of each cell.

    Returns ``(y, left, right, cell)``, sorted by cell, then y.
    """
    key = which.astype(np.int64) * height + runs.row
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    row_key = key[first]
    first_col = np.minimum.reduceat(runs.start[order], first)
    last_col = np.maximum.reduceat(runs.stop[order], first)
    cell, row = np.divmod(row_key, height)
    above = np.concatenate(([False], cell[1:] == cell[:-1]))
    bottom = np.concatenate((cell[1:] != cell[:-1], [True]))
    top_left = np.where(above, np.minimum(first_col, np.roll(first_col, 1)), first_col) - 0.5
    top_right = np.where(above, np.maximum(last_col, np.roll(last_col, 1)), last_col) + 0.5
    line_y = np.concatenate((row - 0.5, row[bottom] + 0.5))
    line_cell = np.concatenate((cell, cell[bottom]))
    order = np.lexsort((line_y, line_cell))
    left = np.concatenate((top_left, first_col[bottom] - 0.5))[order]
    right = np.concatenate((top_right, last_col[bottom] + 0.5))[order]
    return line_y[order], left, right, line_cell[order]


def _convex_side(y: np.ndarray, x: np.ndarray, cell: np.ndarray, side: float) -> tuple[np.ndarray, ...]:
    """Keep the points of each cell's left (``side`` 1) or right (-1) chain that are on its convex hull.

    A point is dropped when it lies on or inside the segment joining its two
    neighbours on the chain; such a point is inside the hull whatever else is
    dropped, so all are dropped at once, round after round, until none is left.
    """
    while len(y) > 2:
        ya, yb, yc = y[:-2], y[1:-1], y[2:]
        xa, xb, xc = x[:-2], x[1:-1], x[2:]
        inner = (cell[:-2] == cell[1:-1]) & (cell[1:-1] == cell[2:])
        inside = side * ((xb - xa) * (yc - ya) - (xc - xa) * (yb - ya)) >= 0
        drop = inner & inside
        if not drop.any():
            break
        keep = np.ones(len(y), dtype=bool)
        keep[1:-1] = ~drop
        y, x, cell = y[keep], x[keep], cell[keep]
    return y, x, cell


def _largest_distances(points: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Largest distance between two points of each group ``points[starts[i]:starts[i+1]]``."""
    sizes = np.diff(starts)
    result = np.zeros(sizes.size)
    width = ((np.maximum(sizes, 1) + 7) // 8) * 8
    for batch_width in np.unique(width).tolist():
        members = np.flatnonzero(width == batch_width)
        step = max(1, BATCH_ELEMENTS // batch_width**2)
        for first in range(0, members.size, step):
            chunk = members[first:first + step]
            take = starts[chunk, None] + np.minimum(np.arange(batch_width), sizes[chunk, None] - 1)
            dy = points[take, 0][:, :, None] - points[take, 0][:, None, :]
            dx = points[take, 1][:, :, None] - points[take, 1][:, None, :]
            result[chunk] = np.sqrt((dy * dy + dx * dx).max(axis=(1, 2)))
    return result
