"""Training targets from instance labels: what the network learns to output.

Counting by segmentation needs touching cells to come out as separate
objects, so the target carries an explicit separation signal:

- **binary** (``n_classes`` 1 or 2): cell = 1, background = 0, with the pixels
  where two cells touch set to 0 so that neighbours are split by a gap of
  ``boundary_width`` px;
- **3-class**: 0 background, 1 cell interior, 2 cell boundary (the outer
  ``ceil(boundary_width / 2)`` px of every cell, and every contact);
- **distance** (binary networks, ``kind="distance"``): each cell pixel's
  distance to the cell's outline (to the background or a neighbour) divided
  by the largest distance in that cell: 1 at the cell's centre, falling to
  about 1/radius on its outline.  Two touching cells meet in a valley however
  long their contact, so a threshold finds one core per cell; the cores are
  grown back to the cells' outline by post-processing's ``grow``.

The weight map is the U-Net one, ``w = 1 + w0 * exp(-(d1 + d2)^2 / (2 sigma^2))``
with ``d1`` and ``d2`` the distances to the nearest and second-nearest cell:
it stresses the narrow gaps between close cells.  ``sigma`` scales with the
object size: ``weight_sigma_factor`` times the median diameter (0.5, i.e. the
mean cell radius, matches the seeds' ``sigma = 25 px`` on FNC cells).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage as ndi

from ..errors import ParameterError
from ..postprocess.windows import object_windows
from .data import median_diameter

BOUNDARY_WIDTH = 2
"""Default width (px) of the cut between touching cells, at the training size."""

WEIGHT_CUTOFF = 3.5
"""``d1 + d2`` beyond this many sigma counts as far (the weight term is < 0.3 % of ``w0``)."""


def make_targets(labels: np.ndarray, n_classes: int = 1, *, boundary_width: int = BOUNDARY_WIDTH,
                 weight_sigma_factor: float = 0.5, w0: float = 10.0,
                 diameter_px: float | None = None, kind: str = "mask") -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel target classes and loss weights for one label image.

    Parameters
    ----------
    labels : ndarray
        ``(H, W)`` integer instance labels, 0 = background (ids need not be
        consecutive).
    n_classes : {1, 2, 3}
        1 or 2: binary target with cut contacts (the same array; 2 is meant
        for a two-class softmax); 3: background / interior / boundary.
    boundary_width : int
        Width (px, >= 1) of the cut between two touching cells.
    weight_sigma_factor : float
        ``sigma`` of the weight map as a multiple of the object diameter.
    w0 : float
        Extra weight (>= 0) between cells; 0 gives a map of ones.
    diameter_px : float, optional
        Object diameter for ``sigma``; default the median of ``labels``.
    kind : {"mask", "distance"}
        For binary targets: the cut mask, or the normalised distance map
        (float32 in [0, 1]; ``boundary_width`` is then not used).

    Returns
    -------
    target : ndarray
        uint8 ``(H, W)``: 0/1 for binary targets, 0/1/2 for 3 classes;
        float32 for the distance map.
    weight : ndarray
        float32 ``(H, W)``, >= 1.

    Examples
    --------
    >>> labels = np.zeros((8, 12), np.int32)
    >>> labels[2:6, 1:6], labels[2:6, 6:11] = 1, 2
    >>> target, weight = make_targets(labels)
    >>> target[3].tolist()
    [0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0]
    >>> bool(weight[3, 5] > weight[3, 2] > 1.0)
    True
    """
    labels = _check_labels(labels)
    if n_classes not in (1, 2, 3):
        raise ParameterError(f"n_classes must be 1, 2 or 3, got {n_classes!r}")
    if isinstance(boundary_width, bool) or not isinstance(boundary_width, (int, np.integer)) or boundary_width < 1:
        raise ParameterError(f"boundary_width must be an integer >= 1, got {boundary_width!r}")
    if not weight_sigma_factor > 0:
        raise ParameterError(f"weight_sigma_factor must be > 0, got {weight_sigma_factor}")
    if not w0 >= 0:
        raise ParameterError(f"w0 must be >= 0, got {w0}")
    if kind not in ("mask", "distance") or (kind == "distance" and n_classes == 3):
        raise ParameterError(f"kind must be 'mask' (any n_classes) or 'distance' (1 or 2 classes), got {kind!r}")
    diameter = median_diameter(labels) if diameter_px is None else float(diameter_px)
    if kind == "distance":
        return distance_target(labels), weight_map(labels, weight_sigma_factor * diameter, w0)
    foreground = labels > 0
    contact = foreground & _differs(labels, int(boundary_width) + 1, ignore_background=True)
    if n_classes == 3:
        band = 2 * math.ceil(boundary_width / 2) + 1
        target = foreground.astype(np.uint8)
        target[foreground & (_differs(labels, band, ignore_background=False) | contact)] = 2
    else:
        target = (foreground & ~contact).astype(np.uint8)
    return target, weight_map(labels, weight_sigma_factor * diameter, w0)


def distance_target(labels: np.ndarray) -> np.ndarray:
    """Each cell's Euclidean distance to its outline over its largest one (float32, 0 outside cells).

    A pixel's distance counts to the nearest pixel not of its own cell, so a
    contact with a neighbour is an outline; the image edge is not (a cell cut
    by the edge keeps its inside distances).

    >>> labels = np.zeros((5, 9), np.int32)
    >>> labels[:, 1:4], labels[:, 4:8] = 1, 2
    >>> distance_target(labels)[2].round(2).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.5, 1.0, 1.0, 0.5, 0.0]
    """
    labels = _check_labels(labels)
    target = np.zeros(labels.shape, np.float32)
    # one pixel of context on each side, unless the box is at the image edge
    for index, window in object_windows(labels, 1):
        inside = labels[window] == index
        distance = ndi.distance_transform_edt(inside)
        target[window][inside] = (distance[inside] / distance.max()).astype(np.float32)
    return target


def weight_map(labels: np.ndarray, sigma: float, w0: float = 10.0) -> np.ndarray:
    """U-Net weight map ``1 + w0 * exp(-(d1 + d2)^2 / (2 sigma^2))`` (float32).

    ``d1``, ``d2``: Euclidean distances (px) to the nearest and second-nearest
    object (0 inside an object for its own id).  Pixels with fewer than two
    objects within ``WEIGHT_CUTOFF * sigma`` get weight 1, as does every
    pixel when ``sigma`` is not a positive number.

    Examples
    --------
    >>> labels = np.zeros((5, 9), np.int32)
    >>> labels[:, :3], labels[:, 6:] = 1, 2
    >>> w = weight_map(labels, sigma=3.0)
    >>> round(float(w[2, 4]), 2), float(weight_map(labels[:, :4], 3.0).max())
    (5.11, 1.0)
    """
    labels = _check_labels(labels)
    weight = np.ones(labels.shape, np.float32)
    if not (np.isfinite(sigma) and sigma > 0) or w0 == 0:
        return weight
    ids, compact = np.unique(labels, return_inverse=True)
    compact = compact.reshape(labels.shape)
    if ids[0] != 0:
        compact += 1
    if int(compact.max()) < 2:
        return weight
    reach = int(math.ceil(WEIGHT_CUTOFF * sigma))
    nearest = np.full(labels.shape, np.inf, np.float32)
    second = np.full(labels.shape, np.inf, np.float32)
    for index, window in object_windows(compact, reach):
        distance = ndi.distance_transform_edt(compact[window] != index).astype(np.float32)
        near, sec = nearest[window], second[window]
        np.minimum(sec, np.maximum(near, distance), out=sec)
        np.minimum(near, distance, out=near)
    total = nearest + second
    close = np.isfinite(total)
    weight[close] += w0 * np.exp(-np.square(total[close]) / (2.0 * sigma * sigma))
    return weight


def _differs(labels: np.ndarray, size: int, *, ignore_background: bool) -> np.ndarray:
    """Pixels with another value in their ``size`` x ``size`` window (other object ids only, if asked)."""
    above = ndi.maximum_filter(labels, size=size, mode="nearest") > labels
    if ignore_background:
        others = np.where(labels == 0, np.iinfo(labels.dtype).max, labels)
        return above | (ndi.minimum_filter(others, size=size, mode="nearest") < labels)
    return above | (ndi.minimum_filter(labels, size=size, mode="nearest") < labels)


def _check_labels(labels: np.ndarray) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.dtype.kind not in "iu" or labels.size == 0:
        raise ParameterError(f"labels must be a non-empty 2-D integer image, got {labels.dtype} {labels.shape}")
    if labels.dtype.kind == "i" and labels.min() < 0:
        raise ParameterError(f"labels must not hold negative ids, got minimum {labels.min()}")
    return labels.astype(np.int64, copy=False) if labels.dtype.itemsize > 4 else labels.astype(np.int32, copy=False)
