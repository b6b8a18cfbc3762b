"""Per-image marker counts and double/triple-positive combinations, as result columns.

Column names
------------
Per cell (``ImageResult.cells``): ``<marker>_<measure>`` for each name of
`MEASURE_COLUMNS` and ``<marker>_positive`` (bool).
Per image (``ImageResult.summary``): ``<marker>_positive``,
``<marker>_negative``, ``<marker>_percent_positive``, ``<marker>_threshold``
(NaN when not split), ``<marker>_separation`` and ``<marker>_flag`` (text,
empty when the split is clear); with two or three markers, the count and
percentage of every combination: ``Cy3+GFP-`` and ``Cy3+GFP-_percent``.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from ..errors import ParameterError
from ..results import ImageResult
from .measures import MEASURE_COLUMNS
from .rules import Positivity

MAX_COMBINED = 3
"""Markers whose combinations are counted (2^3 = 8 combinations)."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")


def check_marker_name(name: str) -> str:
    """``name`` when it can name a marker (letters, digits, ``_ . -``; starts with a letter or digit).

    Examples
    --------
    >>> check_marker_name("c-Fos")
    'c-Fos'
    >>> check_marker_name("Cy3+")
    Traceback (most recent call last):
    ...
    cellcounter_app.errors.ParameterError: marker name must be letters, digits, '_', '.' or '-' (starting with a letter or digit), got 'Cy3+'
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ParameterError("marker name must be letters, digits, '_', '.' or '-' "
                             f"(starting with a letter or digit), got {name!r}")
    return name


def marker_columns(cells: Mapping[str, np.ndarray], name: str) -> dict[str, np.ndarray]:
    """One marker's per-cell measures from an image's cell columns, keyed without the prefix.

    Examples
    --------
    >>> cells = {"cell_id": np.array([1]), "Cy3_mean": np.array([5.0]), "Cy3_positive": np.array([True])}
    >>> sorted(marker_columns(cells, "Cy3"))
    ['mean']
    """
    prefix = f"{name}_"
    return {key[len(prefix):]: np.asarray(cells[key]) for key in cells
            if key.startswith(prefix) and key[len(prefix):] in MEASURE_COLUMNS}


def cell_columns(name: str, measures: Mapping[str, np.ndarray], positivity: Positivity) -> dict[str, np.ndarray]:
    """The per-cell columns of one marker, in export order."""
    columns = {f"{name}_{key}": np.asarray(measures[key], dtype=np.float64) for key in MEASURE_COLUMNS
               if key in measures}
    columns[f"{name}_positive"] = np.asarray(positivity.positive, dtype=bool)
    return columns


SUMMARY_SUFFIXES: tuple[str, ...] = (
    "positive", "negative", "percent_positive", "threshold", "separation", "flag",
)


def summary_values(name: str, positivity: Positivity) -> dict[str, int | float | str]:
    """The per-image values of one marker.

    Examples
    --------
    >>> from cellcounter_app.markers.rules import Positivity
    >>> p = Positivity(np.array([True, False, False, True]), 120.0, "mean")
    >>> summary_values("Cy3", p)["Cy3_percent_positive"]
    50.0
    """
    return {
        f"{name}_positive": positivity.n_positive,
        f"{name}_negative": positivity.n_negative,
        f"{name}_percent_positive": positivity.percent_positive,
        f"{name}_threshold": positivity.threshold,
        f"{name}_separation": positivity.separation,
        f"{name}_flag": positivity.flag,
    }


def combinations(positive: Mapping[str, np.ndarray]) -> dict[str, int | float]:
    """Cells in every positive/negative combination of two or three markers, with percentages.

    Parameters
    ----------
    positive : mapping of marker name to bool array
        In marker order; every array has one entry per cell.

    Returns
    -------
    dict
        ``{"A+B+": n, "A+B+_percent": p, "A+B-": ..., ...}``, combinations
        in the order ``++``, ``+-``, ``-+``, ``--``; empty for one marker.
        Percentages are NaN for an image without cells.

    Examples
    --------
    >>> combos = combinations({"A": np.array([True, True, False]), "B": np.array([True, False, False])})
    >>> [combos[k] for k in ("A+B+", "A+B-", "A-B+", "A-B-")]
    [1, 1, 0, 1]
    """
    names = list(positive)
    if len(names) < 2:
        return {}
    if len(names) > MAX_COMBINED:
        raise ParameterError(f"combinations are counted for 2 or 3 markers, got {len(names)}: {', '.join(names)}")
    masks = [np.asarray(positive[n], dtype=bool) for n in names]
    n_cells = masks[0].size
    result: dict[str, int | float] = {}
    for signs in itertools.product((True, False), repeat=len(names)):
        chosen = np.ones(n_cells, dtype=bool)
        for mask, sign in zip(masks, signs):
            chosen &= mask if sign else ~mask
        key = "".join(f"{n}{'+' if s else '-'}" for n, s in zip(names, signs))
        count = int(np.count_nonzero(chosen))
        result[key] = count
        result[f"{key}_percent"] = 100.0 * count / n_cells if n_cells else math.nan
    return result


def combination_keys(names: Sequence[str]) -> list[str]:
    """The keys `combinations` writes for these markers, in its order (none for one marker).

    Examples
    --------
    >>> combination_keys(["A", "B"])[:3]
    ['A+B+', 'A+B+_percent', 'A+B-']
    """
    if not 2 <= len(names) <= MAX_COMBINED:
        return []
    keys = ["".join(f"{n}{'+' if s else '-'}" for n, s in zip(names, signs))
            for signs in itertools.product((True, False), repeat=len(names))]
    return [k for key in keys for k in (key, f"{key}_percent")]


def scored_markers(cells: Mapping[str, np.ndarray]) -> list[str]:
    """The markers whose columns ``cells`` holds, in column order.

    Examples
    --------
    >>> scored_markers({"cell_id": [1], "Cy3_mean": [2.0], "Cy3_positive": [True], "x_positive": [1]})
    ['Cy3']
    """
    suffix = "_positive"
    return [key[: -len(suffix)] for key in cells
            if key.endswith(suffix) and marker_columns(cells, key[: -len(suffix)])]


def table_columns(results: Iterable[ImageResult]) -> tuple[list[str], list[str]]:
    """The marker columns of a batch's tables: ``(per-cell columns, per-image summary keys)``.

    Markers in order of first appearance; per marker, its measures then
    ``_positive`` (cells) and the `summary_values` keys (images), then the
    combinations found.  Both lists are empty when no marker was scored.
    """
    names: list[str] = []
    summary: set[str] = set()
    for result in results:
        names += [n for n in scored_markers(result.cells) if n not in names]
        summary.update(result.summary)
    cells = [f"{n}_{key}" for n in names for key in (*MEASURE_COLUMNS, "positive")]
    keys = [f"{n}_{key}" for n in names for key in SUMMARY_SUFFIXES]
    keys += [key for key in combination_keys(names) if key in summary]
    return cells, keys
