from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np
import pytest

from cellcounter_app.export import cell_rows, image_rows, summary_rows
from cellcounter_app.export.tables import clean, info_rows
from cellcounter_app.postprocess.params import PARAM_SPECS
from cellcounter_app.results import CELL_COLUMNS, ImageResult

PARAMS = [spec.name for spec in PARAM_SPECS]
IMAGE_HEADER = [
    "image", "status", "error", "count", "density_per_mm2", "area_fraction", "mean_area_px",
    "mean_area_um2", "pixel_size_um", "width", "height", "model", "model_version", "model_sha256",
    "provider", *PARAMS, "channel", "tile_size", "seconds", "timestamp",
]
SUMMARY_HEADER = [
    "group", "n_images", "n_counted", "n_failed", "total_count", "mean_count", "sd_count",
    "mean_density_per_mm2", "mean_area_px", "mean_area_um2", "n_calibrated",
]


def _by_image(results):
    header, rows = image_rows(results)
    return {row[0]: dict(zip(header, row)) for row in rows}


def test_image_header_has_every_parameter_in_spec_order_then_extra_keys_sorted(results):
    header, rows = image_rows(results)
    assert header == IMAGE_HEADER
    assert len(rows) == len(results)
    assert all(len(row) == len(header) for row in rows)


def test_image_rows_values(results):
    rows = _by_image(results)
    a = rows["day1/a.tif"]
    assert (a["status"], a["error"], a["count"]) == ("ok", None, 3)
    assert type(a["count"]) is int
    assert (a["density_per_mm2"], a["pixel_size_um"], a["width"], a["height"]) == (468.75, 0.5, 100, 80)
    assert type(a["width"]) is int
    assert (a["model"], a["model_version"], a["provider"]) == ("nuclei", "1.2.0", "CPUExecutionProvider")
    assert a["model_sha256"] == "ab" * 32
    assert (a["threshold"], a["min_size"], a["split_touching"]) == (0.825, 200, True)
    assert (a["tile_size"], a["channel"]) == (512, 0)
    assert (a["seconds"], a["timestamp"]) == (1.25, "2026-01-02T10:00:00+01:00")
    b = rows["day2/b.tif"]
    assert b["tile_size"] is None
    assert b["density_per_mm2"] is None and b["mean_area_um2"] is None and b["pixel_size_um"] is None


def test_failed_image_has_its_error_and_no_count(results):
    broken = _by_image(results)["day2/broken.tif"]
    assert (broken["status"], broken["error"], broken["count"]) == ("error", "truncated TIFF", None)
    assert broken["model"] == "nuclei"
    assert broken["threshold"] == 0.825


def test_no_nan_reaches_a_table(results):
    for header, rows in (image_rows(results), cell_rows(results), summary_rows(results)):
        for row in rows:
            assert not any(isinstance(v, float) and v != v for v in row), row


def test_cell_rows_one_row_per_cell_with_its_image(results):
    header, rows = cell_rows(results)
    assert header == ["image", *CELL_COLUMNS, "manual"]  # always there: False for every detected cell
    assert [dict(zip(header, row))["manual"] for row in rows] == [False] * 5
    assert [row[0] for row in rows] == ["day1/a.tif"] * 3 + ["day2/b.tif"] * 2
    assert [row[1] for row in rows] == [1, 2, 3, 1, 2]
    a = results[0].cells
    first = dict(zip(header, rows[0]))
    assert first["x"] == pytest.approx(a["x"][0])
    assert first["area_um2"] == pytest.approx(a["area_um2"][0])
    assert type(first["area_px"]) is int
    b_row = dict(zip(header, rows[3]))
    assert b_row["area_um2"] is None and b_row["feret_diameter_um"] is None
    assert b_row["area_px"] == results[1].cells["area_px"][0]


def test_cell_rows_leaves_missing_columns_empty_and_rejects_ragged_columns():
    r = ImageResult(Path("x.tif"), "x.tif", cells={"cell_id": np.array([1, 2]), "x": np.array([1.5, 2.5])})
    header, rows = cell_rows([r])
    values = dict(zip(header, rows[0]))
    assert rows[0][:3] == ["x.tif", 1, 1.5] and values.pop("manual") is False
    assert list(values.values())[3:] == [None] * (len(header) - 4)
    r.cells["y"] = np.array([1.0])
    with pytest.raises(ValueError, match="must all have 2 entries .* got 1"):
        cell_rows([r])


def test_summary_per_folder_and_all(results):
    header, rows = summary_rows(results)
    assert header == SUMMARY_HEADER
    table = {row[0]: dict(zip(header, row)) for row in rows}
    assert [row[0] for row in rows] == [".", "day1", "day2", "All"]
    top = table["."]
    assert (top["n_images"], top["n_counted"], top["n_failed"], top["total_count"]) == (1, 1, 0, 0)
    assert (top["mean_count"], top["sd_count"]) == (0.0, None)
    assert top["mean_density_per_mm2"] is None and top["mean_area_px"] is None
    day2 = table["day2"]
    assert (day2["n_images"], day2["n_counted"], day2["n_failed"], day2["total_count"]) == (2, 1, 1, 2)
    assert day2["mean_count"] == 2.0 and day2["mean_density_per_mm2"] is None
    assert (day2["mean_area_px"], day2["mean_area_um2"]) == (80.0, None)
    everything = table["All"]
    assert (everything["n_images"], everything["n_counted"], everything["n_failed"]) == (4, 3, 1)
    assert everything["total_count"] == 5
    assert everything["mean_count"] == pytest.approx(5 / 3)
    assert everything["sd_count"] == pytest.approx(statistics.stdev([3, 2, 0]))
    assert everything["mean_density_per_mm2"] == 468.75
    assert everything["mean_area_px"] == pytest.approx(90.0)
    assert everything["mean_area_um2"] == 25.0


def test_summary_custom_groups_and_empty_batch(results):
    header, rows = summary_rows(results, group_by=lambda r: "failed" if not r.ok else "fine")
    assert [(row[0], row[1]) for row in rows] == [("failed", 1), ("fine", 3), ("All", 4)]
    header, rows = summary_rows([])
    assert rows == [["All", 0, 0, 0, 0, None, None, None, None, None, 0]]


def test_info_rows_put_extra_info_first_then_totals(results):
    header, rows = info_rows(results, {"application": "CellCounter 0.1.0"})
    assert header == ["key", "value"]
    assert rows[0] == ["application", "CellCounter 0.1.0"]
    assert dict(rows[1:]) == {"images": 4, "images_counted": 3, "images_failed": 1, "cells": 5,
                              "models": "nuclei 1.2.0"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [(np.float32(0.5), 0.5), (np.int16(3), 3), (np.bool_(True), True), (float("inf"), None),
     (np.float64("nan"), None), ("txt", "txt"), (None, None), (Path("a/b"), "a/b")],
)
def test_clean(value, expected):
    out = clean(value)
    assert out == expected and type(out) is type(expected)
