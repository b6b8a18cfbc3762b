"""Argument checks and label-image helpers shared by the post-processing steps."""

from __future__ import annotations

import numbers

import numpy as np
from scipy import ndimage as ndi

from ..errors import ParameterError

EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)
"""Objects (cells) are 8-connected: diagonal neighbours belong to the same object."""

FOUR_CONNECTED = ndi.generate_binary_structure(2, 1)
"""Background (holes) is 4-connected, the topological dual of 8-connected objects."""

DENSE_ID_FACTOR = 4
"""Label ids up to ``DENSE_ID_FACTOR * image size`` are looked up in a table; larger
ids are first compacted with `numpy.unique`."""


def check_image(image: np.ndarray, name: str) -> np.ndarray:
    """Return ``image`` as an array after checking that it is 2-D and not empty."""
    array = np.asarray(image)
    if array.ndim != 2:
        raise ParameterError(f"{name} must be a 2-D array (height, width), got shape {array.shape}")
    if array.size == 0:
        raise ParameterError(f"{name} must be at least 1x1 pixels, got shape {array.shape}")
    return array


def check_mask(mask: np.ndarray, name: str = "mask") -> np.ndarray:
    """Return a 2-D boolean mask; any non-zero value counts as foreground."""
    array = check_image(mask, name)
    if array.dtype != bool:
        if not np.issubdtype(array.dtype, np.number):
            raise ParameterError(f"{name} must be boolean or numeric, got dtype {array.dtype}")
        array = array != 0
    return array


def check_labels(labels: np.ndarray, name: str = "labels") -> np.ndarray:
    """Return a 2-D integer label image (0 = background) after checking it."""
    array = check_image(labels, name)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        raise ParameterError(f"{name} must be an integer label image, got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.signedinteger) and array.min() < 0:
        raise ParameterError(f"{name} must not hold negative ids, got minimum {array.min()}")
    return array


def check_count(value: int, name: str, minimum: int = 0) -> int:
    """Return ``value`` as an ``int`` after checking it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def label_mask(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected components of a boolean mask: (int32 labels 1..n in raster order, n)."""
    labels, count = ndi.label(mask, structure=EIGHT_CONNECTED)
    return labels, int(count)


def dense_labels(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels whose ids index a lookup table, and the original id of each dense id.

    Returns ``(dense, ids)`` with ``dense`` equal to ``labels`` (no copy) when the
    largest id is small enough for a table, else ids compacted to ``1..n``; ``ids``
    maps each dense id back to the original one (``ids[0] == 0``).
    """
    top = int(labels.max())
    if top <= DENSE_ID_FACTOR * labels.size:
        return labels, np.arange(top + 1, dtype=np.int64)
    ids, inverse = np.unique(labels, return_inverse=True)
    if ids[0] != 0:
        ids = np.concatenate(([0], ids))
        inverse = inverse + 1
    return inverse.reshape(labels.shape), ids.astype(np.int64)


def object_sizes(labels: np.ndarray) -> np.ndarray:
    """Pixel count of each id of a dense label image (index 0 is the background)."""
    return np.bincount(labels.ravel())
