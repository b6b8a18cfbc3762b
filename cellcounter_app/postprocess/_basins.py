"""Merge watershed basins that do not stand for separate cells.

Two rules, applied in this order:

1. *Shallow neck*: two adjacent basins whose pass (the highest distance-
   transform value along their common border) comes within `MIN_DEPTH_PX` of
   the lower of their two peaks are one cell.  Such seeds come from the
   pixel grid's noise along the ridge of an elongated cell (measured: at
   most 0.38 px on ellipses of aspect 1.5, semi-minor axis 5-25 px, any
   angle), not from a real neck between two cells.
2. *Small fragment*: the smallest basin with fewer than ``min_size`` pixels is
   merged into the neighbour it shares the highest pass with, until none is
   left (or a basin has no neighbour).

Ties are broken by the lower basin id, so the result is deterministic.  A
merged group is named by its lowest basin id.
"""

from __future__ import annotations

import heapq

import numpy as np

MIN_DEPTH_PX = 0.5
"""Smallest drop (px of distance) between a cell centre and the neck to a neighbour."""

_NEIGHBOUR_SHIFTS = (
    ((slice(None), slice(None, -1)), (slice(None), slice(1, None))),
    ((slice(None, -1), slice(None)), (slice(1, None), slice(None))),
    ((slice(None, -1), slice(None, -1)), (slice(1, None), slice(1, None))),
    ((slice(None, -1), slice(1, None)), (slice(1, None), slice(None, -1))),
)


def basin_passes(basins: np.ndarray, distance: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Adjacent basin pairs ``(low id, high id)`` and the pass value between them.

    Two basins are adjacent when two of their pixels are 8-neighbours; the pass
    is the largest ``min(distance[p], distance[q])`` over such pixel pairs.
    """
    lows, highs, values = [], [], []
    for first, second in _NEIGHBOUR_SHIFTS:
        a, b = basins[first], basins[second]
        border = (a != b) & (a > 0) & (b > 0)
        lows.append(np.minimum(a[border], b[border]))
        highs.append(np.maximum(a[border], b[border]))
        values.append(np.minimum(distance[first][border], distance[second][border]))
    low, high, value = (np.concatenate(parts) for parts in (lows, highs, values))
    if low.size == 0:
        return low.astype(np.int64), high.astype(np.int64), value.astype(np.float64)
    key = low.astype(np.int64) * (int(basins.max()) + 1) + high
    order = np.lexsort((value, key))
    last = np.flatnonzero(np.diff(key[order], append=key[order][-1] + 1))
    chosen = order[last]
    return low[chosen].astype(np.int64), high[chosen].astype(np.int64), value[chosen].astype(np.float64)


def merge_basins(
    passes: tuple[np.ndarray, np.ndarray, np.ndarray],
    peaks: np.ndarray,
    areas: np.ndarray,
    min_size: int,
    min_depth: float = MIN_DEPTH_PX,
) -> np.ndarray:
    """Group of each basin after both merge rules (index 0, the background, stays 0).

    Parameters
    ----------
    passes : (low, high, value) arrays
        From `basin_passes`.
    peaks, areas : arrays of length n_basins + 1
        Distance-transform value at each basin's seed, and its pixel count.
    min_size : int
        Basins (or merged groups) smaller than this are merged into a neighbour.
    min_depth : float
        Necks shallower than this (px) do not separate cells.

    Returns
    -------
    group : array of int64, length n_basins + 1
        ``group[i]`` is the lowest basin id of the group basin ``i`` ends up in.
    """
    low, high, value = passes
    parent = list(range(peaks.size))
    shallow = np.minimum(peaks[low], peaks[high]) - value < min_depth
    for a, b in zip(low[shallow].tolist(), high[shallow].tolist()):
        _join(parent, a, b)
    size = np.bincount([_root(parent, i) for i in range(peaks.size)], weights=areas, minlength=peaks.size)
    neighbours: dict[int, dict[int, float]] = {}
    for a, b, v in zip(low.tolist(), high.tolist(), value.tolist()):
        ra, rb = _root(parent, a), _root(parent, b)
        if ra != rb:
            for one, other in ((ra, rb), (rb, ra)):
                links = neighbours.setdefault(one, {})
                links[other] = max(links.get(other, v), v)
    small = [(int(size[g]), g) for g in sorted(neighbours) if size[g] < min_size]
    heapq.heapify(small)
    while small:
        area, g = heapq.heappop(small)
        if parent[g] != g or size[g] != area or not neighbours.get(g):
            continue
        target = max(neighbours[g].items(), key=lambda item: (item[1], -item[0]))[0]
        keep = _merge_groups(parent, neighbours, g, target)
        size[keep] = area + size[target if keep == g else g]
        if size[keep] < min_size and neighbours.get(keep):
            heapq.heappush(small, (int(size[keep]), keep))
    return np.array([_root(parent, i) for i in range(peaks.size)], dtype=np.int64)


def _root(parent: list[int], i: int) -> int:
    """Union-find root, with path halving."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _join(parent: list[int], a: int, b: int) -> None:
    """Put ``a`` and ``b`` in one group, named by the lower root."""
    ra, rb = _root(parent, a), _root(parent, b)
    if ra != rb:
        parent[max(ra, rb)] = min(ra, rb)


def _merge_groups(parent: list[int], neighbours: dict[int, dict[int, float]], a: int, b: int) -> int:
    """Merge adjacent groups ``a`` and ``b`` (both roots); return the surviving root (the lower)."""
    keep, drop = min(a, b), max(a, b)
    parent[drop] = keep
    kept_links = neighbours.setdefault(keep, {})
    for other, v in neighbours.pop(drop, {}).items():
        links = neighbours[other]
        del links[drop]
        if other == keep:
            continue
        links[keep] = max(links.get(keep, v), v)
        kept_links[other] = links[keep]
    kept_links.pop(drop, None)
    return keep
