"""Post-processing of a very large probability map, window by window, in bounded memory.

The whole chain (`postprocess`) holds several whole-image temporaries; on a
10000² map that is GBs.  Above `TILED_PIXELS` the map is cut into cores of
`CORE` px, each post-processed with a margin of `halo` px around it.  An
object is taken from the window whose core holds the centre of its bounding
box, and only when it does not touch the window's edge inside the image; an
object smaller than the margin is then seen whole by that window and comes
out as the whole-image chain gives it (splitting, hole filling and growth
only look near the object).  The objects are numbered 1..n in raster order of
their first pixel, as the whole-image chain numbers them.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import ndimage as ndi

from .params import PostprocessParams
from .steps import border_ids, raster_order, run_ids

TILED_PIXELS = 25_000_000
"""Maps larger than this (5000²) are post-processed window by window."""

CORE = 2048
"""Side of the part of each window whose objects the window gives."""

HALO = 256
"""Margin around each core: objects up to about this size are always seen whole."""

BLOCK_ROWS = 1024


def halo_for(params: PostprocessParams) -> int:
    """The margin around each core: `HALO`, more when the parameters allow larger objects."""
    largest = int(np.ceil(2 * np.sqrt(params.max_size))) if params.max_size else 0
    return max(HALO, 4 * params.peak_min_distance + 2 * params.grow, largest)


def postprocess_tiled(probability: np.ndarray, params: PostprocessParams,
                      whole: Callable[[np.ndarray, PostprocessParams], np.ndarray],
                      core: int = CORE) -> np.ndarray:
    """``whole(probability, params)``, window by window (see the module docstring); uint32 labels."""
    height, width = probability.shape
    halo = halo_for(params)
    inner = PostprocessParams(**{**params.to_dict(), "exclude_border": False})
    labels = np.zeros((height, width), dtype=np.uint32)
    next_id = 1
    for y0 in range(0, height, core):
        for x0 in range(0, width, core):
            wy0, wx0 = max(y0 - halo, 0), max(x0 - halo, 0)
            wy1, wx1 = min(y0 + core + halo, height), min(x0 + core + halo, width)
            found = whole(np.asarray(probability[wy0:wy1, wx0:wx1], dtype=np.float32), inner)  # float16 maps too
            count = int(found.max()) if found.size else 0
            if count == 0:
                continue
            keep = _owned(found, count, (y0 - wy0, x0 - wx0, min(core, height - y0), min(core, width - x0)),
                          (wy0 > 0, wy1 < height, wx0 > 0, wx1 < width))
            ids = np.zeros(count + 1, dtype=np.uint32)
            ids[keep] = np.arange(next_id, next_id + int(keep.sum()), dtype=np.uint32)
            next_id += int(keep.sum())
            target = labels[wy0:wy1, wx0:wx1]
            new = ids[found]
            place = (new > 0) & (target == 0)
            target[place] = new[place]
    drop = border_ids(labels, params.border_margin) if params.exclude_border else np.zeros(0, np.int64)
    return renumber_in_place(labels, next_id - 1, drop)


def _owned(found: np.ndarray, count: int, core: tuple[int, int, int, int],
           cut: tuple[bool, bool, bool, bool]) -> np.ndarray:
    """``keep[id]`` of a window's objects: the centre of the object's box is in the core
    (``top, left, height, width`` in the window) and the object touches no edge marked in ``cut``
    (top, bottom, left, right: the window's edges inside the image)."""
    top, left, rows, cols = core
    keep = np.zeros(count + 1, dtype=bool)
    for index, box in enumerate(ndi.find_objects(found), start=1):
        if box is None:
            continue
        cy = (box[0].start + box[0].stop - 1) // 2
        cx = (box[1].start + box[1].stop - 1) // 2
        keep[index] = top <= cy < top + rows and left <= cx < left + cols
    edges = [found[0], found[-1], found[:, 0], found[:, -1]]
    for edge, inside in zip(edges, cut):
        if inside:
            keep[edge] = False
    keep[0] = False
    return keep


def renumber_in_place(labels: np.ndarray, largest: int, drop: np.ndarray | None = None) -> np.ndarray:
    """Number the objects of the uint32 ``labels`` 1..n in raster order of their first pixel, in place
    (a block of rows at a time: no second whole-image array); ids in ``drop`` become 0."""
    table = np.zeros(largest + 1, dtype=np.uint32)
    dropped = np.zeros(largest + 1, dtype=bool)
    if drop is not None and len(drop):
        dropped[np.asarray(drop, dtype=np.int64)] = True
    dropped[0] = True
    following = 1
    for y in range(0, labels.shape[0], BLOCK_ROWS):
        ids = run_ids(labels[y:y + BLOCK_ROWS].ravel())
        ids = ids[~dropped[ids] & (table[ids] == 0)]  # the objects this block shows first
        if ids.size:
            fresh, numbers = raster_order(ids)
            table[fresh] = numbers + np.uint32(following - 1)
            following += fresh.size
    for y in range(0, labels.shape[0], BLOCK_ROWS):
        block = labels[y:y + BLOCK_ROWS]
        block[...] = table[block]
    return labels
