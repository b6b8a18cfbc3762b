"""Counting regions: polygons and rectangles drawn on an image.

When an image has regions, only the cells whose centroid lies inside one of
them are counted (and only the points added inside them).  "Inside" means
inside the pixel mask of :func:`region_mask`, the mask the GUI shows, so what
is drawn and what is counted always agree.  Vertices are pixel coordinates
``(x, y)``: ``x`` the column and ``y`` the row, origin at the top-left pixel's
centre.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
from skimage.draw import polygon as draw_polygon

from ..errors import ParameterError

KINDS = ("polygon", "rectangle")


@dataclass(frozen=True)
class Region:
    """A polygon (3 or more vertices) or a rectangle (two opposite corners).

    Examples
    --------
    >>> Region(((0, 0), (4, 2)), kind="rectangle").polygon()
    ((0.0, 0.0), (4.0, 0.0), (4.0, 2.0), (0.0, 2.0))
    >>> Region(((0, 0), (1, 1)))
    Traceback (most recent call last):
    ...
    cellcounter_app.errors.ParameterError: a polygon region needs at least 3 vertices, got 2
    """

    vertices: tuple[tuple[float, float], ...]
    kind: str = "polygon"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ParameterError(f"region kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        vertices = tuple(as_point(v) for v in self.vertices)
        if self.kind == "polygon" and len(vertices) < 3:
            raise ParameterError(f"a polygon region needs at least 3 vertices, got {len(vertices)}")
        if self.kind == "rectangle" and len(vertices) != 2:
            raise ParameterError(f"a rectangle region needs 2 opposite corners, got {len(vertices)} vertices")
        object.__setattr__(self, "vertices", vertices)

    def polygon(self) -> tuple[tuple[float, float], ...]:
        """The region's outline as polygon vertices ``(x, y)``."""
        if self.kind == "polygon":
            return self.vertices
        (x0, y0), (x1, y1) = self.vertices
        return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "vertices": [list(v) for v in self.vertices]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Region":
        return cls(tuple(tuple(v) for v in data["vertices"]), str(data.get("kind", "polygon")))


def region_mask(shape: Sequence[int], regions: Iterable[Region]) -> np.ndarray:
    """The pixels inside any of ``regions``.

    Parameters
    ----------
    shape : (H, W)
        Shape of the image.
    regions : iterable of Region
        Polygons and rectangles; parts outside the image are clipped.

    Returns
    -------
    (H, W) bool array
        True inside (and on the outline of) a region. All False when there
        are no regions.

    Examples
    --------
    >>> region_mask((4, 5), [Region(((1, 0), (3, 2)), kind="rectangle")]).astype(int)
    array([[0, 1, 1, 1, 0],
           [0, 1, 1, 1, 0],
           [0, 1, 1, 1, 0],
           [0, 0, 0, 0, 0]])
    """
    if len(shape) != 2 or min(shape) < 0:
        raise ValueError(f"shape must be (height, width) with non-negative sizes, got {tuple(shape)}")
    mask = np.zeros(tuple(int(s) for s in shape), dtype=bool)
    for region in regions:
        xs, ys = zip(*region.polygon())
        rows, cols = draw_polygon(np.asarray(ys), np.asarray(xs), shape=mask.shape)
        mask[rows, cols] = True
    return mask


def points_in_regions(points: np.ndarray, regions: Sequence[Region]) -> np.ndarray:
    """Which points ``(x, y)`` lie inside the mask of ``regions`` (all True when there are none).

    A point belongs to the pixel it rounds to; points outside the image (negative
    coordinates) are outside every region.

    Examples
    --------
    >>> square = Region(((0, 0), (4, 4)), kind="rectangle")
    >>> points_in_regions(np.array([[1.2, 3.9], [4.6, 1.0], [-1.0, 2.0]]), [square]).tolist()
    [True, False, False]
    """
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    if not regions:
        return np.ones(len(points), dtype=bool)
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    cols = np.rint(points[:, 0]).astype(np.int64)
    rows = np.rint(points[:, 1]).astype(np.int64)
    valid = (rows >= 0) & (cols >= 0)
    inside = np.zeros(len(points), dtype=bool)
    if valid.any():
        mask = region_mask((int(rows[valid].max()) + 1, int(cols[valid].max()) + 1), regions)
        inside[valid] = mask[rows[valid], cols[valid]]
    return inside


def as_point(value: Any) -> tuple[float, float]:
    """``value`` as a finite ``(x, y)`` pair of floats, or raise `ParameterError`."""
    try:
        x, y = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ParameterError(f"a vertex must be a pair of numbers (x, y), got {value!r}") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ParameterError(f"a vertex must be finite, got {(x, y)!r}")
    return (x, y)
