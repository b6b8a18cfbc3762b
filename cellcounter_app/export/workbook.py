"""The Excel workbook: sheets ``Images``, ``Cells``, ``Summary`` and ``Info``.

The ``.xlsx`` package (Office Open XML, ECMA-376) is streamed straight into a
zip file: openpyxl's write-only mode needs about 12 s for 100,000 cells of 13
columns on a 2-core machine, this writer about 2 s. The files are read back
with openpyxl in the tests (:func:`read_workbook`).
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from openpyxl.utils import get_column_letter

from ..postprocess.params import PARAM_SPECS
from ..results import ImageResult
from .atomic import atomic_path, check_writable
from .tables import cell_rows, image_rows, info_rows, summary_rows

MAX_ROWS = 1_048_576
"""Rows per sheet in Excel, header included; more cells go on ``Cells 2``, ``Cells 3``, ..."""

MAX_TEXT = 32_767
"""Characters per cell in Excel."""

FINE_COLUMNS = frozenset({"area_fraction", "pixel_size_um"})
"""Float columns shown with 4 decimals (small fractions); other floats get 2."""

GENERAL_COLUMNS = frozenset(spec.name for spec in PARAM_SPECS)
"""Columns shown as entered (parameters such as a threshold of 0.825)."""

BOLD, TWO_DECIMALS, FOUR_DECIMALS = 1, 2, 3
"""Indices into the ``cellXfs`` of :data:`STYLES`."""

BYTES_PER_CELL = 80
ZIP64_ABOVE = 2**30
"""ZIP64 only for sheets that may pass 2 GiB: some Excel versions reject needless ZIP64 records."""

WIDTH_SAMPLE = 200
MIN_WIDTH, MAX_WIDTH = 6, 60
FILTER_BUTTON = 2
"""Extra characters of width so that the autofilter button does not hide a header."""
ROWS_PER_CHUNK = 2_000

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"

STYLES = (
    f'{_XML_DECL}<styleSheet xmlns="{_MAIN_NS}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="0.00"/>'
    '<numFmt numFmtId="165" formatCode="0.0000"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)

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
    ``Cells`` (one row per cell), ``Summary`` (per folder, then ``All``) and
    ``Info``. Each has a bold frozen header row and an autofilter; floats are
    shown with 2 decimals (4 for fractions), empty values are empty cells.

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
    sheets: list[Sheet] = [("Images", *image_rows(results))]
    header, rows = cell_rows(results)
    per_sheet = MAX_ROWS - 1
    for start in range(0, max(len(rows), 1), per_sheet):
        title = "Cells" if start == 0 else f"Cells {start // per_sheet + 1}"
        sheets.append((title, header, rows[start:start + per_sheet]))
    sheets.append(("Summary", *summary_rows(results)))
    sheets.append(("Info", *info_rows(results, extra_info)))
    with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        _write_package_parts(archive, sheets)
        for index, (_, sheet_header, sheet_rows) in enumerate(sheets, start=1):
            large = len(sheet_rows) * len(sheet_header) * BYTES_PER_CELL > ZIP64_ABOVE
            with archive.open(f"xl/worksheets/sheet{index}.xml", "w", force_zip64=large) as stream:
                _write_sheet(stream, sheet_header, sheet_rows, selected=index == 1)
    return target


def _write_package_parts(archive: zipfile.ZipFile, sheets: list[Sheet]) -> None:
    n = len(sheets)
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_OOXML}.worksheet+xml"/>'
        for i in range(1, n + 1)
    )
    archive.writestr("[Content_Types].xml", (
        f'{_XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_OOXML}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_OOXML}.styles+xml"/>{overrides}</Types>'
    ))
    archive.writestr("_rels/.rels", (
        f'{_XML_DECL}<Relationships xmlns="{_PKG_REL_NS}"><Relationship Id="rId1" '
        f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ))
    sheet_rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, n + 1)
    )
    archive.writestr("xl/_rels/workbook.xml.rels", (
        f'{_XML_DECL}<Relationships xmlns="{_PKG_REL_NS}">{sheet_rels}'
        f'<Relationship Id="rId{n + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/></Relationships>'
    ))
    entries = "".join(
        f'<sheet name={quoteattr(title)} sheetId="{i}" r:id="rId{i}"/>'
        for i, (title, _, _) in enumerate(sheets, start=1)
    )
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"{escape(_quoted(title))}!{_range(header, rows, absolute=True)}</definedName>"
        for i, (title, header, rows) in enumerate(sheets)
    )
    archive.writestr("xl/workbook.xml", (
        f'{_XML_DECL}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{entries}</sheets><definedNames>{filters}</definedNames></workbook>"
    ))
    archive.writestr("xl/styles.xml", STYLES)


def _write_sheet(stream: IO[bytes], header: list[str], rows: list[list[Any]], *, selected: bool) -> None:
    letters = [get_column_letter(i) for i in range(1, len(header) + 1)]
    styles = [_float_style(name) for name in header]
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>'
        for i, w in enumerate(_column_widths(header, rows), start=1)
    )
    tab = ' tabSelected="1"' if selected else ""
    stream.write((
        f'{_XML_DECL}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        f'<dimension ref="{_range(header, rows)}"/>'
        f'<sheetViews><sheetView{tab} workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/>{"<cols>" + cols + "</cols>" if cols else ""}<sheetData>'
        '<row r="1">'
        + "".join(f'<c r="{c}1" s="{BOLD}" t="inlineStr">{_inline(name)}</c>' for c, name in zip(letters, header))
        + "</row>"
    ).encode("utf-8"))
    for start in range(0, len(rows), ROWS_PER_CHUNK):
        chunk = rows[start:start + ROWS_PER_CHUNK]
        text = "".join(_row(r, row, letters, styles) for r, row in enumerate(chunk, start=start + 2))
        stream.write(text.encode("utf-8"))
    stream.write(f'</sheetData><autoFilter ref="{_range(header, rows)}"/></worksheet>'.encode("utf-8"))


def _row(r: int, row: list[Any], letters: list[str], styles: list[str]) -> str:
    cells = [f'<row r="{r}">']
    for letter, style, value in zip(letters, styles, row):
        kind = type(value)
        if value is None:
            continue
        if kind is float:
            cells.append(f'<c r="{letter}{r}"{style}><v>{value!r}</v></c>')
        elif kind is int:
            cells.append(f'<c r="{letter}{r}"><v>{value}</v></c>')
        elif kind is bool:
            cells.append(f'<c r="{letter}{r}" t="b"><v>{int(value)}</v></c>')
        else:
            cells.append(f'<c r="{letter}{r}" t="inlineStr">{_inline(str(value))}</c>')
    cells.append("</row>")
    return "".join(cells)


def _inline(text: str) -> str:
    """An inline string: legal XML characters only, at most `MAX_TEXT`, never a formula."""
    text = _ILLEGAL_XML.sub("\ufffd", text)[:MAX_TEXT]
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f"<is><t{space}>{escape(text)}</t></is>"


def _float_style(column: str) -> str:
    if column in GENERAL_COLUMNS:
        return ""
    return f' s="{FOUR_DECIMALS if column in FINE_COLUMNS else TWO_DECIMALS}"'


def _range(header: list[str], rows: list[list[Any]], *, absolute: bool = False) -> str:
    last = get_column_letter(max(len(header), 1))
    if absolute:
        return f"$A$1:${last}${len(rows) + 1}"
    return f"A1:{last}{len(rows) + 1}"


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


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
