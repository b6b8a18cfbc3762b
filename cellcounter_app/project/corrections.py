"""Manual corrections of a count: cells added by hand and detections removed.

Corrections are stored by position, never by label id, so they survive a
re-count with new parameters where they still apply:

- a **removed** point (the centroid of the detection the user removed)
  removes the object that now contains it, or else the detection whose
  centroid is nearest within ``radius``; when neither exists it removes
  nothing (and is kept, in case a later re-count brings the object back);
- an **added** point counts as one cell unless a kept detection's centroid
  now lies within ``radius`` of it: the detector has found that cell, and
  the point is dropped as redundant (it is kept in the corrections and counts
  again if a later re-count loses the detection).

With counting regions, only detections whose centroid is inside a region and
added points inside a region count (see :mod:`.regions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
from scipy import ndimage

from ..errors import ParameterError
from .regions import Region, as_point, points_in_regions

Point = tuple[float, float]


@dataclass(frozen=True)
class Corrections:
    """The points added and the detections removed (by centroid) on one image.

    Examples
    --------
    >>> c = Corrections().with_added((10, 12)).with_removed((40.5, 7))
    >>> c.added, c.removed
    (((10.0, 12.0),), ((40.5, 7.0),))
    """

    added: tuple[Point, ...] = ()
    removed: tuple[Point, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "added", tuple(as_point(p) for p in self.added))
        object.__setattr__(self, "removed", tuple(as_point(p) for p in self.removed))

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed)

    def with_added(self, point: Sequence[float]) -> "Corrections":
        return Corrections(self.added + (as_point(point),), self.removed)

    def with_removed(self, point: Sequence[float]) -> "Corrections":
        return Corrections(self.added, self.removed + (as_point(point),))

    def without_added(self, index: int) -> "Corrections":
        """A copy without the added point number ``index``."""
        if not 0 <= index < len(self.added):
            raise ParameterError(f"added point index must be between 0 and {len(self.added) - 1}, got {index}")
        return Corrections(self.added[:index] + self.added[index + 1:], self.removed)

    def without_removed(self, index: int) -> "Corrections":
        """A copy where the removed detection number ``index`` counts again."""
        if not 0 <= index < len(self.removed):
            raise ParameterError(f"removed cell index must be between 0 and {len(self.removed) - 1}, got {index}")
        return Corrections(self.added, self.removed[:index] + self.removed[index + 1:])

    def to_dict(self) -> dict[str, Any]:
        return {"added": [list(p) for p in self.added], "removed": [list(p) for p in self.removed]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Corrections":
        return cls(tuple(data.get("added", ())), tuple(data.get("removed", ())))


@dataclass(frozen=True)
class Detections:
    """The objects of a label image: their ids and centroids ``(x, y)``."""

    labels: np.ndarray
    ids: np.ndarray
    centroids: np.ndarray

    @classmethod
    def from_labels(cls, labels: np.ndarray, cells: Mapping[str, Any] | None = None) -> "Detections":
        """Read the objects of ``labels``; centroids come from ``cells`` (``cell_id``, ``x``, ``y``) when given."""
        labels = np.asarray(labels)
        if labels.ndim != 2 or labels.dtype.kind not in "iu":
            raise ValueError(f"labels must be a 2-D integer array, got shape {labels.shape} and dtype {labels.dtype}")
        if cells is not None and all(k in cells for k in ("cell_id", "x", "y")):
            ids = np.asarray(cells["cell_id"], dtype=np.int64)
            centroids = np.column_stack([np.asarray(cells["x"], float), np.asarray(cells["y"], float)])
            if centroids.shape != (len(ids), 2):
                raise ValueError(f"cells columns must have one value per cell, got {len(ids)} ids and "
                                 f"{len(cells['x'])} x, {len(cells['y'])} y values")
            return cls(labels, ids, centroids.reshape(-1, 2))
        ids = np.unique(labels)
        ids = ids[ids > 0].astype(np.int64)
        if ids.size == 0:
            return cls(labels, ids, np.empty((0, 2)))
        rows_cols = np.asarray(ndimage.center_of_mass(np.ones(labels.shape), labels, ids), dtype=float)
        return cls(labels, ids, rows_cols[:, ::-1].copy())

    def id_at(self, point: Point) -> int:
        """The label under ``point`` (0 for background or outside the image)."""
        col, row = int(np.rint(point[0])), int(np.rint(point[1]))
        height, width = self.labels.shape
        if 0 <= row < height and 0 <= col < width:
            return int(self.labels[row, col])
        return 0

    def nearest(self, point: Point, radius: float, among: np.ndarray | None = None) -> int:
        """Index (into ``ids``) of the centroid nearest ``point`` within ``radius``, or -1."""
        candidates = np.arange(len(self.ids)) if among is None else np.flatnonzero(among)
        if candidates.size == 0:
            return -1
        distances = np.hypot(*(self.centroids[candidates] - np.asarray(point)).T)
        best = int(np.argmin(distances))
        return int(candidates[best]) if distances[best] <= radius else -1


@dataclass(frozen=True)
class CorrectionResult:
    """What a corrected count is made of.

    ``kept_ids``: labels of the detections counted (inside the regions, not
    removed); ``added``: the added points that count, ``(k, 2)`` as ``(x, y)``;
    ``redundant``: added points dropped because a detection now lies there;
    ``count`` = ``len(kept_ids) + n_added``; ``n_detected``: detections inside
    the regions before removal; ``n_removed``: those removed.
    """

    kept_ids: np.ndarray
    added: np.ndarray
    redundant: np.ndarray
    count: int
    n_detected: int
    n_added: int
    n_removed: int

    def kept_mask(self, labels: np.ndarray) -> np.ndarray:
        """Boolean mask of the pixels of the kept detections."""
        return np.isin(labels, self.kept_ids)


def apply_corrections(
    labels: np.ndarray,
    cells: Mapping[str, Any] | None,
    corrections: Corrections,
    radius: float,
    regions: Sequence[Region] = (),
) -> CorrectionResult:
    """Apply manual corrections (and counting regions) to a label image.

    Parameters
    ----------
    labels : (H, W) integer array
        The detections (0 = background, n = cell n).
    cells : mapping or None
        Per-cell columns ``cell_id``, ``x``, ``y`` (centroids); computed from
        ``labels`` when None.
    corrections : Corrections
        Added points and removed positions.
    radius : float
        Distance in pixels (> 0) within which a point and a detection's
        centroid are the same cell; about half a cell diameter.
    regions : sequence of Region
        Counting regions; empty means the whole image.

    Returns
    -------
    CorrectionResult

    Examples
    --------
    >>> labels = np.zeros((20, 40), np.uint16)
    >>> labels[2:7, 2:7] = 1; labels[10:15, 20:25] = 2
    >>> fix = Corrections(added=((35.0, 3.0), (22.0, 13.0)), removed=((4.0, 4.0),))
    >>> r = apply_corrections(labels, None, fix, radius=5)
    >>> r.kept_ids.tolist(), r.added.tolist(), r.count, r.n_added, r.n_removed
    ([2], [[35.0, 3.0]], 2, 1, 1)
    """
    return apply_to_detections(Detections.from_labels(labels, cells), corrections, radius, regions)


def apply_to_detections(
    detections: Detections | None,
    corrections: Corrections,
    radius: float,
    regions: Sequence[Region] = (),
) -> CorrectionResult:
    """:func:`apply_corrections` on already measured detections (None: nothing detected)."""
    if not radius > 0:
        raise ParameterError(f"radius must be a positive number of pixels, got {radius!r}")
    if detections is None:
        detections = Detections(np.zeros((0, 0), np.uint8), np.zeros(0, np.int64), np.empty((0, 2)))
    in_region = points_in_regions(detections.centroids, regions)
    removed = np.zeros(len(detections.ids), dtype=bool)
    index_of = {int(label): i for i, label in enumerate(detections.ids)}
    for point in corrections.removed:
        index = index_of.get(detections.id_at(point), detections.nearest(point, radius))
        if index >= 0:
            removed[index] = True
    kept = in_region & ~removed
    added = np.asarray(corrections.added, dtype=float).reshape(-1, 2)
    redundant = np.array([detections.nearest(tuple(p), radius, among=~removed) >= 0 for p in added], dtype=bool)
    counted = added[~redundant & points_in_regions(added, regions)]
    return CorrectionResult(
        kept_ids=detections.ids[kept],
        added=counted,
        redundant=added[redundant],
        count=int(kept.sum()) + len(counted),
        n_detected=int(in_region.sum()),
        n_added=len(counted),
        n_removed=int((in_region & removed).sum()),
    )


def cell_at(
    labels: np.ndarray,
    cells: Mapping[str, Any] | None,
    point: Sequence[float],
    radius: float,
) -> tuple[int, Point] | None:
    """The detection a click at ``point`` designates, as ``(label, centroid)``.

    The object containing ``point``, else the one whose centroid is nearest
    within ``radius``, else None.  The centroid is what
    :meth:`Corrections.with_removed` should store.

    Examples
    --------
    >>> labels = np.zeros((10, 10), np.uint8); labels[2:5, 2:5] = 7
    >>> cell_at(labels, None, (4, 4), radius=3)
    (7, (3.0, 3.0))
    >>> cell_at(labels, None, (9, 9), radius=3) is None
    True
    """
    detections = Detections.from_labels(labels, cells)
    xy = as_point(point)
    label = detections.id_at(xy)
    matches = np.flatnonzero(detections.ids == label) if label else []
    index = int(matches[0]) if len(matches) else detections.nearest(xy, radius)
    if index < 0:
        return None
    x, y = detections.centroids[index]
    return int(detections.ids[index]), (float(x), float(y))
