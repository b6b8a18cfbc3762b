from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from cellcounter_app.errors import CellCounterError
from cellcounter_app.export import read_workbook


def test_reads_any_workbook_as_rows_keyed_by_header(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "First"
    sheet.append(["a", "b", "c"])
    sheet.append([1, None, "x"])
    sheet.append([2.5])
    book.create_sheet("Empty")
    path = tmp_path / "book.xlsx"
    book.save(path)
    assert read_workbook(path) == {
        "First": [{"a": 1, "b": None, "c": "x"}, {"a": 2.5, "b": None, "c": None}],
        "Empty": [],
    }


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CellCounterError, match="nope.xlsx: no such file"):
        read_workbook(tmp_path / "nope.xlsx")


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04broken"])
def test_a_file_that_is_not_a_workbook_is_named(tmp_path, content):
    path = Path(tmp_path / "fake.xlsx")
    path.write_bytes(content)
    with pytest.raises(CellCounterError, match="fake.xlsx: not an Excel workbook"):
        read_workbook(path)
