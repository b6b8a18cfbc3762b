"""Pack many small crops into one canvas, so that one call processes them all.

Calling `scipy.ndimage` or `skimage` once per object costs more in call
overhead than in work for the small crops of cells; packing them side by side
(each crop keeps its own zero border) makes one call do the work of hundreds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Packing:
    """Where each crop sits in the canvas: ``canvas[rows[i]:rows[i]+h, cols[i]:cols[i]+w]``."""

    shape: tuple[int, int]
    rows: np.ndarray
    cols: np.ndarray
    heights: np.ndarray
    widths: np.ndarray

    def region(self, index: int) -> tuple[slice, slice]:
        """Canvas slices of crop ``index``."""
        row, col = int(self.rows[index]), int(self.cols[index])
        return (slice(row, row + int(self.heights[index])), slice(col, col + int(self.widths[index])))


def pack(shapes: list[tuple[int, int]]) -> Packing:
    """Shelf packing: crops sorted by height, placed left to right in rows.

    The canvas is about as wide as it is tall; crops never overlap.
    """
    heights = np.array([s[0] for s in shapes], dtype=np.int64).reshape(-1)
    widths = np.array([s[1] for s in shapes], dtype=np.int64).reshape(-1)
    rows = np.zeros(len(shapes), dtype=np.int64)
    cols = np.zeros(len(shapes), dtype=np.int64)
    if not shapes:
        return Packing((0, 0), rows, cols, heights, widths)
    canvas_width = max(int(widths.max()), math.isqrt(int((heights * widths).sum())) + 1)
    shelf_top = shelf_height = cursor = 0
    for index in np.argsort(-heights, kind="stable"):
        if cursor + widths[index] > canvas_width:
            shelf_top += shelf_height
            shelf_height = cursor = 0
        rows[index], cols[index] = shelf_top, cursor
        cursor += int(widths[index])
        shelf_height = max(shelf_height, int(heights[index]))
    return Packing((shelf_top + shelf_height, canvas_width), rows, cols, heights, widths)
