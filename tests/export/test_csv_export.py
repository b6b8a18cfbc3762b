from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cellcounter_app.export import (OutputExistsError, cell_rows, image_rows, read_workbook, summary_rows,
                                    write_csv, write_workbook)
from cellcounter_app.export.csv_export import table_to_csv
from cellcounter_app.results import STATUS_ERROR, ImageResult


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def _as_text(value: object) -> str:
    return "" if value is None else str(value)


def test_writes_three_files_with_the_sheets_columns_and_values(results, tmp_path):
    paths = write_csv(results, tmp_path)
    assert [p.name for p in paths] == ["images.csv", "cells.csv", "summary.csv"]
    sheets = read_workbook(write_workbook(results, tmp_path / "results.xlsx"))
    for path, sheet, table in zip(paths, ("Images", "Cells", "Summary"), (image_rows, cell_rows, summary_rows)):
        header, rows = _read_csv(path)
        assert header == list(sheets[sheet][0]) == table(results)[0]
        assert rows == [[_as_text(v) for v in row] for row in table(results)[1]], sheet
        assert len(rows) == len(sheets[sheet])


def test_failed_image_and_missing_values_are_empty_fields_never_nan(results, tmp_path):
    write_csv(results, tmp_path)
    header, rows = _read_csv(tmp_path / "images.csv")
    broken = dict(zip(header, rows[2]))
    assert (broken["image"], broken["status"], broken["error"], broken["count"]) == (
        "day2/broken.tif", "error", "truncated TIFF", "")
    for name in ("images.csv", "cells.csv", "summary.csv"):
        text = (tmp_path / name).read_text(encoding="utf-8").lower()
        assert "nan" not in text and "inf" not in text.replace("info", "")


def test_rfc4180_crlf_quotes_and_utf8(tmp_path):
    r = ImageResult(Path("x"), "Zellen µ/a,b.tif", status=STATUS_ERROR, error='bad "header"\nline 2')
    write_csv([r], tmp_path)
    raw = (tmp_path / "images.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") == 2 and raw.endswith(b"\r\n")
    assert '"Zellen µ/a,b.tif"'.encode("utf-8") in raw
    assert b'"bad ""header""\nline 2"' in raw
    header, rows = _read_csv(tmp_path / "images.csv")
    assert rows[0][:3] == ["Zellen µ/a,b.tif", "error", 'bad "header"\nline 2']


def test_floats_keep_full_precision():
    text = table_to_csv((["v", "w"], [[0.1 + 0.2, None], [1e-300, True]]))
    assert text == "v,w\r\n0.30000000000000004,\r\n1e-300,True\r\n"


def test_refuses_to_overwrite_any_of_the_files_without_force(results, tmp_path):
    (tmp_path / "summary.csv").write_text("old")
    with pytest.raises(OutputExistsError, match="summary.csv already exists"):
        write_csv(results, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.csv"]
    write_csv(results, tmp_path, force=True)
    assert (tmp_path / "summary.csv").read_text().startswith("group,")
