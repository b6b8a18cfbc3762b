"""Marker columns in the exported tables (workbook and CSV) — only when markers were scored."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from cellcounter_app.export import cell_rows, image_rows, write_csv
from cellcounter_app.markers import PositivityRule
from cellcounter_app.markers.counts import cell_columns, combinations, summary_values
from cellcounter_app.markers.rules import Positivity
from cellcounter_app.results import CELL_COLUMNS, STATUS_ERROR, ImageResult


def _result(name, positive, flag=""):
    n = len(positive)
    cells = {col: np.arange(n, dtype=float) for col in CELL_COLUMNS}
    cells["cell_id"] = np.arange(1, n + 1)
    measures = {"mean": np.linspace(10, 100, n), "corrected": np.linspace(0, 90, n)}
    positivity = Positivity(np.array(positive), 50.0 if not flag else float("nan"), "corrected", flag)
    cells.update(cell_columns("Cy3", measures, positivity))
    summary = {"count": n, **summary_values("Cy3", positivity)}
    return ImageResult(Path(name), name, summary=summary, cells=cells,
                       params={"Cy3_rule": PositivityRule().describe()})


def test_images_table_gets_the_counts_and_percentages_after_the_summary_columns():
    results = [_result("a.tif", [True, False, True, True]), _result("b.tif", [False] * 3, "one population"),
               ImageResult(Path("c.tif"), "c.tif", status=STATUS_ERROR, error="truncated")]
    header, rows = image_rows(results)
    start = header.index("height") + 1
    assert header[start:start + 6] == ["Cy3_positive", "Cy3_negative", "Cy3_percent_positive",
                                       "Cy3_threshold", "Cy3_separation", "Cy3_flag"]
    by_image = {row[0]: dict(zip(header, row)) for row in rows}
    a, b, c = by_image["a.tif"], by_image["b.tif"], by_image["c.tif"]
    assert (a["Cy3_positive"], a["Cy3_negative"], a["Cy3_percent_positive"], a["Cy3_flag"]) == (3, 1, 75.0, None)
    assert (b["Cy3_positive"], b["Cy3_threshold"], b["Cy3_flag"]) == (0, None, "one population")
    assert c["Cy3_positive"] is None and a["Cy3_rule"] == "mixture on corrected"


def test_cells_table_gets_the_marker_columns_in_order():
    header, rows = cell_rows([_result("a.tif", [True, False])])
    assert header[len(CELL_COLUMNS) + 1] == "manual"
    assert header[len(CELL_COLUMNS) + 2:] == [
        "Cy3_mean", "Cy3_median", "Cy3_integrated", "Cy3_background", "Cy3_background_sd",
        "Cy3_corrected", "Cy3_ratio", "Cy3_positive"]
    values = dict(zip(header, rows[0]))
    assert values["Cy3_mean"] == 10.0 and values["Cy3_positive"] is True and values["Cy3_median"] is None


def test_combinations_follow_the_marker_columns_in_the_images_table():
    result = _result("a.tif", [True, False])
    result.summary.update(summary_values("GFP", Positivity(np.array([True, True]), 1.0, "mean")))
    result.cells["GFP_mean"] = np.array([5.0, 6.0])
    result.cells["GFP_positive"] = np.array([True, True])
    result.summary.update(combinations({"Cy3": result.cells["Cy3_positive"], "GFP": result.cells["GFP_positive"]}))
    header, rows = image_rows([result])
    row = dict(zip(header, rows[0]))
    assert header.index("Cy3+GFP+") > header.index("GFP_flag")
    assert (row["Cy3+GFP+"], row["Cy3-GFP+"], row["Cy3-GFP+_percent"]) == (1, 1, 50.0)


def test_csv_has_the_same_marker_columns(tmp_path):
    write_csv([_result("a.tif", [True, False, True])], tmp_path)
    with open(tmp_path / "images.csv", newline="", encoding="utf-8") as file:
        image = next(csv.DictReader(file))
    with open(tmp_path / "cells.csv", newline="", encoding="utf-8") as file:
        cells = list(csv.DictReader(file))
    assert (image["Cy3_positive"], image["Cy3_percent_positive"]) == ("2", "66.66666666666667")
    assert [row["Cy3_positive"] for row in cells] == ["True", "False", "True"]
