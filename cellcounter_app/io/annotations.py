"""Ground-truth annotations from other tools: label or mask images, ImageJ ROI sets, QuPath GeoJSON, point lists.

`read_annotation` picks the reader from the file's extension and returns an
`Annotation`: instance labels of the outlined cells and the points of the
cells marked with a click.  Every problem raises `AnnotationError` naming the
file and what is wrong with it.

* **Label images** (``.tif``/``.tiff``/``.png``): an instance label image
  (0 = background, one id per cell), or a binary mask (two values) whose
  4-connected components become the cells.
* **ImageJ ROI sets** (``.zip`` of ``.roi`` files, or one ``.roi``): area
  ROIs (polygon, rectangle, oval, freehand, traced, composite) become one
  cell each, point ROIs one cell per point, sub-pixel coordinates kept
  (decoded by roifile, see `cellcounter_app.io.imagej_roi`); lines and text
  are skipped with a note, and so is, by name, a ROI that cannot be filled
  (a composite with curved edges, an unknown type).
* **QuPath GeoJSON** (``.geojson``, or ``.json`` holding a FeatureCollection
  or a list of Features): polygons become one cell each, points one cell per
  point; objects classified ``Ignore*`` or ``Region*``, and the annotations
  around exported detections, are skipped with a note (see
  `cellcounter_app.io.geojson_annotations`).
* **Point lists** (``.csv``/``.tsv``/``.txt``): columns ``x`` and ``y`` (any
  case, e.g. an ImageJ results table's ``"X","Y"``), napari's ``axis-0``
  (row) and ``axis-1`` (column), or, without a header, the first two columns
  as x and y.  Comma, semicolon or tab separated.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from scipy import ndimage as ndi

from ..errors import CellCounterError, ImageReadError
from .geojson_annotations import draw_outlines, parse_geojson
from .imagej_roi import ImageJRoi, parse_roi, roi_mask
from .options import ReadOptions
from .reader import read_image

LABEL_EXTENSIONS = (".tif", ".tiff", ".png")
ROI_EXTENSIONS = (".zip", ".roi")
GEOJSON_EXTENSIONS = (".geojson", ".json")
POINT_EXTENSIONS = (".csv", ".tsv", ".txt")
EXTENSIONS = LABEL_EXTENSIONS + ROI_EXTENSIONS + GEOJSON_EXTENSIONS + POINT_EXTENSIONS
MAX_ROI_ENTRIES = 1_000_000
MAX_ROI_BYTES = 64 << 20
"""Largest ``.roi`` accepted, in a set or alone: a polygon or multi-point ROI of five million
sub-pixel points. A zip entry declaring more (a 2 GiB entry in a 2 MB file) is refused unread."""
MAX_ROI_SET_BYTES = 1 << 30
"""Largest total uncompressed size of a ROI set's entries."""
MAX_GEOJSON_BYTES = 1 << 30
"""Largest GeoJSON file read (a whole slide's million cells is a few hundred MiB)."""


class AnnotationError(ImageReadError):
    """A file could not be read as annotations (``str(err)`` is ``"<file>: <reason>"``)."""


@dataclass(frozen=True, eq=False)
class Annotation:
    """The cells annotated on one image.

    Attributes
    ----------
    labels : ndarray or None
        int32 ``(H, W)`` instance labels of the outlined cells (0 =
        background), None when the file holds only points.
    points : ndarray
        ``(k, 2)`` float ``(x, y)`` of the cells marked with a point (origin
        at the top-left pixel's centre).
    source : Path
        The file read.
    notes : tuple of str
        What was skipped, e.g. ``"3 line ROIs (no area)"``.
    """

    labels: np.ndarray | None
    points: np.ndarray
    source: Path
    notes: tuple[str, ...] = ()

    @property
    def n_outlined(self) -> int:
        if self.labels is None:
            return 0
        ids = np.unique(self.labels)
        return int(np.count_nonzero(ids))

    @property
    def n_cells(self) -> int:
        """Outlined cells plus points."""
        return self.n_outlined + len(self.points)


def read_annotation(path: str | Path, shape: tuple[int, int] | None = None, *,
                    pixels_per_unit: float = 1.0) -> Annotation:
    """Read annotations of one image, choosing the reader by extension.

    Parameters
    ----------
    path : str or Path
        A label/mask image, an ImageJ ROI set or ROI, a QuPath GeoJSON, or a
        point list.
    shape : (H, W), optional
        The annotated image's size.  Needed for ROI sets and GeoJSON (to draw
        the outlines); when given, a label image of another size and points
        outside the image are errors.
    pixels_per_unit : float
        Point lists only: pixels per coordinate unit (> 0), e.g. ``1 /
        pixel_size_um`` for an ImageJ table of a calibrated image (in µm).

    Raises
    ------
    AnnotationError
        Unknown extension, unreadable or malformed file, size mismatch,
        points outside the image.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in LABEL_EXTENSIONS:
        return read_label_annotation(path, shape)
    if suffix in ROI_EXTENSIONS:
        if shape is None:
            raise AnnotationError(path, "reading ImageJ ROIs needs the size of the image they outline")
        return read_roi_annotation(path, shape)
    if suffix in GEOJSON_EXTENSIONS:
        if shape is None:
            raise AnnotationError(path, "reading GeoJSON outlines needs the size of the image they outline")
        return read_geojson_annotation(path, shape)
    if suffix in POINT_EXTENSIONS:
        return read_point_annotation(path, shape, pixels_per_unit=pixels_per_unit)
    raise AnnotationError(path, f"not an annotation file; expected one of {', '.join(EXTENSIONS)}")


def read_label_annotation(path: str | Path, shape: tuple[int, int] | None = None) -> Annotation:
    """An instance label image, or a binary mask split into 4-connected cells."""
    path = Path(path)
    try:
        data = read_image(path, ReadOptions(channel="max")).data
    except CellCounterError as exc:
        raise AnnotationError(path, getattr(exc, "reason", str(exc))) from exc
    if data.ndim != 2:
        raise AnnotationError(path, f"a label image must be 2-D, got shape {data.shape}")
    if data.dtype.kind == "f":
        if not (np.isfinite(data).all() and np.array_equal(data, np.round(data))):
            raise AnnotationError(path, "a label image must hold whole numbers, got fractional or non-finite values")
    elif data.dtype.kind not in "iub":
        raise AnnotationError(path, f"a label image must hold integers, got {data.dtype}")
    if data.min() < 0:
        raise AnnotationError(path, f"label ids must be >= 0, got {data.min()}")
    _check_shape(path, data.shape, shape)
    values = np.unique(data)
    if values.size <= 2:
        labels, _ = ndi.label(data > 0)
    else:
        labels = data
    return Annotation(labels.astype(np.int32), np.empty((0, 2)), path)


def read_roi_annotation(path: str | Path, shape: tuple[int, int]) -> Annotation:
    """An ImageJ ROI set (``.zip``) or single ``.roi``: one cell per area ROI and per point."""
    path = Path(path)
    rois = read_rois(path)
    labels = np.zeros(tuple(int(s) for s in shape), np.int32)
    points: list[np.ndarray] = []
    skipped: dict[str, int] = {}
    unreadable: list[str] = []
    outside = 0
    for roi in rois:
        if roi.kind == "point":
            points.append(roi.points)
        elif roi.problem:
            unreadable.append(f"ROI {roi.name!r} skipped: {roi.problem}")
        elif roi.is_area:
            mask = roi_mask(roi, labels.shape) & (labels == 0)
            if mask.any():
                labels[mask] = int(labels.max()) + 1
            else:
                outside += 1
        else:
            skipped[roi.kind] = skipped.get(roi.kind, 0) + 1
    notes = [f"{n} {kind} ROI{'s' if n > 1 else ''} (no area)" for kind, n in sorted(skipped.items())]
    notes += unreadable
    if outside:
        notes.append(f"{outside} area ROI{'s' if outside > 1 else ''} outside the image")
    all_points = np.concatenate(points) if points else np.empty((0, 2))
    _check_points(path, all_points, shape)
    if not labels.any() and not len(all_points):
        raise AnnotationError(path, "no cell in the ROIs: " + ("; ".join(notes) if notes else "the set is empty"))
    return Annotation(labels if labels.any() else None, all_points, path, tuple(notes))


def read_geojson_annotation(path: str | Path, shape: tuple[int, int]) -> Annotation:
    """A QuPath GeoJSON: one cell per polygon and per point (rules: `cellcounter_app.io.geojson_annotations`)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_GEOJSON_BYTES:
            raise AnnotationError(path, f"{_mib(size)}: larger than the GeoJSON files read"
                                        f" (at most {_mib(MAX_GEOJSON_BYTES)})")
        cells = parse_geojson(path.read_bytes())
    except FileNotFoundError:
        raise AnnotationError(path, "no such file") from None
    except ValueError as exc:
        raise AnnotationError(path, str(exc)) from None
    except OSError as exc:
        raise AnnotationError(path, f"cannot read the file ({exc.strerror or exc})") from None
    labels, missed = draw_outlines(cells.outlines, shape)
    notes = list(cells.notes)
    if missed:
        notes.append(f"{missed} outline{'s' if missed > 1 else ''} with no pixel in the image")
    _check_points(path, cells.points, shape)
    if not labels.any() and not len(cells.points):
        raise AnnotationError(path, "no cell in the file: " + ("; ".join(notes) if notes else "it has no feature"))
    return Annotation(labels if labels.any() else None, cells.points, path, tuple(notes))


def read_rois(path: str | Path) -> list[ImageJRoi]:
    """Every ROI of a ``.zip`` ROI set (in archive order) or of one ``.roi`` file.

    The zip's entry count and declared sizes are bounded before anything is
    unpacked (`_check_sizes`); each entry is then decoded by `parse_roi`
    (roifile).  Every problem raises `AnnotationError` naming the file, and
    the entry for a set.
    """
    path = Path(path)
    try:
        if path.suffix.lower() == ".roi":
            size = path.stat().st_size
            if size > MAX_ROI_BYTES:
                raise AnnotationError(path, f"{_mib(size)}: larger than any ImageJ ROI (at most {_mib(MAX_ROI_BYTES)})")
            return [parse_roi(path.read_bytes(), path.stem)]
        with zipfile.ZipFile(path) as archive:
            entries = [info for info in archive.infolist() if not info.is_dir() and not _mac_extra(info.filename)]
            if len(entries) > MAX_ROI_ENTRIES:
                raise AnnotationError(path, f"more than {MAX_ROI_ENTRIES} entries; not an ImageJ ROI set")
            _check_sizes(path, entries)
            rois = []
            for info in entries:
                try:
                    rois.append(parse_roi(archive.read(info), Path(info.filename).stem))
                except ValueError as exc:
                    raise AnnotationError(path, f"entry {info.filename}: {exc}") from None
                except zipfile.BadZipFile as exc:  # its data disagree with its size or CRC
                    raise AnnotationError(path, f"entry {info.filename}: damaged ({exc})") from None
            return rois
    except FileNotFoundError:
        raise AnnotationError(path, "no such file") from None
    except zipfile.BadZipFile:
        raise AnnotationError(path, "not a zip archive (an ImageJ ROI set is a .zip of .roi files)") from None
    except ValueError as exc:
        raise AnnotationError(path, str(exc)) from None
    except OSError as exc:
        raise AnnotationError(path, f"cannot read the file ({exc.strerror or exc})") from None


def _mac_extra(name: str) -> bool:
    """A file macOS adds when it zips a folder (``__MACOSX/…``, ``._name``): not a ROI, skipped."""
    return name.startswith("__MACOSX/") or Path(name).name.startswith("._")


def _check_sizes(path: Path, entries: list[zipfile.ZipInfo]) -> None:
    """Refuse, before decompressing anything, entries that declare more bytes than ROIs can hold.

    `zipfile` never returns more than an entry declares (more fails its CRC check),
    so the declared sizes bound what reading the set costs.
    """
    for info in entries:
        if info.file_size > MAX_ROI_BYTES:
            raise AnnotationError(path, f"entry {info.filename} declares {_mib(info.file_size)} uncompressed"
                                        f" ({_mib(info.compress_size)} stored): larger than any ImageJ ROI"
                                        f" (at most {_mib(MAX_ROI_BYTES)}); not an ImageJ ROI set")
    total = sum(info.file_size for info in entries)
    if total > MAX_ROI_SET_BYTES:
        raise AnnotationError(path, f"the entries declare {_mib(total)} uncompressed, more than an ImageJ ROI set"
                                    f" holds (at most {_mib(MAX_ROI_SET_BYTES)})")


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB" if size < 1 << 30 else f"{size / (1 << 30):.1f} GiB"


def read_point_annotation(path: str | Path, shape: tuple[int, int] | None = None, *,
                          pixels_per_unit: float = 1.0) -> Annotation:
    """A CSV/TSV list of cell positions (see the module docstring for the columns)."""
    path = Path(path)
    if not (np.isfinite(pixels_per_unit) and pixels_per_unit > 0):
        raise AnnotationError(path, f"pixels_per_unit must be a positive number, got {pixels_per_unit!r}")
    points = read_points_table(path) * pixels_per_unit
    _check_points(path, points, shape)
    if not len(points):
        raise AnnotationError(path, "the point list is empty")
    return Annotation(None, points, path)


def read_points_table(path: Path) -> np.ndarray:
    """``(k, 2)`` ``(x, y)`` coordinates from a delimited text table, as written in the file."""
    rows = _rows(path)
    if not rows:
        return np.empty((0, 2))
    header = [_column_name(cell) for cell in rows[0]]
    has_header = not all(_is_number(cell) for cell in rows[0] if cell.strip())
    if has_header:
        x_col, y_col = _xy_columns(path, header)
        body, first_line = rows[1:], 2
    else:
        if len(rows[0]) < 2:
            raise AnnotationError(path, "a point list needs two columns (x and y)")
        x_col, y_col, body, first_line = 0, 1, rows, 1
    values = []
    for number, row in enumerate(body, start=first_line):
        if not any(cell.strip() for cell in row):
            continue
        try:
            values.append((_number(row[x_col]), _number(row[y_col])))
        except (IndexError, ValueError):
            raise AnnotationError(path, f"line {number}: expected numbers in columns {x_col + 1} and {y_col + 1}, "
                                        f"got {row!r}") from None
    points = np.asarray(values, dtype=float).reshape(-1, 2)
    if not np.isfinite(points).all():
        raise AnnotationError(path, "the point list holds coordinates that are not finite numbers")
    return points


def _rows(path: Path) -> list[list[str]]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise AnnotationError(path, "no such file") from None
    except OSError as exc:
        raise AnnotationError(path, f"cannot read the file ({exc.strerror or exc})") from None
    if b"\x00" in raw[:4096]:
        raise AnnotationError(path, "a binary file, not a text table of points")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        return []
    delimiter = _delimiter(lines[0])
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    if delimiter in ";\t":
        rows = [[cell.replace(",", ".") if _is_number(cell.replace(",", ".")) else cell for cell in row]
                for row in rows]
    return rows


def _delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in ("\t", ";", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


X_NAMES = ("x", "xm", "x_px", "centroid_x", "pos_x", "position_x")
Y_NAMES = ("y", "ym", "y_px", "centroid_y", "pos_y", "position_y")


def _xy_columns(path: Path, header: Sequence[str]) -> tuple[int, int]:
    for xs, ys in zip(X_NAMES, Y_NAMES):
        if xs in header and ys in header:
            return header.index(xs), header.index(ys)
    axes = sorted((name for name in header if re.fullmatch(r"axis-\d+", name)), key=lambda n: int(n[5:]))
    if len(axes) >= 2:
        return header.index(axes[-1]), header.index(axes[-2])
    shown = ", ".join(repr(name) for name in header if name) or "none"
    raise AnnotationError(path, f"no x and y columns; the header has {shown} (expected x and y, X and Y, "
                                "or napari's axis-0 and axis-1)")


def _column_name(cell: str) -> str:
    """Lower case without quotes, spaces and a unit in brackets: ``'X (px)'`` -> ``'x'``."""
    name = re.sub(r"[\(\[].*?[\)\]]", "", cell.strip().strip('"').lower()).strip()
    return re.sub(r"\s+", "_", name)


def _is_number(cell: str) -> bool:
    try:
        _number(cell)
    except ValueError:
        return False
    return True


def _number(cell: str) -> float:
    return float(cell.strip().strip('"'))


def _check_shape(path: Path, got: tuple[int, ...], shape: tuple[int, int] | None) -> None:
    if shape is not None and tuple(got) != tuple(shape):
        raise AnnotationError(path, f"the label image is {got[1]}x{got[0]} px but the image is "
                                    f"{shape[1]}x{shape[0]} px")


def _check_points(path: Path, points: np.ndarray, shape: tuple[int, int] | None) -> None:
    if shape is None or not len(points):
        return
    height, width = shape
    outside = ((points[:, 0] < -0.5) | (points[:, 0] >= width - 0.5)
               | (points[:, 1] < -0.5) | (points[:, 1] >= height - 0.5))
    if outside.any():
        raise AnnotationError(
            path, f"{int(outside.sum())} of {len(points)} points lie outside the {width}x{height} px image "
                  f"(x up to {points[:, 0].max():.1f}, y up to {points[:, 1].max():.1f}); if the coordinates "
                  "are in µm, give the pixel size")
