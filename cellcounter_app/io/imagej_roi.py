"""ImageJ ROIs (``.roi``, one per file; ROI sets are zips of them), decoded by roifile.

`parse_roi` hands the bytes to ``roifile.ImagejRoi.frombytes`` and keeps
what counting needs.  Area ROIs (polygon, rectangle, oval, freehand, traced;
ellipse and rotated rectangle are freehand ROIs with a subtype; composite
ROIs made in the ROI Manager with OR, AND, XOR) become masks; point ROIs
become points.  Lines, text and images have no cell to give; a composite
with curved edges (a rounded rectangle) or a type ImageJ does not write is
kept with the reason it cannot be read.

Coordinates follow ImageJ: area outlines run along pixel edges (pixel ``i``
spans ``[i, i + 1)``), points sit on pixel centres.  `roi_mask` fills the
pixels whose centre lies inside an outline, as ImageJ does; `ImageJRoi.points`
are ``(x, y)`` with the origin at the top-left pixel's centre, the
convention of the rest of CellCounter.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import numpy as np
import roifile
from roifile import ROI_SUBTYPE, ROI_TYPE
from skimage.draw import polygon as fill_polygon

AREA_KINDS = frozenset({"polygon", "rect", "oval", "freehand", "traced", "composite"})
OUTLINE_KINDS = frozenset({"polygon", "freehand", "traced"})
HEADER_BYTES = 64


@dataclass(frozen=True, eq=False)
class ImageJRoi:
    """One decoded ROI.

    Attributes
    ----------
    name : str
        The name Fiji's ROI Manager shows (the one stored in the ROI, else the
        entry or file name).
    kind : str
        ``polygon``, ``rect``, ``oval``, ``freehand``, ``traced``,
        ``composite``, ``point``, a kind without an area (``line``,
        ``polyline``, ``freeline``, ``angle``, ``noroi``, ``text``,
        ``image``), or ``unknown``.
    coordinates : ndarray
        ``(n, 2)`` float ``(x, y)`` in ImageJ's coordinates: outline vertices
        (pixel-edge convention) or points (pixel centres); empty for
        rectangles, ovals, composites and ROIs without an area.
    bounds : tuple of float
        ``(left, top, width, height)``, sub-pixel when the file has it.
    position : int
        Stack position (0: all planes).
    parts : tuple of ndarray
        Composite ROIs: the ``(n, 2)`` outline of each sub-path, filled with
        the even-odd rule (a sub-path inside another is a hole).
    problem : str
        Why a ROI that may outline a cell cannot be read (empty when it can).
    """

    name: str
    kind: str
    coordinates: np.ndarray
    bounds: tuple[float, float, float, float]
    position: int = 0
    parts: tuple[np.ndarray, ...] = ()
    problem: str = ""

    @property
    def is_area(self) -> bool:
        return self.kind in AREA_KINDS and not self.problem

    @property
    def points(self) -> np.ndarray:
        """Point ROIs: ``(n, 2)`` ``(x, y)`` with the origin at the top-left pixel's centre."""
        return self.coordinates if self.kind == "point" else np.empty((0, 2))


def parse_roi(data: bytes, name: str = "") -> ImageJRoi:
    """Decode one ``.roi`` file.

    Raises
    ------
    ValueError
        With the reason: not an ImageJ ROI, truncated, or damaged.

    Examples
    --------
    >>> data = roifile.ImagejRoi.frompoints([[1.5, 2], [5, 2], [5, 6]], name="cell 1").tobytes()
    >>> roi = parse_roi(data, "0001")
    >>> roi.name, roi.kind, roi.coordinates.tolist()
    ('cell 1', 'freehand', [[1.5, 2.0], [5.0, 2.0], [5.0, 6.0]])
    """
    if data[:4] != b"Iout":
        raise ValueError("not an ImageJ ROI (no 'Iout' header)")
    kind = _kind(ROI_TYPE(data[6])) if len(data) > 6 else "ImageJ"
    if len(data) < HEADER_BYTES:
        raise ValueError(f"truncated {kind} ROI: the header needs {HEADER_BYTES} bytes, the file has {len(data)}")
    try:
        roi = roifile.ImagejRoi.frombytes(data)
    except (TypeError, struct.error):  # numpy's "buffer is too small", struct's short read
        raise ValueError(f"truncated {kind} ROI: its header declares more coordinates or data than"
                         f" the {len(data)} bytes of the file hold") from None
    except ValueError as exc:
        raise ValueError(f"damaged {kind} ROI ({exc})") from None
    name = roi.name or name
    bounds = (float(roi.left), float(roi.top), float(roi.right - roi.left), float(roi.bottom - roi.top))
    empty = np.empty((0, 2))
    if roi.composite:
        parts, problem = _composite_parts(roi)
        return ImageJRoi(name, "composite", empty, bounds, roi.position, parts, problem)
    if roi.subtype in (ROI_SUBTYPE.TEXT, ROI_SUBTYPE.IMAGE):
        return ImageJRoi(name, roi.subtype.name.lower(), empty, bounds, roi.position)
    kind = _kind(roi.roitype)
    if kind == "unknown":
        problem = f"ROI type {data[6]} is not one ImageJ writes"
        return ImageJRoi(name, kind, empty, bounds, roi.position, problem=problem)
    if kind in ("rect", "oval") and roi.subpixelrect:
        bounds = (float(roi.xd), float(roi.yd), float(roi.widthd), float(roi.heightd))
    if kind not in OUTLINE_KINDS and kind != "point":
        return ImageJRoi(name, kind, empty, bounds, roi.position)
    coordinates = np.asarray(roi.coordinates(), dtype=float).reshape(-1, 2)
    _check_finite(kind, coordinates)
    return ImageJRoi(name, kind, coordinates, bounds, roi.position)


def _composite_parts(roi: roifile.ImagejRoi) -> tuple[tuple[np.ndarray, ...], str]:
    """A ROI Manager combination's straight-edged sub-paths, or why they cannot be read (roifile refuses curves)."""
    try:
        paths = roi.coordinates(multi=True)
    except NotImplementedError:
        return (), "a composite ROI with curved edges (e.g. a rounded rectangle)"
    except (RuntimeError, IndexError) as exc:
        raise ValueError(f"damaged composite ROI: its path cannot be followed ({exc or 'it ends early'})") from None
    parts = tuple(np.asarray(path, dtype=float).reshape(-1, 2) for path in paths)
    for part in parts:
        _check_finite("composite", part)
    return parts, ""


def _kind(roitype: ROI_TYPE) -> str:
    return "unknown" if roitype.name == "UNKNOWN" else roitype.name.lower()


def _check_finite(kind: str, coordinates: np.ndarray) -> None:
    if not np.isfinite(coordinates).all():
        raise ValueError(f"{kind} ROI holds coordinates that are not finite numbers")


def roi_mask(roi: ImageJRoi, shape: tuple[int, int]) -> np.ndarray:
    """The pixels of an area ROI in an image of ``shape`` (parts outside are clipped).

    A pixel belongs to the ROI when its centre lies inside the outline,
    rectangle or ellipse (ImageJ's rule); inside an odd number of a
    composite's sub-paths.

    Raises
    ------
    ValueError
        For a ROI without an area (points, lines, text, ...).

    Examples
    --------
    >>> rect = ImageJRoi("r", "rect", np.empty((0, 2)), (1.0, 0.0, 2.0, 3.0))
    >>> roi_mask(rect, (4, 4)).astype(int).tolist()
    [[0, 1, 1, 0], [0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]]
    """
    if not roi.is_area:
        raise ValueError(f"a {roi.kind} ROI has no area" + (f" that can be read: {roi.problem}" if roi.problem else ""))
    height, width = int(shape[0]), int(shape[1])
    mask = np.zeros((height, width), dtype=bool)
    if roi.kind in OUTLINE_KINDS or roi.kind == "composite":
        for outline in roi.parts or (roi.coordinates,):
            if len(outline) >= 3:
                part = np.zeros_like(mask)
                rows, cols = fill_polygon(outline[:, 1] - 0.5, outline[:, 0] - 0.5, shape=mask.shape)
                part[rows, cols] = True
                mask ^= part
        return mask
    left, top, box_w, box_h = roi.bounds
    c0, c1 = _centre_range(left, box_w, width)
    r0, r1 = _centre_range(top, box_h, height)
    if c0 >= c1 or r0 >= r1:
        return mask
    if roi.kind == "rect":
        mask[r0:r1, c0:c1] = True
        return mask
    rows, cols = np.mgrid[r0:r1, c0:c1]
    dx = (cols + 0.5 - (left + box_w / 2)) / (box_w / 2)
    dy = (rows + 0.5 - (top + box_h / 2)) / (box_h / 2)
    mask[r0:r1, c0:c1] = dx * dx + dy * dy <= 1.0
    return mask


def _centre_range(start: float, size: float, limit: int) -> tuple[int, int]:
    """Indices ``[i0, i1)`` of the pixels whose centre ``i + 0.5`` lies in ``[start, start + size)``."""
    first = max(0, math.ceil(start - 0.5))
    stop = min(limit, math.ceil(start + size - 0.5))
    return first, stop
