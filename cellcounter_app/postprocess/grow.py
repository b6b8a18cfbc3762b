"""Grow cells into the background around them, without merging neighbours.

Three-class networks (background / cell / boundary) mark the outer rim of
every cell as boundary, so thresholding their cell class finds the cell
*interiors*: well separated, but each about one rim narrower than the cell
(so do networks trained on distance maps, see `training.targets`).
Growing the found objects by the rim's width gives back the cells' outline
for the area and intensity measurements; where two cells touch, each pixel
goes to the nearer one, so touching cells stay apart.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from ._checks import check_count, check_image, check_labels, label_mask
from .windows import object_windows


def grow_labels(labels_or_mask: np.ndarray, distance: int) -> np.ndarray:
    """Add to each object the background pixels within ``distance`` px of it.

    A background pixel joins the object nearest to it (Euclidean distance
    between pixel centres, ties to the lower id), and only if that object is
    at most ``distance`` px away, so objects never merge and never overlap.

    Parameters
    ----------
    labels_or_mask : (H, W) array of bool or int
        A mask (objects are its 8-connected components) or a label image.
    distance : int
        Growth in px, >= 0; 0 returns a copy.

    Returns
    -------
    grown : (H, W) array
        A label image of the input's dtype (int32 for a mask); ids are kept.

    Examples
    --------
    >>> labels = np.zeros((1, 9), int)
    >>> labels[0, 1], labels[0, 6] = 1, 2
    >>> grow_labels(labels, 1).tolist()
    [[1, 1, 1, 0, 0, 2, 2, 2, 0]]
    >>> grow_labels(labels, 2).tolist()
    [[1, 1, 1, 1, 2, 2, 2, 2, 2]]
    """
    distance = check_count(distance, "distance")
    array = check_image(labels_or_mask, "labels_or_mask")
    labels = label_mask(array)[0] if array.dtype == bool else check_labels(array, "labels_or_mask")
    return grow_checked(labels, distance)


SMALL_GROWTH = 3
"""Up to this growth (px) the background pixels near objects are scanned with a disc of offsets;
beyond it each object gets its own small distance transform (the disc grows as the square)."""


def grow_checked(labels: np.ndarray, distance: int) -> np.ndarray:
    """`grow_labels` on a checked label image, without argument checks.

    A background pixel reached by several objects goes to the nearest, ties
    to the lower id.  Small growths look, for each background pixel near an
    object, at the pixels of a disc of offsets in order of distance (18 ms
    on 1200×1600 with 500 cells at 2 px); larger ones run one small distance
    transform per object box (27 ms there).
    """
    return _grow(labels, distance)[0]


def grow_sized(labels: np.ndarray, distance: int, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`grow_checked` and the objects' new pixel counts, given their counts ``sizes`` (indexed by id)."""
    grown, added = _grow(labels, distance)
    sizes = sizes + np.bincount(added, minlength=sizes.size)
    sizes[0] = 0
    return grown, sizes


def _grow(labels: np.ndarray, distance: int) -> tuple[np.ndarray, np.ndarray]:
    """The grown labels and the ids given to background pixels (0 where none was)."""
    if distance == 0 or not labels.any():
        return labels.copy(), np.zeros(0, labels.dtype)
    if distance <= SMALL_GROWTH:
        return _grow_by_offsets(labels, distance)
    grown = labels.copy()
    nearest = np.full(labels.shape, np.inf, np.float64)
    for index, window in object_windows(labels, distance):
        here = labels[window]
        gap = ndi.distance_transform_edt(here != index)
        take = (here == 0) & (gap <= distance) & (gap < nearest[window])
        nearest[window][take] = gap[take]
        grown[window][take] = index
    return grown, grown[(labels == 0) & (grown > 0)]


def _grow_by_offsets(labels: np.ndarray, distance: int) -> tuple[np.ndarray, np.ndarray]:
    """The grown labels and the id given to each background pixel near an object (0: none)."""
    foreground = labels > 0
    ys, xs = np.nonzero(_square_dilation(foreground, distance) & ~foreground)
    height, width = labels.shape
    padded = np.zeros((height + 2 * distance, width + 2 * distance), labels.dtype)
    padded[distance:distance + height, distance:distance + width] = labels
    flat, stride = padded.ravel(), width + 2 * distance
    at = (ys + distance) * stride + (xs + distance)
    best_r2 = np.full(at.size, distance * distance + 1)
    best_id = np.zeros(at.size, labels.dtype)
    for dy, dx, r2 in _disc_offsets(distance):
        ids = flat[at + (dy * stride + dx)]
        better = (ids > 0) & ((r2 < best_r2) | ((r2 == best_r2) & (ids < best_id)))
        best_r2[better] = r2
        best_id[better] = ids[better]
    grown = labels.copy()
    grown[ys, xs] = best_id
    return grown, best_id


def _disc_offsets(distance: int) -> list[tuple[int, int, int]]:
    """``(dy, dx, dy² + dx²)`` of the pixels at most ``distance`` from the centre, nearest first."""
    span = range(-distance, distance + 1)
    return sorted(((dy, dx, dy * dy + dx * dx) for dy in span for dx in span
                   if 0 < dy * dy + dx * dx <= distance * distance), key=lambda o: o[2])


def _square_dilation(mask: np.ndarray, distance: int) -> np.ndarray:
    """``mask`` dilated by a square of side ``2 * distance + 1`` (shifted ORs, one axis at a time)."""
    rows = mask.copy()
    for k in range(1, distance + 1):
        rows[k:] |= mask[:-k]
        rows[:-k] |= mask[k:]
    out = rows.copy()
    for k in range(1, distance + 1):
        out[:, k:] |= rows[:, :-k]
        out[:, :-k] |= rows[:, k:]
    return out
