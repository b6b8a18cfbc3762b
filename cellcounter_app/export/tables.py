"""The tables every exporter writes: one header and a list of rows per table.

Values are plain Python (``str``, ``int``, ``float``, ``bool``) or ``None`` for
an empty cell; NaN and infinities become ``None`` so that no exporter ever
writes the text "nan".
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ..markers.counts import table_columns
from ..postprocess.params import PARAM_SPECS
from ..results import CELL_COLUMNS, CORRECTION_KEYS, MANUAL_COLUMN, ImageResult

Table = tuple[list[str], list[list[Any]]]

SUMMARY_VALUE_COLUMNS: tuple[str, ...] = (
    "density_per_mm2",
    "area_fraction",
    "mean_area_px",
    "mean_area_um2",
    "pixel_size_um",
    "width",
    "height",
)
"""Per-image summary keys exported after ``count`` in the ``Images`` table."""

INTEGER_KEYS = frozenset({"width", "height"})

MODEL_COLUMNS: tuple[str, ...] = ("model", "model_version", "model_sha256", "provider")

SUMMARY_COLUMNS: tuple[str, ...] = (
    "group",
    "n_images",
    "n_counted",
    "n_failed",
    "total_count",
    "mean_count",
    "sd_count",
    "mean_density_per_mm2",
    "mean_area_px",
    "mean_area_um2",
    "n_calibrated",
)

ALL_GROUP = "All"


def clean(value: Any) -> Any:
    """``value`` as a plain Python value for a table cell; None when empty or not finite.

    Examples
    --------
    >>> clean(np.float32(1.5)), clean(float("nan")), clean(np.int64(3)), clean(None)
    (1.5, None, 3, None)
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)


def param_names(results: Iterable[ImageResult]) -> list[str]:
    """Parameter columns: `PARAM_SPECS` order, then any other keys found, sorted."""
    known = [spec.name for spec in PARAM_SPECS]
    extra = sorted({key for r in results for key in r.params} - set(known))
    return known + extra


def image_rows(results: Sequence[ImageResult]) -> Table:
    """Header and one row per image (counted or failed) for the ``Images`` table.

    A failed image keeps its status ``"error"`` and message and has an empty
    count.  A count corrected by hand is followed by `CORRECTION_KEYS`
    (``detected``, ``added``, ``removed``, ``corrected``, ``regions``).  When markers were scored, their per-image counts, percentages,
    thresholds and flags (and the combinations of two or three markers)
    follow the summary columns (see `cellcounter_app.markers.counts`).

    Examples
    --------
    >>> from pathlib import Path
    >>> r = ImageResult(Path("a/b.tif"), "a/b.tif", summary={"count": 4.0})
    >>> header, rows = image_rows([r])
    >>> header[:4], rows[0][:4]
    (['image', 'status', 'error', 'count'], ['a/b.tif', 'ok', None, 4])
    """
    params = param_names(results)
    _, markers = table_columns(results)
    corrections = [key for key in CORRECTION_KEYS if any(key in r.summary for r in results)]
    header = [
        "image", "status", "error", "count", *corrections, *SUMMARY_VALUE_COLUMNS, *markers, *MODEL_COLUMNS,
        *params, "seconds", "timestamp",
    ]
    rows: list[list[Any]] = []
    for r in results:
        count = clean(r.summary.get("count")) if r.ok else None
        model = r.model
        model_values = [model.name, model.version, model.sha256, model.provider] if model else [None] * 4
        rows.append([
            r.name, r.status, r.error or None, int(count) if count is not None else None,
            *(_correction_value(r, key) for key in corrections),
            *(_summary_value(r, key) for key in SUMMARY_VALUE_COLUMNS),
            *(_marker_value(r, key) for key in markers),
            *(value or None for value in model_values),
            *(_param_value(r, name) for name in params),
            clean(r.seconds), r.timestamp or None,
        ])
    return header, rows


def cell_rows(results: Sequence[ImageResult]) -> Table:
    """Header and one row per cell of every image for the ``Cells`` table.

    Columns are ``image``, `CELL_COLUMNS`, ``manual`` (True for a cell added
    by hand, which has a position but no outline; always there, False for
    every detected cell), then the marker columns when markers were scored;
    a column missing from an image's ``cells`` is left empty.
    """
    markers, _ = table_columns(results)
    columns = [*CELL_COLUMNS, MANUAL_COLUMN, *markers]
    header = ["image", *columns]
    rows: list[list[Any]] = []
    for r in results:
        n = len(r.cells.get("cell_id", ()))
        if n == 0:
            continue
        cells = r.cells if MANUAL_COLUMN in r.cells else {**r.cells, MANUAL_COLUMN: np.zeros(n, bool)}
        values = [[r.name] * n] + [_column_values(cells.get(col), n) for col in columns]
        rows.extend(list(row) for row in zip(*values))
    return header, rows


def summary_rows(
    results: Sequence[ImageResult],
    group_by: Callable[[ImageResult], str] | None = None,
) -> Table:
    """Header and one row per group of images, then an ``"All"`` row.

    Parameters
    ----------
    results : sequence of ImageResult
        The images, counted or failed.
    group_by : callable, optional
        Maps a result to its group name. Default: the folder part of
        ``result.name`` (``"."`` for images at the top level).

    Returns
    -------
    header, rows
        Groups in sorted order. ``mean_count`` and ``sd_count`` (sample
        standard deviation, needs two counted images) are over the counted
        images; ``mean_density_per_mm2``, ``mean_area_px`` and
        ``mean_area_um2`` are means of the per-image values over the counted
        images where the value is defined (e.g. density needs a pixel size);
        ``n_calibrated`` says how many counted images had a pixel size: the
        images ``mean_density_per_mm2`` and ``mean_area_um2`` come from.

    Examples
    --------
    >>> from pathlib import Path
    >>> rs = [ImageResult(Path(n), n, summary={"count": c}) for n, c in (("a/1.tif", 2), ("a/2.tif", 4))]
    >>> header, rows = summary_rows(rs)
    >>> [row[:7] for row in rows]
    [['a', 2, 2, 0, 6, 3.0, 1.4142135623730951], ['All', 2, 2, 0, 6, 3.0, 1.4142135623730951]]
    """
    key = group_by if group_by is not None else folder_of
    groups: dict[str, list[ImageResult]] = {}
    for r in results:
        groups.setdefault(str(key(r)), []).append(r)
    rows = [_summary_row(name, groups[name]) for name in sorted(groups)]
    rows.append(_summary_row(ALL_GROUP, list(results)))
    return list(SUMMARY_COLUMNS), rows


def folder_of(result: ImageResult) -> str:
    """The folder part of ``result.name`` (POSIX form), ``"."`` at the top level."""
    folder, _, _ = result.name.replace("\\", "/").rpartition("/")
    return folder or "."


def info_rows(results: Sequence[ImageResult], extra_info: Mapping[str, str] | None = None) -> Table:
    """Header and ``key, value`` rows: ``extra_info`` first, then batch totals."""
    counted = [r for r in results if r.ok]
    models = sorted({f"{r.model.name} {r.model.version}".strip() for r in results if r.model})
    rows: list[list[Any]] = [[str(k), clean(v)] for k, v in (extra_info or {}).items()]
    rows += [
        ["images", len(results)],
        ["images_counted", len(counted)],
        ["images_failed", len(results) - len(counted)],
        ["cells", sum(r.count for r in counted)],
        ["models", ", ".join(models)],
    ]
    return ["key", "value"], rows


def diameter_description(params: Mapping[str, Any], pixel_size_um: Any = None) -> str | None:
    """The ``diameter`` cell of the Images table: the diameter used, its unit and where it came from.

    ``params`` is an image's parameter record (``diameter``: ``auto``, ``px``,
    ``um`` or ``model``; ``diameter_px``; ``diameter_confidence``); the number
    alone stays in the ``diameter_px`` column.

    Examples
    --------
    >>> diameter_description({"diameter": "auto", "diameter_px": 24.25, "diameter_confidence": 0.834})
    '24.2 px, estimated (auto, sure 0.83)'
    >>> diameter_description({"diameter": "um", "diameter_px": 28.0}, 0.5)
    '28.0 px = 14.0 µm, set in µm'
    >>> diameter_description({"diameter": "model", "diameter_px": float("nan")})
    "the model's own size (not rescaled)"
    """
    source = params.get("diameter")
    if source is None or source == "":
        return None
    diameter = clean(params.get("diameter_px"))
    if not isinstance(diameter, (int, float)) or isinstance(diameter, bool) or diameter <= 0:
        if source == "auto":
            return "auto: no estimate found, the model's own size"
        return "the model's own size (not rescaled)" if source == "model" else str(source)
    pixel = clean(pixel_size_um)
    text = f"{diameter:.1f} px"
    if isinstance(pixel, (int, float)) and not isinstance(pixel, bool) and pixel > 0:
        text += f" = {diameter * pixel:.1f} µm"
    if source == "auto":
        confidence = clean(params.get("diameter_confidence"))
        sure = f", sure {confidence:.2f}" if isinstance(confidence, (int, float)) else ""
        return f"{text}, estimated (auto{sure})"
    return text + {"px": ", set in px", "um": ", set in µm"}.get(str(source), f" ({source})")


def _param_value(result: ImageResult, name: str) -> Any:
    if name == "diameter":
        return diameter_description(result.params, result.summary.get("pixel_size_um"))
    return clean(result.params.get(name))


def _correction_value(result: ImageResult, key: str) -> Any:
    value = clean(result.summary.get(key)) if result.ok else None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _summary_value(result: ImageResult, key: str) -> Any:
    value = clean(result.summary.get(key))
    if key in INTEGER_KEYS and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _marker_value(result: ImageResult, key: str) -> Any:
    """A marker summary value for a table; empty for a failed image or an empty flag."""
    value = clean(result.summary.get(key)) if result.ok else None
    return None if value == "" else value


def _column_values(values: Any, n: int) -> list[Any]:
    if values is None:
        return [None] * n
    array = np.asarray(values)
    if len(array) != n:
        raise ValueError(f"cell columns must all have {n} entries (one per cell_id), got {len(array)}")
    if array.dtype.kind in "iub" or (array.dtype.kind == "f" and np.isfinite(array).all()):
        return array.tolist()
    return [clean(v) for v in array.tolist()]


def _summary_row(name: str, results: list[ImageResult]) -> list[Any]:
    counted = [r for r in results if r.ok]
    counts = [r.count for r in counted]
    return [
        name,
        len(results),
        len(counted),
        len(results) - len(counted),
        sum(counts),
        statistics.fmean(counts) if counts else None,
        statistics.stdev(counts) if len(counts) >= 2 else None,
        *(_mean_defined(r.summary.get(key) for r in counted)
          for key in ("density_per_mm2", "mean_area_px", "mean_area_um2")),
        sum(isinstance(clean(r.summary.get("pixel_size_um")), (int, float)) for r in counted),
    ]


def _mean_defined(values: Iterable[Any]) -> float | None:
    defined = [v for v in (clean(x) for x in values) if isinstance(v, (int, float))]
    return statistics.fmean(defined) if defined else None
