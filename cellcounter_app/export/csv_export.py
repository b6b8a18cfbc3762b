"""CSV export: ``images.csv``, ``cells.csv`` and ``summary.csv``.

The same columns as the workbook's sheets, UTF-8 without byte-order mark,
RFC 4180 (comma separated, CRLF line ends, quotes where needed), one header
row. Empty cells are empty fields; floats are written with full precision.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path

from ..results import ImageResult
from .atomic import atomic_write_bytes, check_writable
from .tables import Table, cell_rows, image_rows, summary_rows

CSV_FILES: tuple[str, ...] = ("images.csv", "cells.csv", "summary.csv")


def write_csv(
    results: Sequence[ImageResult],
    folder: str | os.PathLike[str],
    *,
    force: bool = False,
) -> list[Path]:
    """Write the batch's tables as CSV files into ``folder``.

    Parameters
    ----------
    results : sequence of ImageResult
        Counted and failed images.
    folder : path-like
        An existing folder.
    force : bool
        Overwrite existing files. Without it, nothing is written when any of
        the three files exists.

    Returns
    -------
    list of Path
        ``images.csv``, ``cells.csv`` and ``summary.csv`` in ``folder``.

    Examples
    --------
    >>> import tempfile
    >>> r = ImageResult(Path("a.tif"), "a.tif", summary={"count": 3})
    >>> [p.name for p in write_csv([r], tempfile.mkdtemp())]
    ['images.csv', 'cells.csv', 'summary.csv']
    """
    paths = [Path(folder) / name for name in CSV_FILES]
    for path in paths:
        check_writable(path, force=force)
    tables = (image_rows(results), cell_rows(results), summary_rows(results))
    for path, table in zip(paths, tables):
        atomic_write_bytes(path, table_to_csv(table).encode("utf-8", errors="replace"))
    return paths


def table_to_csv(table: Table) -> str:
    """One table as RFC 4180 CSV text.

    Examples
    --------
    >>> table_to_csv((["a", "b"], [[1, None], ["x,y", 0.5]]))
    'a,b\\r\\n1,\\r\\n"x,y",0.5\\r\\n'
    """
    header, rows = table
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
