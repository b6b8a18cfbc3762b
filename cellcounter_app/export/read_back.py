"""Read a results workbook back into plain rows (for the tests and the GUI)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from ..errors import CellCounterError


def read_workbook(path: str | os.PathLike[str]) -> dict[str, list[dict[str, object]]]:
    """Every sheet of an ``.xlsx`` file as a list of ``{header: value}`` rows.

    The first row of each sheet is its header; empty cells read as None.

    Parameters
    ----------
    path : path-like
        The workbook, as written by :func:`write_workbook`.

    Returns
    -------
    dict
        Sheet name -> rows, sheets in workbook order.

    Raises
    ------
    CellCounterError
        The file is missing or is not an Excel workbook.

    Examples
    --------
    >>> import tempfile
    >>> from cellcounter_app.export import write_workbook
    >>> from cellcounter_app.results import ImageResult
    >>> r = ImageResult(Path("a.tif"), "a.tif", summary={"count": 3})
    >>> sheets = read_workbook(write_workbook([r], Path(tempfile.mkdtemp()) / "r.xlsx"))
    >>> list(sheets), sheets["Images"][0]["count"]
    (['Images', 'Cells', 'Summary', 'Info'], 3)
    """
    source = Path(path)
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except FileNotFoundError:
        raise CellCounterError(f"{source}: no such file") from None
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise CellCounterError(f"{source}: not an Excel workbook ({exc})") from exc
    try:
        sheets: dict[str, list[dict[str, object]]] = {}
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header = [str(h) if h is not None else "" for h in next(rows, ())]
            sheets[sheet.title] = [
                {name: (row[i] if i < len(row) else None) for i, name in enumerate(header)}
                for row in rows
            ]
        return sheets
    finally:
        workbook.close()
