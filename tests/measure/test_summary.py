"""Per-image summaries against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.measure import measure_cells, summarize
from cellcounter_app.results import SUMMARY_KEYS


@pytest.fixture
def two_cells() -> np.ndarray:
    labels = np.zeros((100, 200), dtype=np.int32)
    labels[10:20, 10:20] = 1  # 100 px, centroid (14.5, 14.5)
    labels[50:60, 150:170] = 2  # 200 px, centroid x 159.5, y 54.5
    return labels


def test_summary_of_a_calibrated_image(two_cells):
    summary = summarize(two_cells, measure_cells(two_cells), pixel_size_um=2.0)
    assert tuple(summary) == SUMMARY_KEYS
    assert summary["count"] == 2
    image_mm2 = 100 * 200 * 4.0 / 1e6
    assert summary["density_per_mm2"] == pytest.approx(2 / image_mm2)
    assert summary["area_fraction"] == pytest.approx(300 / 20000)
    assert summary["mean_area_px"] == 150.0
    assert summary["mean_area_um2"] == pytest.approx(600.0)
    assert summary["pixel_size_um"] == 2.0
    assert (summary["height"], summary["width"]) == (100, 200)


def test_uncalibrated_values_are_nan(two_cells):
    summary = summarize(two_cells, measure_cells(two_cells))
    assert math.isnan(summary["density_per_mm2"])
    assert math.isnan(summary["mean_area_um2"])
    assert math.isnan(summary["pixel_size_um"])
    assert summary["area_fraction"] == pytest.approx(0.015)


def test_region_mask_restricts_count_density_and_area_fraction(two_cells):
    region = np.zeros(two_cells.shape, dtype=bool)
    region[:, :100] = True  # holds cell 1 only
    region[10:14, 10:20] = False  # and cuts away 40 of its pixels, not its centroid
    summary = summarize(two_cells, measure_cells(two_cells), pixel_size_um=1.0, region_mask=region)
    region_px = 100 * 100 - 40
    assert summary["count"] == 1
    assert summary["density_per_mm2"] == pytest.approx(1 / (region_px / 1e6))
    assert summary["area_fraction"] == pytest.approx(60 / region_px)
    assert summary["mean_area_px"] == 100.0


def test_empty_image_and_empty_region(two_cells):
    empty = np.zeros((10, 10), dtype=np.int32)
    summary = summarize(empty, measure_cells(empty), pixel_size_um=0.5)
    assert summary["count"] == 0 and summary["density_per_mm2"] == 0.0 and summary["area_fraction"] == 0.0
    assert math.isnan(summary["mean_area_px"]) and math.isnan(summary["mean_area_um2"])
    nowhere = summarize(two_cells, measure_cells(two_cells), 1.0, np.zeros(two_cells.shape, dtype=bool))
    assert nowhere["count"] == 0
    assert math.isnan(nowhere["density_per_mm2"]) and math.isnan(nowhere["area_fraction"])


def test_rejects_wrong_inputs(two_cells):
    cells = measure_cells(two_cells)
    with pytest.raises(ParameterError, match="area_px"):
        summarize(two_cells, {"cell_id": cells["cell_id"]})
    with pytest.raises(ParameterError, match="same length"):
        summarize(two_cells, {**cells, "x": cells["x"][:1]})
    with pytest.raises(ParameterError, match="region_mask"):
        summarize(two_cells, cells, region_mask=np.ones((3, 3), dtype=bool))
    with pytest.raises(ParameterError, match="pixel_size_um"):
        summarize(two_cells, cells, pixel_size_um=float("nan"))
