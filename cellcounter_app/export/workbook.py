"""The Excel workbook: sheets ``Images``, ``Cells``, ``Summary`` and ``Info``.

Written with openpyxl in write-only mode, which streams each row to a
temporary file as it is appended; those files are hidden files next to the
workbook (not in the system's temporary folder), and the ones a killed run
left behind are removed by the next write of the same workbook. Only the header row and the float cells carry
a style (a column style would not apply to cells already in the file), and each
float column reuses one pre-styled cell for all its rows (the write-only sheet
writes a row before :meth:`append` returns), so no style is set per cell.
openpyxl writes floats with 16 significant digits.
"""

from __future__ import annotations

import logging
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet import _writer as sheet_writer
from openpyxl.writer.excel import ExcelWriter

from ..errors import CellCounterError
from ..postprocess.params import PARAM_SPECS
from ..results import ImageResult
from .atomic import atomic_path, check_writable, remove_stale_temporaries, temporary_path
from .tables import cell_rows, image_rows, info_rows, summary_rows

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

MAX_ROWS = 1_048_576
"""Rows per sheet in Excel, header included; more cells go on ``Cells 2``, ``Cells 3``, ..."""

MAX_TEXT = 32_767
"""Characters per cell in Excel."""

FINE_COLUMNS = frozenset({"area_fraction", "pixel_size_um"})
"""Float columns shown with 4 decimals (small fractions); other floats get 2."""

GENERAL_COLUMNS = frozenset(spec.name for spec in PARAM_SPECS)
"""Columns shown as entered (parameters such as a threshold of 0.825)."""

TWO_DECIMALS, FOUR_DECIMALS = "0.00", "0.0000"

WIDTH_SAMPLE = 200
MIN_WIDTH, MAX_WIDTH = 6, 60
FILTER_BUTTON = 2
"""Extra characters of width so that the autofilter button does not hide a header."""

log = logging.getLogger(__name__)

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

Sheet = tuple[str, list[str], list[list[Any]]]


def write_workbook(
    results: Sequence[ImageResult],
    path: str | os.PathLike[str],
    *,
    force: bool = False,
    extra_info: Mapping[str, str] | None = None,
) -> Path:
    """Write the results of a batch to an Excel workbook.

    Sheets, in order: ``Images`` (one row per image, failed ones included),
    ``Cells`` (one row per cell; past Excel's row limit on ``Cells 2``,
    ``Cells 3``, ...), ``Summary`` (per folder, then ``All``) and ``Info``.
    Each has a bold frozen header row and an autofilter; floats are shown
    with 2 decimals (4 for fractions), empty values are empty cells and text
    is always stored as text, never as a formula.

    Parameters
    ----------
    results : sequence of ImageResult
        Counted and failed images, in the order to list them.
    path : path-like
        The ``.xlsx`` file to write.
    force : bool
        Overwrite ``path`` if it exists.
    extra_info : mapping of str to str, optional
        Key/value pairs for the ``Info`` sheet (app version, date, command
        line, ...); batch totals follow them.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``force`` is False.
    CellCounterError
        The folder is missing or not writable, or the file could not be
        written (the previous file, if any, is then left intact).

    Examples
    --------
    >>> import tempfile
    >>> r = ImageResult(Path("a.tif"), "a.tif", summary={"count": 3})
    >>> out = write_workbook([r], Path(tempfile.mkdtemp()) / "results.xlsx")
    >>> out.name
    'results.xlsx'
    """
    target = Path(path)
    check_writable(target, force=force)
    remove_stale_temporaries(target.parent, [target.name])
    sheets = _sheets(results, extra_info)
    with atomic_path(target) as tmp:
        book = Workbook(write_only=True)
        try:
            for title, header, rows in sheets:
                _write_sheet(book.create_sheet(title), header, rows, temporary_path(target, "sheet"))
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
                ExcelWriter(book, archive).save()
        except (IllegalCharacterError, ValueError, TypeError) as exc:
            _discard(book)
            raise CellCounterError(f"cannot write {target}: {exc}") from exc
        except BaseException:
            _discard(book)
            raise
    return target


def _sheets(results: Sequence[ImageResult], extra_info: Mapping[str, str] | None) -> list[Sheet]:
    sheets: list[Sheet] = [("Images", *image_rows(results))]
    header, rows = cell_rows(results)
    per_sheet = MAX_ROWS - 1
    for start in range(0, max(len(rows), 1), per_sheet):
        title = "Cells" if start == 0 else f"Cells {start // per_sheet + 1}"
        sheets.append((title, header, rows[start:start + per_sheet]))
    sheets.append(("Summary", *summary_rows(results)))
    sheets.append(("Info", *info_rows(results, extra_info)))
    return sheets


def _write_sheet(sheet: WriteOnlyWorksheet, header: list[str], rows: list[list[Any]], stream: Path) -> None:
    """Set up the sheet's view, columns and filter, then stream its rows into the file ``stream``."""
    sheet.freeze_panes = "A2"
    last = get_column_letter(max(len(header), 1))
    sheet.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    for col, width in enumerate(_column_widths(header, rows), start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    bold = Font(bold=True)
    titles = []
    for name in header:
        cell = _text_cell(sheet, name)
        cell.font = bold
        titles.append(cell)
    _open_stream(sheet, stream)
    sheet.append(titles)
    styled = [_float_cell(sheet, name) for name in header]
    texts: dict[str, str] = {}
    for row in rows:
        sheet.append([_value(sheet, value, cell, texts) for value, cell in zip(row, styled)])


def _open_stream(sheet: WriteOnlyWorksheet, stream: Path) -> None:
    """Make the sheet stream its rows into ``stream`` instead of a file in the system's temporary folder.

    What openpyxl does on the sheet's first row, with our file: its writer is
    kept in ``_writer`` and its file listed for openpyxl's own clean-up.
    """
    writer = sheet_writer.WorksheetWriter(sheet, out=str(stream))
    sheet_writer.ALL_TEMP_FILES.append(writer.out)
    sheet._writer = writer
    writer.write_top()


def _float_cell(sheet: WriteOnlyWorksheet, column: str) -> Cell | None:
    """The one styled cell that carries every float of ``column``, or None (General format)."""
    if column in GENERAL_COLUMNS:
        return None
    cell = WriteOnlyCell(sheet)
    cell.number_format = FOUR_DECIMALS if column in FINE_COLUMNS else TWO_DECIMALS
    return cell


def _value(sheet: WriteOnlyWorksheet, value: Any, styled: Cell | None, texts: dict[str, str]) -> Any:
    """What to append for ``value``: itself, a cleaned text, or a cell carrying it.

    A styled cell is left alone by the write-only worksheet once written, so
    each float column reuses one; an unstyled cell is reused by openpyxl for
    the next values of its row, so a text cell is made afresh each time.
    """
    kind = type(value)
    if kind is float and styled is not None:
        styled.value = value
        return styled
    if kind is str:
        text = texts.get(value)
        if text is None:
            text = texts[value] = _ILLEGAL_XML.sub("\ufffd", value)[:MAX_TEXT]
        if (len(text) > 1 and text[0] == "=") or text in ERROR_CODES:
            return _text_cell(sheet, text)
        return text
    return value


def _text_cell(sheet: WriteOnlyWorksheet, value: str) -> Cell:
    """A cell that keeps ``value`` (legal XML characters only) as text, even ``=...`` or ``#N/A``."""
    cell = WriteOnlyCell(sheet, _ILLEGAL_XML.sub("\ufffd", value)[:MAX_TEXT])
    cell.data_type = "s"
    return cell


def _discard(book: Workbook) -> None:
    """Close the sheet streams of a workbook that will not be saved and delete their temporary files.

    A write-only sheet streams into a temporary file of its own (openpyxl
    keeps its writer in ``_writer``); left open, the stream would be closed
    by the garbage collector after its file.
    """
    for sheet in book.worksheets:
        writer = sheet._writer
        if writer is None:
            continue
        try:
            if not sheet.closed:
                sheet.close()
        except (OSError, ValueError) as exc:
            log.warning("could not close sheet %r of an unsaved workbook: %s", sheet.title, exc)
        try:
            if os.path.exists(writer.out):
                writer.cleanup()
        except OSError as exc:
            log.warning("could not remove the temporary file of sheet %r: %s", sheet.title, exc)


def _column_widths(header: list[str], rows: list[list[Any]]) -> list[float]:
    widths = [len(name) + FILTER_BUTTON for name in header]
    for row in rows[:WIDTH_SAMPLE]:
        for col, value in enumerate(row):
            if isinstance(value, float):
                length = len(f"{value:.2f}")
            elif value is None:
                length = 0
            else:
                length = len(str(value))
            widths[col] = max(widths[col], length)
    return [float(min(max(w + 2, MIN_WIDTH), MAX_WIDTH)) for w in widths]
