from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from cellcounter_app.errors import CellCounterError
from cellcounter_app.export import (
    OutputExistsError,
    cell_rows,
    image_rows,
    read_workbook,
    summary_rows,
    write_workbook,
)
from cellcounter_app.export import workbook as workbook_module
from cellcounter_app.results import CELL_COLUMNS, ImageResult

INFO = {"application": "CellCounter 0.1.0", "command": "cellcounter count day1 day2 --force"}


@pytest.fixture
def written(results, tmp_path) -> Path:
    return write_workbook(results, tmp_path / "results.xlsx", extra_info=INFO)


def _as_table(rows: list[dict]) -> list[list]:
    return [list(row.values()) for row in rows]


def _kind(value: object) -> type:
    """A whole float such as 100.0 is written as "100" and reads back as an int."""
    return float if type(value) is int else type(value)


def assert_same_table(read: list[list], expected: list[list]) -> None:
    """Equal up to openpyxl's 16 significant digits for floats."""
    assert len(read) == len(expected)
    for got, want in zip(read, expected):
        assert [_kind(v) for v in got] == [_kind(v) for v in want]
        assert [v if _kind(v) is float else 0.0 for v in got] == pytest.approx(
            [v if _kind(v) is float else 0.0 for v in want], rel=1e-15, abs=0)
        assert [v for v in got if _kind(v) is not float] == [v for v in want if _kind(v) is not float]


def test_sheets_in_order_with_exact_headers(results, written):
    sheets = read_workbook(written)
    assert list(sheets) == ["Images", "Cells", "Summary", "Info"]
    assert list(sheets["Images"][0]) == image_rows(results)[0]
    assert list(sheets["Cells"][0]) == ["image", *CELL_COLUMNS, "manual"]
    assert list(sheets["Summary"][0]) == summary_rows(results)[0]
    assert list(sheets["Info"][0]) == ["key", "value"]


def test_sheets_hold_the_tables(results, written):
    sheets = read_workbook(written)
    assert_same_table(_as_table(sheets["Images"]), image_rows(results)[1])
    assert_same_table(_as_table(sheets["Cells"]), cell_rows(results)[1])
    assert_same_table(_as_table(sheets["Summary"]), summary_rows(results)[1])


def test_images_sheet_lists_every_image_including_the_failed_one(written):
    images = {row["image"]: row for row in read_workbook(written)["Images"]}
    assert list(images) == ["day1/a.tif", "day2/b.tif", "day2/broken.tif", "empty.tif"]
    assert images["day2/broken.tif"]["status"] == "error"
    assert images["day2/broken.tif"]["error"] == "truncated TIFF"
    assert images["day2/broken.tif"]["count"] is None
    assert images["empty.tif"]["count"] == 0
    assert images["day1/a.tif"]["threshold"] == 0.825 and images["day1/a.tif"]["split_touching"] is True
    assert images["day2/b.tif"]["density_per_mm2"] is None


def test_cells_sheet_has_one_row_per_cell_and_empty_um_columns_without_calibration(written):
    cells = read_workbook(written)["Cells"]
    assert [(c["image"], c["cell_id"]) for c in cells] == [
        ("day1/a.tif", 1), ("day1/a.tif", 2), ("day1/a.tif", 3), ("day2/b.tif", 1), ("day2/b.tif", 2)]
    assert all(c["area_um2"] is not None for c in cells[:3])
    assert all(c["area_um2"] is None and c["equivalent_diameter_um"] is None for c in cells[3:])


def test_no_nan_text_anywhere_in_the_file(written):
    with zipfile.ZipFile(written) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8").lower()
            assert ">nan<" not in text and ">inf<" not in text, name


def test_info_sheet_has_extra_info_then_totals(written):
    info = {row["key"]: row["value"] for row in read_workbook(written)["Info"]}
    assert list(info)[:2] == ["application", "command"]
    assert info["command"] == INFO["command"]
    assert (info["images"], info["images_failed"], info["cells"]) == (4, 1, 5)


def test_formatting_bold_frozen_header_autofilter_widths_and_number_formats(written):
    book = load_workbook(written)
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.b for cell in sheet[1])
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}"
    images = book["Images"]
    header = [cell.value for cell in images[1]]
    a = {name: images.cell(2, i + 1) for i, name in enumerate(header)}
    assert a["density_per_mm2"].number_format == "0.00"
    assert a["area_fraction"].number_format == "0.0000"
    assert a["threshold"].number_format == "General"
    assert a["count"].data_type == "n" and a["count"].value == 3
    assert images.column_dimensions["A"].width >= len("day2/broken.tif")
    assert book["Cells"].cell(2, 3).number_format == "0.00"
    book.close()


def test_text_is_kept_as_text(tmp_path):
    r = ImageResult(Path("x"), "=SUM(A1)  ", status="error", error="bad\x00 <byte> & \"more\" \ud800",
                    params={"note": "#N/A"})
    path = write_workbook([r], tmp_path / "t.xlsx", extra_info={"command": "=1+1"})
    sheets = read_workbook(path)
    row = sheets["Images"][0]
    assert row["image"] == "=SUM(A1)  "
    assert row["error"] == "bad\ufffd <byte> & \"more\" \ufffd"
    assert row["note"] == "#N/A"
    assert sheets["Info"][0] == {"key": "command", "value": "=1+1"}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                text = archive.read(name).decode("utf-8")
                assert "<f>" not in text and 't="e"' not in text, name


def test_refuses_to_overwrite_without_force(results, written):
    before = written.read_bytes()
    with pytest.raises(OutputExistsError, match="results.xlsx already exists; use --force"):
        write_workbook(results[:1], written)
    assert written.read_bytes() == before
    write_workbook(results[:1], written, force=True)
    assert len(read_workbook(written)["Images"]) == 1


def test_a_failure_while_writing_leaves_the_old_workbook_intact(results, written, monkeypatch):
    before = written.read_bytes()
    real_write_sheet = workbook_module._write_sheet

    def fail_on_the_cells_sheet(sheet, *args):
        real_write_sheet(sheet, *args)
        if sheet.title == "Cells":
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(workbook_module, "_write_sheet", fail_on_the_cells_sheet)
    with pytest.raises(CellCounterError, match="results.xlsx: No space left on device"):
        write_workbook(results, written, force=True)
    assert written.read_bytes() == before
    assert sorted(p.name for p in written.parent.iterdir()) == ["results.xlsx"]


def test_a_failure_while_saving_leaves_the_old_workbook_intact(results, written, monkeypatch):
    before = written.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "write", disk_full)
    with pytest.raises(CellCounterError, match="results.xlsx: No space left on device"):
        write_workbook(results, written, force=True)
    assert written.read_bytes() == before
    assert sorted(p.name for p in written.parent.iterdir()) == ["results.xlsx"]


@pytest.mark.parametrize(("max_rows", "lengths"), [
    (3, [2, 2, 1]),
    (5, [4, 1]),
    (6, [5]),
    (7, [5]),
])
def test_more_cells_than_a_sheet_holds_continue_on_further_sheets(results, tmp_path, monkeypatch, max_rows, lengths):
    monkeypatch.setattr(workbook_module, "MAX_ROWS", max_rows)
    sheets = read_workbook(write_workbook(results, tmp_path / "r.xlsx"))
    names = ["Cells", *(f"Cells {i}" for i in range(2, len(lengths) + 1))]
    assert list(sheets) == ["Images", *names, "Summary", "Info"]
    assert [len(sheets[name]) for name in names] == lengths


def _plate(n_images: int, n_cells: int) -> list[ImageResult]:
    rng = np.random.default_rng(0)
    results = []
    for i in range(n_images):
        cells = {col: rng.uniform(0, 500, n_cells) for col in CELL_COLUMNS}
        cells["cell_id"] = np.arange(1, n_cells + 1)
        results.append(ImageResult(Path(f"{i}.tif"), f"plate/{i}.tif", summary={"count": n_cells}, cells=cells))
    return results


def test_5000_cells_are_split_at_the_row_limit_in_order_with_the_sheet_formatting(tmp_path, monkeypatch):
    per_sheet, lengths = 2_000, [2_000, 2_000, 1_000]
    monkeypatch.setattr(workbook_module, "MAX_ROWS", per_sheet + 1)
    results = _plate(5, 1_000)
    path = write_workbook(results, tmp_path / "big.xlsx")
    sheets = read_workbook(path)
    names = ["Cells", *(f"Cells {i}" for i in range(2, len(lengths) + 1))]
    assert list(sheets) == ["Images", *names, "Summary", "Info"]
    assert [len(sheets[name]) for name in names] == lengths
    read = [row for name in names for row in sheets[name]]
    assert_same_table(_as_table(read), cell_rows(results)[1])
    book = load_workbook(path, read_only=False)
    for name in names:
        assert book[name].freeze_panes == "A2" and book[name]["B1"].font.b
        last = get_column_letter(len(sheets[name][0]))
        assert book[name].auto_filter.ref == f"A1:{last}{len(sheets[name]) + 1}"
        assert book[name]["C2"].number_format == "0.00"
    book.close()


def test_a_killed_write_leaves_nothing_in_the_system_temp_folder_and_the_next_write_cleans_up(tmp_path):
    import os
    import subprocess
    import sys

    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    script = (
        "import os, signal\n"
        "from pathlib import Path\n"
        "from openpyxl.writer.excel import ExcelWriter\n"
        "from cellcounter_app.export import write_workbook\n"
        "from cellcounter_app.results import ImageResult\n"
        "ExcelWriter.save = lambda self: os.kill(os.getpid(), signal.SIGKILL)\n"
        "write_workbook([ImageResult(Path('a.tif'), 'a.tif', summary={'count': 3})], Path(os.environ['TARGET']))\n"
    )
    env = {**os.environ, "TMPDIR": str(system_tmp), "TARGET": str(out / "results.xlsx")}
    code = subprocess.run([sys.executable, "-c", script], env=env, timeout=120).returncode
    assert code == -9
    assert list(system_tmp.iterdir()) == []
    assert [p.name for p in out.iterdir() if p.name.startswith(".results.xlsx.")]
    write_workbook([ImageResult(Path("b.tif"), "b.tif", summary={"count": 1})], out / "results.xlsx")
    assert [p.name for p in out.iterdir()] == ["results.xlsx"]
