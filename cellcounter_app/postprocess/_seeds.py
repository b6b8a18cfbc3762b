"""Seeds of the touching-cell split: maxima of the distance transform.

A *peak* is a pixel of an object whose distance-transform value is the
highest within ``peak_min_distance`` px (a square window of side
``2 * peak_min_distance + 1``, clipped to the object's box), as in
`skimage.feature.peak_local_max`.  Two peaks closer than that are equally high
(each lies in the other's window): a plateau.  Peaks linked by such steps form
one cluster, and the first of each cluster in raster order is the seed.  How a
plateau is cut does not matter much: seeds on one plateau are separated by no
neck and their basins are merged again (see `._basins`).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from ._checks import EIGHT_CONNECTED
from ._packing import Packing

MANY_CANDIDATES = 32
"""Above this many local maxima in one object, they are tested with one filter call."""


def find_seeds(distance: np.ndarray, inside: np.ndarray, packing: Packing, peak_min_distance: int) -> list[np.ndarray]:
    """Canvas (row, col) of the seeds of each packed crop, highest first.

    ``distance`` is the distance transform of the canvas ``inside`` (the
    objects), whose crops each carry a zero border.
    """
    local = (distance == ndi.maximum_filter(distance, size=3, mode="constant")) & inside
    owner = np.zeros(packing.shape, dtype=np.int64)
    for index in range(len(packing.rows)):
        owner[packing.region(index)] = index
    rows, cols = np.nonzero(local)
    crops = owner[rows, cols]
    order = np.lexsort((cols, rows, -distance[rows, cols], crops))
    points = np.stack((rows[order], cols[order]), axis=1)
    starts = np.searchsorted(crops[order], np.arange(len(packing.rows) + 1))
    seeds = []
    for index, (start, stop) in enumerate(zip(starts[:-1].tolist(), starts[1:].tolist())):
        if stop - start < 2:
            seeds.append(points[start:stop])
            continue
        region = packing.region(index)
        peaks = _peaks(distance, points[start:stop], region, peak_min_distance)
        seeds.append(_first_of_clusters(peaks, region, peak_min_distance))
    return seeds


def _peaks(distance: np.ndarray, candidates: np.ndarray, region: tuple[slice, slice], reach: int) -> np.ndarray:
    """The candidates (local maxima, highest first) that are the highest in their window."""
    top, bottom, left, right = region[0].start, region[0].stop, region[1].start, region[1].stop
    if len(candidates) > MANY_CANDIDATES:
        crop = distance[region]
        is_peak = crop == ndi.maximum_filter(crop, size=2 * reach + 1, mode="constant")
        return candidates[is_peak[candidates[:, 0] - top, candidates[:, 1] - left]]
    keep = [0] if len(candidates) else []
    for position, (row, col) in enumerate(candidates[1:].tolist(), start=1):
        window = distance[max(row - reach, top):min(row + reach + 1, bottom),
                          max(col - reach, left):min(col + reach + 1, right)]
        if window.max() <= distance[row, col]:
            keep.append(position)
    return candidates[keep]


def _first_of_clusters(peaks: np.ndarray, region: tuple[slice, slice], reach: int) -> np.ndarray:
    """The first peak of each cluster of peaks linked by steps of at most ``reach`` px."""
    if len(peaks) < 2:
        return peaks
    if len(peaks) <= MANY_CANDIDATES:
        linked = np.abs(peaks[:, None, :] - peaks[None, :, :]).max(axis=2) <= reach
        for _ in range(len(peaks).bit_length()):
            linked = (linked.astype(np.int32) @ linked.astype(np.int32)) > 0
        return peaks[np.argmax(linked, axis=1) == np.arange(len(peaks))]
    top, left = region[0].start, region[1].start
    marks = np.zeros((region[0].stop - top, region[1].stop - left), dtype=bool)
    marks[peaks[:, 0] - top, peaks[:, 1] - left] = True
    if reach > 1:
        marks = ndi.maximum_filter(marks, size=reach)
    clusters, _ = ndi.label(marks, structure=EIGHT_CONNECTED)
    _, first = np.unique(clusters[peaks[:, 0] - top, peaks[:, 1] - left], return_index=True)
    return peaks[np.sort(first)]
