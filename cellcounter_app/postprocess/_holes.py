"""Fill the holes of a label image, looking only inside the objects' boxes.

Same result as `steps.fill_holes` on the label image's mask, but much cheaper
on a large, mostly empty image: every hole lies inside the bounding box of
the object around it, so the background is labelled on a canvas of packed
boxes instead of on the whole image.  A filled hole takes the id of the
object around it; objects inside the hole (a cell within a ring) join it.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ._checks import FOUR_CONNECTED
from ._packing import pack

_FOUR_SHIFTS = (
    ((slice(None), slice(None, -1)), (slice(None), slice(1, None))),
    ((slice(None, -1), slice(None)), (slice(1, None), slice(None))),
)


def fill_label_holes(
    labels: np.ndarray, boxes: list[tuple[slice, slice] | None], max_hole_size: int,
) -> tuple[np.ndarray, bool]:
    """Fill holes of up to ``max_hole_size`` px of an 8-connected label image.

    Parameters
    ----------
    labels : (H, W) array of int32
        Label image whose objects are 8-connected components (as from
        `scipy.ndimage.label`); it is modified in place.
    boxes : list
        ``scipy.ndimage.find_objects(labels)``.  Boxes narrower than 3 px
        cannot hold a hole and are skipped.
    max_hole_size : int
        Largest hole (px²) that is filled.

    Returns
    -------
    labels : (H, W) array of int32
        The filled label image (a new array when objects were joined).
    joined : bool
        True when objects inside holes were joined to the object around them,
        which leaves some ids unused and ``boxes`` out of date.
    """
    present = [
        box for box in boxes
        if box is not None and box[0].stop - box[0].start >= 3 and box[1].stop - box[1].start >= 3
    ]
    if max_hole_size == 0 or not present:
        return labels, False
    packing = pack([(box[0].stop - box[0].start + 2, box[1].stop - box[1].start + 2) for box in present])
    canvas = np.zeros(packing.shape, dtype=labels.dtype)
    interior = np.zeros(packing.shape, dtype=bool)
    for index, box in enumerate(present):
        rows, cols = packing.region(index)
        inner = (slice(rows.start + 1, rows.stop - 1), slice(cols.start + 1, cols.stop - 1))
        canvas[inner] = labels[box]
        interior[inner] = True
    background, count = ndi.label(canvas == 0, structure=FOUR_CONNECTED)
    is_hole = np.bincount(background.ravel(), minlength=count + 1) <= max_hole_size
    is_hole[background[~interior]] = False
    is_hole[0] = False
    if not is_hole.any():
        return labels, False
    hole_ids = np.where(is_hole[background], background, 0)
    hole_owner, table = _hole_owners(hole_ids, canvas, count, int(labels.max()))
    for index, box in enumerate(present):
        rows, cols = packing.region(index)
        found = hole_ids[rows.start + 1:rows.stop - 1, cols.start + 1:cols.stop - 1]
        inside = found > 0
        if inside.any():
            labels[box][inside] = hole_owner[found[inside]]
    if table is None:
        return labels, False
    return table[labels], True


def _hole_owners(
    hole_ids: np.ndarray, canvas: np.ndarray, hole_count: int, top_label: int,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The id each hole is filled with, and the table joining objects that share a hole.

    All objects touching a hole (the one around it and any inside it) become
    one, named by the lowest id: the object around a hole starts above
    everything inside it, and `scipy.ndimage.label` numbers in raster order.
    The table is None when no objects are joined.
    """
    holes, objects = [], []
    for first, second in _FOUR_SHIFTS:
        for near, far in ((first, second), (second, first)):
            touch = (hole_ids[near] > 0) & (canvas[far] > 0)
            holes.append(hole_ids[near][touch])
            objects.append(canvas[far][touch])
    hole_of, object_of = np.concatenate(holes), np.concatenate(objects)
    owner = np.full(hole_count + 1, top_label, dtype=np.int64)
    np.minimum.at(owner, hole_of, object_of)
    inner = object_of != owner[hole_of]
    if not inner.any():
        return owner, None
    links = coo_matrix(
        (np.ones(int(inner.sum()), dtype=np.int8), (owner[hole_of[inner]], object_of[inner])),
        shape=(top_label + 1, top_label + 1),
    )
    _, component = connected_components(links, directed=False)
    lowest = np.full(component.max() + 1, top_label, dtype=np.int64)
    np.minimum.at(lowest, component, np.arange(top_label + 1))
    table = lowest[component].astype(canvas.dtype)
    return table[owner], table
