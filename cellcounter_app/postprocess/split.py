"""Split touching cells with a distance-transform watershed.

Only objects big enough to hold two cells are examined: at least
``2 * min_size`` pixels and a bounding box longer than ``peak_min_distance``
on one side.  Each is cut out of the image with a one-pixel zero border and
all of them are packed into one canvas, so that the Euclidean distance
transform (EDT) and the watershed each run once for the whole image.

Seeds are the pixels whose EDT is the highest within ``peak_min_distance`` px
(square window, as `skimage.feature.peak_local_max`; see `._seeds`).  Objects with two or more seeds are
flooded from them on the inverted EDT (8-connected).  The basins are then
merged where they do not stand for separate cells (see `._basins`): across a
neck less than half a pixel deep, and a fragment smaller than ``min_size``
into the neighbour it is joined to by the widest neck.  Splitting therefore
never creates objects below the minimum size and never loses pixels.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi
from skimage.segmentation import watershed

from ._basins import basin_passes, merge_basins
from ._checks import check_count, check_image, check_labels, label_mask
from ._packing import Packing, pack
from ._seeds import find_seeds
from .steps import relabel


def split_touching(objects: np.ndarray, peak_min_distance: int, min_size: int = 0) -> np.ndarray:
    """Split touching cells along the valleys of their distance transform.

    Parameters
    ----------
    objects : (H, W) array of bool or int
        A mask (objects are its 8-connected components) or a label image.
    peak_min_distance : int
        Two seeds (cell centres) are kept only if they are more than this many
        pixels apart along a row or column, >= 1.  Larger values split less.
    min_size : int, optional
        Smallest area (px²) of a fragment, >= 0; smaller fragments are merged
        into a neighbour.  Objects smaller than ``2 * min_size`` are not split.

    Returns
    -------
    labels : (H, W) array of int32
        Ids ``1..n`` are the input objects in raster order (each keeps its id on
        the fragment of its highest seed), ``n+1, ...`` the extra fragments.
        Use `relabel` for raster order of all.  Background stays 0.

    Examples
    --------
    >>> yy, xx = np.mgrid[:30, :50]
    >>> pair = ((yy - 15) ** 2 + (xx - 15) ** 2 <= 100) | ((yy - 15) ** 2 + (xx - 33) ** 2 <= 100)
    >>> int(split_touching(pair, peak_min_distance=10).max())
    2
    >>> int(split_touching(pair, peak_min_distance=20).max())
    1
    """
    reach = check_count(peak_min_distance, "peak_min_distance", minimum=1)
    min_size = check_count(min_size, "min_size")
    array = check_image(objects, "objects")
    if array.dtype == bool:
        labels, _ = label_mask(array)
    else:
        labels = relabel(check_labels(array, "objects")).astype(np.int32)
    return split_labels(labels, reach, min_size)[0]


def split_labels(
    labels: np.ndarray,
    peak_min_distance: int,
    min_size: int,
    boxes: list[tuple[slice, slice] | None] | None = None,
    sizes: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """`split_touching` on a checked int32 label image, without argument checks.

    ``boxes`` (`scipy.ndimage.find_objects`) and ``sizes`` (pixel count per id)
    are computed when not given.  Returns the split labels, in which extra
    fragments have ids above the input's largest, and the pixel count per id.
    The input is not modified.
    """
    split = labels.copy()
    boxes = ndi.find_objects(labels) if boxes is None else boxes
    sizes = np.bincount(labels.ravel(), minlength=len(boxes) + 1) if sizes is None else sizes
    smallest = max(2 * min_size, 2)
    candidates = [
        (label, box) for label, box in enumerate(boxes, start=1)
        if box is not None and sizes[label] >= smallest
        and max(box[0].stop - box[0].start, box[1].stop - box[1].start) > peak_min_distance
    ]
    if not candidates:
        return split, sizes
    packing = pack([(box[0].stop - box[0].start + 2, box[1].stop - box[1].start + 2) for _, box in candidates])
    inside = np.zeros(packing.shape, dtype=bool)
    for index, (label, box) in enumerate(candidates):
        inside[packing.region(index)][1:-1, 1:-1] = labels[box] == label
    distance = ndi.distance_transform_edt(inside)
    seeds = find_seeds(distance, inside, packing, peak_min_distance)
    jobs = [index for index, crop_seeds in enumerate(seeds) if len(crop_seeds) >= 2]
    if not jobs:
        return split, sizes
    job_seeds = [seeds[index] for index in jobs]
    basins, first_marker = _flood(distance, inside, packing, job_seeds, jobs)
    every_seed = np.concatenate(job_seeds)
    peaks = np.concatenate(([0.0], distance[every_seed[:, 0], every_seed[:, 1]]))
    areas = np.bincount(basins.ravel(), minlength=peaks.size)
    group = merge_basins(basin_passes(basins, distance), peaks, areas, min_size)
    job_labels = np.array([candidates[index][0] for index in jobs], dtype=np.int64)
    new_id = _fragment_ids(group, first_marker[:-1] + 1, job_labels, sizes.size)
    for index in jobs:
        box = candidates[index][1]
        fragments = new_id[basins[packing.region(index)][1:-1, 1:-1]]
        inner = fragments > 0
        split[box][inner] = fragments[inner]
    new_sizes = np.zeros(max(sizes.size, int(new_id.max()) + 1), dtype=np.int64)
    new_sizes[:sizes.size] = sizes
    new_sizes[job_labels] = 0
    np.add.at(new_sizes, new_id[1:], areas[1:])
    return split, new_sizes


def _flood(
    distance: np.ndarray, inside: np.ndarray, packing: Packing, seeds: list[np.ndarray], jobs: list[int],
) -> tuple[np.ndarray, np.ndarray]:
    """Watershed of the crops ``jobs`` from their seeds, on the inverted distance.

    Returns the basins (marker ids, 0 elsewhere) and, per job, the id before its
    first marker: job ``n`` has markers ``first[n] + 1 .. first[n + 1]``.
    """
    markers = np.zeros(packing.shape, dtype=np.int32)
    flood_mask = np.zeros(packing.shape, dtype=bool)
    first = np.zeros(len(jobs) + 1, dtype=np.int64)
    for number, (index, job_seeds) in enumerate(zip(jobs, seeds)):
        region = packing.region(index)
        flood_mask[region] = inside[region]
        first[number + 1] = first[number] + len(job_seeds)
        markers[job_seeds[:, 0], job_seeds[:, 1]] = np.arange(first[number] + 1, first[number + 1] + 1)
    return watershed(-distance, markers, mask=flood_mask, connectivity=2), first


def _fragment_ids(group: np.ndarray, job_first: np.ndarray, job_labels: np.ndarray, next_id: int) -> np.ndarray:
    """Output id of each basin: its object's label for the group of the highest seed, else a new id."""
    new_id = np.zeros(group.size, dtype=np.int64)
    new_id[job_first] = job_labels
    extra = np.unique(group[1:])
    extra = extra[new_id[extra] == 0]
    new_id[extra] = np.arange(next_id, next_id + extra.size)
    return new_id[group]
