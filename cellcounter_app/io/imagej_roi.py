"""The ImageJ ROI binary format (``.roi``, one per file; ROI sets are zips of them).

A reader of the format ImageJ's ``RoiEncoder`` writes (version 217 and
later): a 64-byte big-endian header, then the outline or point coordinates.
Area ROIs (polygon, rectangle, oval, freehand, traced; ellipse and rotated
rectangle are freehand ROIs with a subtype) become masks; point ROIs become
points.  Lines, text, images and composite ROIs have no cell to give and are
reported as such.

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
from skimage.draw import polygon as fill_polygon

HEADER_SIZE = 64
MAGIC = b"Iout"
KINDS = {0: "polygon", 1: "rect", 2: "oval", 3: "line", 4: "freeline", 5: "polyline", 6: "noroi",
         7: "freehand", 8: "traced", 9: "angle", 10: "point"}
AREA_KINDS = frozenset({"polygon", "rect", "oval", "freehand", "traced"})
OUTLINE_KINDS = frozenset({"polygon", "freehand", "traced"})
SUBTYPES = {1: "text", 2: "arrow", 3: "ellipse", 4: "image", 5: "rotated rectangle"}
SUB_PIXEL_RESOLUTION = 128
"""Option flag: float coordinates follow the integer ones (version >= 222)."""


@dataclass(frozen=True, eq=False)
class ImageJRoi:
    """One decoded ROI.

    Attributes
    ----------
    name : str
        The entry name in the ROI set (or the file name).
    kind : str
        ``polygon``, ``rect``, ``oval``, ``freehand``, ``traced``, ``point``,
        or a kind without an area (``line``, ``polyline``, ``freeline``,
        ``angle``, ``noroi``, ``text``, ``image``, ``composite``).
    coordinates : ndarray
        ``(n, 2)`` float ``(x, y)`` in ImageJ's coordinates: outline vertices
        (pixel-edge convention) or points (pixel centres); empty for
        rectangles, ovals and ROIs without an area.
    bounds : tuple of float
        ``(left, top, width, height)``, sub-pixel when the file has it.
    position : int
        Stack position (0: all planes).
    """

    name: str
    kind: str
    coordinates: np.ndarray
    bounds: tuple[float, float, float, float]
    position: int = 0

    @property
    def is_area(self) -> bool:
        return self.kind in AREA_KINDS

    @property
    def points(self) -> np.ndarray:
        """Point ROIs: ``(n, 2)`` ``(x, y)`` with the origin at the top-left pixel's centre."""
        return self.coordinates if self.kind == "point" else np.empty((0, 2))


def parse_roi(data: bytes, name: str = "") -> ImageJRoi:
    """Decode one ``.roi`` file.

    Raises
    ------
    ValueError
        With the reason: not an ImageJ ROI, or truncated.

    Examples
    --------
    >>> header = bytearray(64)
    >>> header[:4] = b"Iout"; header[4:6] = (228).to_bytes(2, "big"); header[6] = 1
    >>> header[8:16] = struct.pack(">4h", 2, 3, 6, 8)
    >>> roi = parse_roi(bytes(header), "r")
    >>> roi.kind, roi.bounds
    ('rect', (3.0, 2.0, 5.0, 4.0))
    """
    if len(data) < HEADER_SIZE or data[:4] != MAGIC:
        raise ValueError("not an ImageJ ROI (no 'Iout' header)")
    version = _short(data, 4)
    kind = KINDS.get(data[6], f"unknown type {data[6]}")
    top, left, bottom, right = (_short(data, offset) for offset in (8, 10, 12, 14))
    options, subtype = _short(data, 50), _short(data, 48)
    sub_pixel = bool(options & SUB_PIXEL_RESOLUTION) and version >= 222
    bounds = (float(left), float(top), float(right - left), float(bottom - top))
    position = struct.unpack_from(">i", data, 56)[0]
    empty = np.empty((0, 2))
    if struct.unpack_from(">i", data, 36)[0] > 0:
        return ImageJRoi(name, "composite", empty, bounds, position)
    if subtype in (1, 4):
        return ImageJRoi(name, SUBTYPES[subtype], empty, bounds, position)
    if kind in ("rect", "oval"):
        if sub_pixel and version >= 223:
            bounds = tuple(float(v) for v in struct.unpack_from(">4f", data, 18))
        return ImageJRoi(name, kind, empty, bounds, position)
    if kind not in OUTLINE_KINDS and kind != "point":
        return ImageJRoi(name, kind, empty, bounds, position)
    n = struct.unpack_from(">H", data, 16)[0]
    if n == 0 and kind == "point":
        n = struct.unpack_from(">i", data, 18)[0]
    needed = HEADER_SIZE + n * (12 if sub_pixel else 4)
    if n < 0 or len(data) < needed:
        raise ValueError(f"truncated {kind} ROI: {n} coordinates need {needed} bytes, the file has {len(data)}")
    if sub_pixel:
        xs = np.frombuffer(data, ">f4", n, HEADER_SIZE + 4 * n).astype(float)
        ys = np.frombuffer(data, ">f4", n, HEADER_SIZE + 8 * n).astype(float)
    else:
        xs = np.frombuffer(data, ">i2", n, HEADER_SIZE).astype(float) + left
        ys = np.frombuffer(data, ">i2", n, HEADER_SIZE + 2 * n).astype(float) + top
    coordinates = np.column_stack([xs, ys]).reshape(-1, 2)
    if not np.isfinite(coordinates).all():
        raise ValueError(f"{kind} ROI holds coordinates that are not finite numbers")
    return ImageJRoi(name, kind, coordinates, bounds, position)


def roi_mask(roi: ImageJRoi, shape: tuple[int, int]) -> np.ndarray:
    """The pixels of an area ROI in an image of ``shape`` (parts outside are clipped).

    A pixel belongs to the ROI when its centre lies inside the outline,
    rectangle or ellipse (ImageJ's rule).

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
        raise ValueError(f"a {roi.kind} ROI has no area")
    height, width = int(shape[0]), int(shape[1])
    mask = np.zeros((height, width), dtype=bool)
    if roi.kind in OUTLINE_KINDS:
        if len(roi.coordinates) >= 3:
            xs, ys = roi.coordinates[:, 0] - 0.5, roi.coordinates[:, 1] - 0.5
            rows, cols = fill_polygon(ys, xs, shape=mask.shape)
            mask[rows, cols] = True
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


def _short(data: bytes, offset: int) -> int:
    """A big-endian short as ImageJ reads it: values below -5000 were unsigned above 32767."""
    value = struct.unpack_from(">h", data, offset)[0]
    return value + 65536 if value < -5000 else value
