from __future__ import annotations

import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

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


def test_sheets_in_order_with_exact_headers(results, written):
    sheets = read_workbook(written)
    assert list(sheets) == ["Images", "Cells", "Summary", "Info"]
    assert list(sheets["Images"][0]) == image_rows(results)[0]
    assert list(sheets["Cells"][0]) == ["image", *CELL_COLUMNS]
    assert list(sheets["Summary"][0]) == summary_rows(results)[0]
    assert list(sheets["Info"][0]) == ["key", "value"]


def test_sheets_hold_the_tables(results, written):
    sheets = read_workbook(written)
    assert _as_table(sheets["Images"]) == image_rows(results)[1]
    assert _as_table(sheets["Cells"]) == cell_rows(results)[1]
    assert _as_table(sheets["Summary"]) == summary_rows(results)[1]


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
    r = ImageResult(Path("x"), "=SUM(A1)  ", status="error", error="bad\x00 <byte> & \"more\"")
    sheets = read_workbook(write_workbook([r], tmp_path / "t.xlsx"))
    row = sheets["Images"][0]
    assert row["image"] == "=SUM(A1)  "
    assert row["error"] == "bad\ufffd <byte> & \"more\""


def test_refuses_to_overwrite_without_force(results, written):
    before = written.read_bytes()
    with pytest.raises(OutputExistsError, match="results.xlsx already exists; use --force"):
        write_workbook(results[:1], written)
    assert written.read_bytes() == before
    write_workbook(results[:1], written, force=True)
    assert len(read_workbook(written)["Images"]) == 1


def test_a_failure_while_writing_leaves_the_old_workbook_intact(results, written, monkeypatch):
    before = written.read_bytes()

    def fail_half_way(stream, header, rows, *, selected):
        stream.write(b"<worksheet>")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(workbook_module, "_write_sheet", fail_half_way)
    with pytest.raises(CellCounterError, match="No space left on device"):
        write_workbook(results, written, force=True)
    assert written.read_bytes() == before
    assert sorted(p.name for p in written.parent.iterdir()) == ["results.xlsx"]


def test_more_cells_than_a_sheet_holds_continue_on_further_sheets(results, tmp_path, monkeypatch):
    monkeypatch.setattr(workbook_module, "MAX_ROWS", 3)
    sheets = read_workbook(write_workbook(results, tmp_path / "r.xlsx"))
    assert list(sheets) == ["Images", "Cells", "Cells 2", "Cells 3", "Summary", "Info"]
    assert [len(sheets[name]) for name in ("Cells", "Cells 2", "Cells 3")] == [2, 2, 1]


def test_an_empty_batch_writes_headers_only(tmp_path):
    sheets = read_workbook(write_workbook([], tmp_path / "empty.xlsx"))
    assert sheets["Images"] == [] and sheets["Cells"] == []
    assert sheets["Summary"][0]["group"] == "All"


def test_writing_100k_cells_takes_less_than_10_seconds(tmp_path):
    rng = np.random.default_rng(0)
    results = []
    for i in range(10):
        n = 10_000
        cells = {col: rng.uniform(0, 500, n) for col in CELL_COLUMNS}
        cells["cell_id"] = np.arange(1, n + 1)
        results.append(ImageResult(Path(f"{i}.tif"), f"plate/{i}.tif", summary={"count": n}, cells=cells))
    start = time.perf_counter()
    path = write_workbook(results, tmp_path / "big.xlsx")
    elapsed = time.perf_counter() - start
    assert elapsed < 10, f"took {elapsed:.1f} s"
    book = load_workbook(path, read_only=True)
    assert book["Cells"].max_row == 100_001
    book.close()
