"""Per-cell marker measures and the local background ring."""

from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.markers import MEASURE_COLUMNS, RingSettings, measure_markers, measures
from cellcounter_app.measure import measure_cells


def _square(labels, value, top, left, size):
    labels[top:top + size, left:left + size] = value


def test_mean_median_integrated_of_known_pixels():
    labels = np.zeros((30, 30), np.int32)
    _square(labels, 4, 5, 5, 4)
    image = np.full((30, 30), 10.0)
    image[5:9, 5:9] = np.arange(16).reshape(4, 4) + 100
    m = measure_markers(labels, image)
    assert tuple(m) == MEASURE_COLUMNS
    assert m["mean"][0] == pytest.approx(107.5)
    assert m["median"][0] == pytest.approx(107.5)
    assert m["integrated"][0] == pytest.approx(sum(range(100, 116)))
    assert m["background"][0] == 10.0 and m["background_sd"][0] == 0.0
    assert m["corrected"][0] == pytest.approx(97.5)
    assert m["ratio"][0] == pytest.approx(10.75)


def test_cells_come_in_the_order_of_the_cell_table():
    labels = np.zeros((40, 40), np.int32)
    _square(labels, 9, 2, 2, 5)
    _square(labels, 3, 20, 20, 5)
    image = np.zeros((40, 40))
    image[labels == 9] = 90.0
    image[labels == 3] = 30.0
    assert list(measure_cells(labels)["cell_id"]) == [3, 9]
    assert list(measure_markers(labels, image)["mean"]) == [30.0, 90.0]


def test_ring_ignores_the_pixels_of_other_cells():
    labels = np.zeros((40, 60), np.int32)
    _square(labels, 1, 15, 15, 8)
    _square(labels, 2, 15, 25, 8)  # a bright neighbour 2 px away
    image = np.full((40, 60), 20.0)
    image[labels == 1] = 50.0
    image[labels == 2] = 5000.0
    m = measure_markers(labels, image)
    assert m["background"][0] == 20.0
    assert m["corrected"][0] == 30.0


def test_ring_width_grows_with_the_cell():
    ring = RingSettings()
    inner, outer = ring.bounds(np.array([6.0, 20.0, 60.0]))
    assert list(outer - inner) == [3.0, 10.0, 30.0]
    labels = np.zeros((120, 120), np.int32)
    _square(labels, 1, 40, 40, 40)
    image = np.full((120, 120), 10.0)
    image[40:80, 40:80] = 100.0
    image[np.abs(np.mgrid[:120, :120] - 60).max(axis=0) > 32] = 30.0  # brighter from 14 px beyond the edge
    # a 40-px cell (45 px equivalent diameter) looks from 7 to 30 px beyond its edge: mostly the far field
    assert measure_markers(labels, image)["background"][0] == 30.0
    assert measure_markers(labels, image, RingSettings(width_factor=0.1))["background"][0] == 10.0


def test_uneven_background_is_removed_locally(marker_image):
    sample = marker_image(3, positive_fraction=0.0, dim=0.0, dim_sd=0.0, noise=2.0, gradient=600.0)
    m = measure_markers(sample.labels, sample.image[..., 1])
    assert np.ptp(m["mean"]) > 300  # raw means follow the gradient
    assert np.abs(m["corrected"]).max() < 0.1 * np.ptp(m["mean"])  # corrected values hardly do


def test_cells_without_room_for_a_ring_use_the_image_background():
    labels = np.zeros((30, 30), np.int32)
    labels[:, :10], labels[:, 10:20], labels[:, 20:29] = 1, 2, 3
    image = np.full((30, 30), 100.0)
    image[:, 29] = 7.0
    m = measure_markers(labels, image)
    assert list(m["background"]) == [7.0, 7.0, 7.0]


def test_non_finite_pixels_are_ignored_and_no_cells_give_empty_columns():
    labels = np.zeros((20, 20), np.int32)
    _square(labels, 1, 5, 5, 4)
    image = np.full((20, 20), 10.0)
    image[5:9, 5:9] = 40.0
    image[5, 5] = np.nan
    m = measure_markers(labels, image)
    assert m["mean"][0] == 40.0 and m["integrated"][0] == 40.0 * 15
    empty = measure_markers(np.zeros((5, 5), np.int32), np.ones((5, 5)))
    assert all(v.shape == (0,) for v in empty.values())


@pytest.mark.parametrize("labels, image, message", [
    (np.zeros((5, 5), np.int32), np.zeros((5, 6)), r"shape \(5, 5\), got \(5, 6\)"),
    (np.zeros((5, 5), float), np.zeros((5, 5)), "integer label image"),
    (np.full((5, 5), -1), np.zeros((5, 5)), "negative ids"),
    (np.zeros((5, 5), np.int32), np.zeros((5, 5), bool), "real numbers"),
])
def test_bad_inputs_are_refused(labels, image, message):
    with pytest.raises(ParameterError, match=message):
        measure_markers(labels, image)


def test_ring_settings_are_bounded():
    with pytest.raises(ParameterError, match="gap_factor must be between 0 and 2, got 3"):
        RingSettings(gap_factor=3)


def test_measuring_in_bands_of_rows_gives_the_whole_image_result(monkeypatch, marker_image):
    sample = marker_image(5, shape=(300, 120))
    whole = measure_markers(sample.labels, sample.image[..., 1])
    monkeypatch.setattr(measures, "_BAND_ROWS", 37)  # large images are searched a band at a time
    banded = measure_markers(sample.labels, sample.image[..., 1])
    for name in MEASURE_COLUMNS:
        np.testing.assert_array_equal(banded[name], whole[name])
