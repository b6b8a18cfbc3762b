"""The small steps of the post-processing chain: arrays in, arrays out.

Objects are 8-connected and holes 4-connected throughout.  Each step accepts
a boolean mask or an integer label image where that makes sense and returns the
same kind it received; label ids are kept as they are except by `relabel`.
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy import ndimage as ndi

from ..errors import ParameterError
from ._checks import (
    DENSE_ID_FACTOR,
    FOUR_CONNECTED,
    check_count,
    check_image,
    check_labels,
    check_mask,
    dense_labels,
    label_mask,
    object_sizes,
)
from .params import SPECS_BY_NAME


def binarize(probability: np.ndarray, threshold: float) -> np.ndarray:
    """Foreground mask of a probability map: ``probability >= threshold``.

    Parameters
    ----------
    probability : (H, W) array of float
        Per-pixel cell probability, normally in [0, 1].  NaN counts as 0
        (background); values outside [0, 1] are compared as they are.
    threshold : float
        Cut-off in [0, 1].

    Returns
    -------
    mask : (H, W) array of bool

    Examples
    --------
    >>> binarize(np.array([[0.2, 0.5], [np.nan, 0.9]]), 0.5)
    array([[False,  True],
           [False,  True]])
    """
    array = check_image(probability, "probability")
    if array.dtype == bool:
        array = array.astype(np.float32)
    elif not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ParameterError(f"probability must be a real-valued array, got dtype {array.dtype}")
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not 0.0 <= threshold <= 1.0:
        raise ParameterError(f"threshold must be a number between 0 and 1, got {threshold!r}")
    return array >= threshold


def fill_holes(mask: np.ndarray, max_hole_size: int) -> np.ndarray:
    """Fill holes (enclosed background regions) of up to ``max_hole_size`` pixels.

    A hole is a 4-connected background region that does not touch the image
    border.  Holes larger than ``max_hole_size`` stay open.

    Parameters
    ----------
    mask : (H, W) array of bool
        Foreground mask; non-zero numeric values count as foreground.
    max_hole_size : int
        Largest hole area (px²) that is filled, >= 0; 0 fills none.

    Returns
    -------
    filled : (H, W) array of bool
        A new mask; the input is not modified.

    Examples
    --------
    >>> ring = np.ones((5, 5), bool)
    >>> ring[2, 2] = False
    >>> bool(fill_holes(ring, 1)[2, 2]), bool(fill_holes(ring, 0)[2, 2])
    (True, False)
    """
    filled = check_mask(mask).copy()
    max_hole_size = check_count(max_hole_size, "max_hole_size")
    if max_hole_size == 0 or filled.all() or not filled.any():
        return filled
    background, count = ndi.label(~filled, structure=FOUR_CONNECTED)
    is_hole = object_sizes(background) <= max_hole_size
    is_hole[0] = False
    for edge in (background[0], background[-1], background[:, 0], background[:, -1]):
        is_hole[edge] = False
    if is_hole.any():
        filled |= is_hole[background]
    return filled


def remove_small(labels_or_mask: np.ndarray, min_size: int, max_size: int = 0,
                 border_min_fraction: float = 1.0) -> np.ndarray:
    """Remove objects smaller than ``min_size`` (and larger than ``max_size``).

    Parameters
    ----------
    labels_or_mask : (H, W) array of bool or int
        A mask (objects are its 8-connected components) or a label image
        (0 = background, each id one object).
    min_size : int
        Objects with fewer pixels are removed, >= 0.
    max_size : int, optional
        Objects with more pixels are removed; 0 (default) means no maximum.
        Otherwise it must be >= ``min_size``.
    border_min_fraction : float, optional
        Objects touching the image border, which show only part of their
        area, are removed below ``border_min_fraction * min_size`` instead
        (0 to 1; 1, the default, applies ``min_size`` to them too).

    Returns
    -------
    kept : (H, W) array
        Same kind and dtype as the input; removed objects become 0, the ids of
        the others are unchanged.

    Examples
    --------
    >>> labels = np.array([[1, 1, 0, 2], [1, 1, 0, 0]])
    >>> remove_small(labels, 2)
    array([[1, 1, 0, 0],
           [1, 1, 0, 0]])
    >>> remove_small(labels, 1, max_size=3)
    array([[0, 0, 0, 2],
           [0, 0, 0, 0]])
    >>> remove_small(labels, 2, border_min_fraction=0.5)
    array([[1, 1, 0, 2],
           [1, 1, 0, 0]])
    """
    min_size = check_count(min_size, "min_size")
    max_size = check_count(max_size, "max_size")
    if max_size and max_size < min_size:
        raise ParameterError(f"max_size must be 0 (no maximum) or at least min_size ({min_size}), got {max_size}")
    border_min_fraction = SPECS_BY_NAME["border_min_fraction"].check(border_min_fraction)
    array = check_image(labels_or_mask, "labels_or_mask")
    if array.dtype == bool:
        labels, _ = label_mask(array)
        return _keep_sizes(labels, min_size, max_size, border_min_fraction)[labels]
    array = check_labels(array, "labels_or_mask")
    dense, _ = dense_labels(array)
    keep = _keep_sizes(dense, min_size, max_size, border_min_fraction)
    return np.where(keep[dense], array, 0).astype(array.dtype, copy=False)


def _keep_sizes(labels: np.ndarray, min_size: int, max_size: int, border_min_fraction: float) -> np.ndarray:
    return keep_by_size(labels, object_sizes(labels), min_size, max_size, border_min_fraction)


def keep_by_size(labels: np.ndarray, sizes: np.ndarray, min_size: int, max_size: int,
                 border_min_fraction: float) -> np.ndarray:
    """``keep[id]``: the object's size ``sizes[id]`` passes the size filters (objects touching the
    border need ``border_min_fraction * min_size``); ``keep[0]`` is False."""
    keep = sizes >= min_size
    if border_min_fraction < 1:
        cut = border_ids(labels, 0)
        keep[cut] = sizes[cut] >= border_min_fraction * min_size
    if max_size:
        keep &= sizes <= max_size
    keep[0] = False
    return keep


def drop_border(labels_or_mask: np.ndarray, margin: int = 0) -> np.ndarray:
    """Remove objects that touch the image border or come within ``margin`` px of it.

    An object is dropped when any of its pixels lies in the outer frame of width
    ``margin + 1`` (``margin = 0``: objects touching the border).

    Parameters
    ----------
    labels_or_mask : (H, W) array of bool or int
        A mask (objects are its 8-connected components) or a label image.
    margin : int, optional
        Extra distance (px) from the border, >= 0.

    Returns
    -------
    kept : (H, W) array
        Same kind and dtype as the input; dropped objects become 0.

    Examples
    --------
    >>> labels = np.zeros((5, 5), int)
    >>> labels[0, 0], labels[2, 2], labels[3, 1] = 1, 2, 3
    >>> drop_border(labels)[[0, 2, 3], [0, 2, 1]]
    array([0, 2, 3])
    >>> drop_border(labels, margin=1)[[0, 2, 3], [0, 2, 1]]
    array([0, 2, 0])
    """
    margin = check_count(margin, "margin")
    array = check_image(labels_or_mask, "labels_or_mask")
    was_mask = array.dtype == bool
    labels = label_mask(array)[0] if was_mask else check_labels(array, "labels_or_mask")
    touching = border_ids(labels, margin)
    if touching.size == 0:
        return array.copy()
    dense, ids = dense_labels(labels)
    drop = np.zeros(ids.size, dtype=bool)
    drop[np.searchsorted(ids, touching)] = True
    dropped = drop[dense]
    if was_mask:
        return array & ~dropped
    return np.where(dropped, 0, array).astype(array.dtype, copy=False)


def relabel(labels: np.ndarray) -> np.ndarray:
    """Renumber objects 1..n in raster order of their first pixel.

    The object whose first pixel (scanning rows top to bottom, each row left to
    right) comes first gets id 1, and so on; 0 stays background.

    Parameters
    ----------
    labels : (H, W) array of int
        Label image with any non-negative ids.

    Returns
    -------
    relabelled : (H, W) array of uint32

    Examples
    --------
    >>> relabel(np.array([[0, 7, 7], [3, 0, 9]]))
    array([[0, 1, 1],
           [2, 0, 3]], dtype=uint32)
    """
    return renumber(check_labels(labels))


def border_ids(labels: np.ndarray, margin: int) -> np.ndarray:
    """Sorted ids of the objects with a pixel in the outer frame of width ``margin + 1``."""
    width = margin + 1
    frame = np.concatenate([
        labels[:width].ravel(), labels[-width:].ravel(), labels[:, :width].ravel(), labels[:, -width:].ravel(),
    ])
    touching = np.unique(frame)
    return touching[touching != 0]


def renumber(labels: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """`relabel` without argument checks; ids with ``keep[id]`` False become 0.

    ``keep``, when given, is indexed by id and must cover every id of ``labels``.
    """
    if keep is not None:
        return renumber_kept(labels, keep)[0]
    flat = labels.ravel()
    first_ids = run_ids(flat)
    first_ids = first_ids[first_ids != 0]
    if first_ids.size == 0:
        return np.zeros(labels.shape, dtype=np.uint32)
    ids, new_ids = raster_order(first_ids)
    if int(ids[-1]) <= DENSE_ID_FACTOR * flat.size:
        table = np.zeros(int(ids[-1]) + 1, dtype=np.uint32)
        table[ids] = new_ids
        return table[labels]
    relabelled = np.zeros(flat.size, dtype=np.uint32)
    foreground = np.flatnonzero(flat)
    relabelled[foreground] = new_ids[np.searchsorted(ids, flat[foreground])]
    return relabelled.reshape(labels.shape)


def renumber_kept(labels: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`renumber` with ``keep``, and its table: ``table[old id]`` is the new id (0: dropped or absent).

    Examples
    --------
    >>> relabelled, table = renumber_kept(np.array([[0, 5, 2], [3, 0, 5]]), np.array([0, 0, 1, 1, 0, 1], bool))
    >>> relabelled
    array([[0, 1, 2],
           [3, 0, 1]], dtype=uint32)
    >>> table
    array([0, 0, 2, 3, 0, 1], dtype=uint32)
    """
    first_ids = run_ids(labels.ravel())
    first_ids = first_ids[keep[first_ids]]
    table = np.zeros(keep.size, dtype=np.uint32)
    if first_ids.size:
        ids, new_ids = raster_order(first_ids)
        table[ids] = new_ids
    return table[labels], table


def run_ids(flat: np.ndarray) -> np.ndarray:
    """The id of each run of equal values of a raster scan ``flat``, in scan order."""
    return flat[np.concatenate(([0], np.flatnonzero(flat[1:] != flat[:-1]) + 1))]


def raster_order(first_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ids of a raster scan's runs (sorted) and their new ids 1..n in order of first appearance."""
    ids, first = np.unique(first_ids, return_index=True)
    new_ids = np.empty(ids.size, dtype=np.uint32)
    new_ids[np.argsort(first)] = np.arange(1, ids.size + 1, dtype=np.uint32)
    return ids, new_ids
