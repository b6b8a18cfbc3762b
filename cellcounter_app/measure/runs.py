"""The cells of a label image as horizontal runs: what every measurement is computed from.

A run is a maximal stretch of one row with the same non-zero id.  A cell of
a few hundred pixels has a few dozen runs, so the runs of a whole 20000²
image take a few tens of MB where its pixel indices would take GBs; they are
found a block of rows at a time, and so are the intensities summed over them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..postprocess.stain import stain_plane

BLOCK_PIXELS = 4_000_000
"""About this many pixels are looked at at a time (the temporaries stay a few tens of MB)."""


@dataclass(frozen=True)
class Runs:
    """The foreground runs of a label image, in raster order.

    ``row``, ``start`` and ``stop`` (inclusive) are int32 (a 20000² image has
    millions of runs); ``label`` the run's id.  With intensities: ``total``
    (float64 sum) and ``peak`` (maximum) of the run's pixels, else None.
    """

    row: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    label: np.ndarray
    total: np.ndarray | None = None
    peak: np.ndarray | None = None

    @property
    def length(self) -> np.ndarray:
        """int64 pixels of each run."""
        return self.stop.astype(np.int64) - self.start + 1


def row_runs(labels: np.ndarray, values: np.ndarray | None = None) -> Runs:
    """The runs of ``labels`` (H, W); with ``values`` ((H, W) or (H, W, C): the maximum over channels),
    each run's intensity sum and maximum.

    Examples
    --------
    >>> runs = row_runs(np.array([[0, 5, 5, 2], [5, 5, 0, 0]]), np.array([[9, 1, 2, 3], [4, 5, 6, 7]]))
    >>> runs.row.tolist(), runs.start.tolist(), runs.stop.tolist(), runs.label.tolist()
    ([0, 0, 1], [1, 3, 0], [2, 3, 1], [5, 2, 5])
    >>> runs.total.tolist(), runs.peak.tolist()
    ([3.0, 3.0, 9.0], [2.0, 3.0, 5.0])
    """
    height, width = labels.shape
    step = max(1, BLOCK_PIXELS // max(width, 1))
    parts: list[tuple[np.ndarray, ...]] = []
    for y in range(0, height, step):
        block = labels[y:y + step]
        flat = block.ravel()
        if flat.size == 0:
            continue
        change = np.empty(flat.size, dtype=bool)
        change[0] = True
        np.not_equal(flat[1:], flat[:-1], out=change[1:])
        change[::width] = True
        starts = np.flatnonzero(change)
        ids = flat[starts]
        stops = np.append(starts[1:], flat.size) - 1
        part = [starts, stops, ids]
        if values is not None:
            plane = _plane(values[y:y + step]).ravel()
            part += [np.add.reduceat(plane, starts), np.maximum.reduceat(plane, starts)]
        keep = ids != 0
        rows, first = np.divmod(starts[keep], width)
        parts.append([(rows + y).astype(np.int32), first.astype(np.int32), (stops[keep] % width).astype(np.int32),
                      *(p[keep] for p in part[2:])])
        del change, starts, stops, part
    if not parts:
        empty = np.zeros(0, np.int32)
        return Runs(empty, empty, empty, np.zeros(0, labels.dtype), *(() if values is None else (np.zeros(0),) * 2))
    columns = []
    for index in range(len(parts[0])):  # one column at a time, each block's part freed once joined
        columns.append(np.concatenate([part[index] for part in parts]))
        for part in parts:
            part[index] = None
    return Runs(*columns)


def _plane(block: np.ndarray) -> np.ndarray:
    """A block of intensities as float64 (H, W): the maximum over channels when there are some."""
    return stain_plane(block).astype(np.float64)
