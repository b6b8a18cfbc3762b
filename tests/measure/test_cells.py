"""Per-cell measurements against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage as ndi
from scipy.spatial import ConvexHull
from scipy.spatial.distance import pdist

from cellcounter_app.errors import ParameterError
from cellcounter_app.measure import measure_cells
from cellcounter_app.results import CELL_COLUMNS


def disc(shape: tuple[int, int], centre: tuple[float, float], radius: float) -> np.ndarray:
    rows, cols = np.indices(shape)
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2


def brute_force_feret(mask: np.ndarray) -> float:
    """Largest distance between two corners of the cell's pixels (via Qhull)."""
    rows, cols = np.nonzero(mask)
    corners = np.concatenate([np.stack((rows + dr, cols + dc), axis=1) for dr in (-0.5, 0.5) for dc in (-0.5, 0.5)])
    return float(pdist(corners[ConvexHull(corners).vertices]).max())


def test_columns_dtypes_and_order():
    labels = np.zeros((20, 20), dtype=np.uint16)
    labels[2:5, 2:5] = 9
    labels[10:12, 10:18] = 3
    cells = measure_cells(labels)
    assert tuple(cells) == CELL_COLUMNS
    assert cells["cell_id"].tolist() == [3, 9]
    assert cells["cell_id"].dtype == np.int64 and cells["area_px"].dtype == np.int64
    assert all(cells[name].dtype == np.float64 for name in CELL_COLUMNS if name not in ("cell_id", "area_px"))
    assert all(cells[name].shape == (2,) for name in CELL_COLUMNS)


def test_disc_area_diameters_and_eccentricity():
    radius = 20
    mask = disc((60, 60), (30, 30), radius)
    cells = measure_cells(mask.astype(np.int32))
    area = int(mask.sum())
    assert cells["area_px"][0] == area
    assert abs(area - math.pi * radius**2) / (math.pi * radius**2) < 0.01
    assert cells["equivalent_diameter_px"][0] == pytest.approx(2 * radius, rel=0.01)
    assert cells["feret_diameter_px"][0] == pytest.approx(2 * radius, rel=0.04)
    assert cells["feret_diameter_px"][0] >= cells["equivalent_diameter_px"][0]
    assert cells["eccentricity"][0] < 0.05
    assert (cells["x"][0], cells["y"][0]) == (30.0, 30.0)


def test_rectangle_feret_is_the_diagonal_and_x_is_the_column():
    labels = np.zeros((30, 40), dtype=np.int32)
    labels[5:11, 10:30] = 1  # 6 rows x 20 columns
    cells = measure_cells(labels)
    assert cells["area_px"][0] == 120
    assert cells["feret_diameter_px"][0] == pytest.approx(math.hypot(6, 20))
    assert cells["x"][0] == pytest.approx(19.5) and cells["y"][0] == pytest.approx(7.5)
    assert cells["eccentricity"][0] == pytest.approx(math.sqrt(1 - (6**2 - 1) / (20**2 - 1)))


def test_single_pixel_and_line_cells():
    labels = np.zeros((10, 10), dtype=np.int32)
    labels[2, 3] = 1
    labels[7, 1:9] = 2
    cells = measure_cells(labels)
    assert cells["feret_diameter_px"].tolist() == pytest.approx([math.sqrt(2), math.hypot(8, 1)])
    assert cells["eccentricity"].tolist() == [0.0, 1.0]
    assert cells["equivalent_diameter_px"][0] == pytest.approx(2 / math.sqrt(math.pi))


def test_feret_matches_brute_force_on_irregular_cells():
    rng = np.random.default_rng(0)
    mask = ndi.gaussian_filter(rng.random((60, 80)), 2.0) > 0.5
    labels, count = ndi.label(mask, structure=np.ones((3, 3)))
    assert count > 5
    cells = measure_cells(labels)
    expected = [brute_force_feret(labels == cell_id) for cell_id in cells["cell_id"]]
    assert cells["feret_diameter_px"] == pytest.approx(expected)


def test_eccentricity_agrees_with_scikit_image():
    from skimage.measure import regionprops

    rng = np.random.default_rng(1)
    labels, _ = ndi.label(ndi.gaussian_filter(rng.random((50, 50)), 2.5) > 0.5, structure=np.ones((3, 3)))
    cells = measure_cells(labels)
    expected = [region.eccentricity for region in regionprops(labels)]
    assert cells["eccentricity"] == pytest.approx(expected, abs=1e-9)


def test_micrometre_columns_with_pixel_size_half_a_micron():
    labels = np.zeros((20, 20), dtype=np.int32)
    labels[2:6, 2:7] = 1
    cells = measure_cells(labels, pixel_size_um=0.5)
    assert cells["area_um2"][0] == pytest.approx(20 * 0.25)
    assert cells["equivalent_diameter_um"][0] == pytest.approx(cells["equivalent_diameter_px"][0] * 0.5)
    assert cells["feret_diameter_um"][0] == pytest.approx(math.hypot(4, 5) * 0.5)


def test_micrometre_columns_are_nan_without_pixel_size():
    labels = np.ones((3, 3), dtype=np.int32)
    cells = measure_cells(labels)
    assert all(np.isnan(cells[name]).all() for name in ("area_um2", "equivalent_diameter_um", "feret_diameter_um"))


def test_intensity_mean_and_max_and_channel_maximum():
    labels = np.zeros((4, 4), dtype=np.int32)
    labels[0, :2] = 1
    labels[3, 3] = 2
    image = np.arange(16, dtype=np.uint16).reshape(4, 4)
    cells = measure_cells(labels, intensity=image)
    assert cells["mean_intensity"].tolist() == [0.5, 15.0]
    assert cells["max_intensity"].tolist() == [1.0, 15.0]
    rgb = np.stack([image, 100 - image, np.zeros_like(image)], axis=2)
    cells = measure_cells(labels, intensity=rgb)
    assert cells["mean_intensity"].tolist() == [99.5, 85.0]
    assert cells["max_intensity"].tolist() == [100.0, 85.0]
    assert np.isnan(measure_cells(labels)["mean_intensity"]).all()


def test_empty_label_image_gives_empty_columns():
    cells = measure_cells(np.zeros((5, 7), dtype=np.uint32), intensity=np.ones((5, 7)), pixel_size_um=1.0)
    assert tuple(cells) == CELL_COLUMNS
    assert all(cells[name].shape == (0,) for name in CELL_COLUMNS)
    assert cells["cell_id"].dtype == np.int64 and cells["x"].dtype == np.float64


def test_non_consecutive_and_huge_ids():
    labels = np.zeros((6, 6), dtype=np.uint32)
    labels[0, 0] = 4_000_000_000
    labels[5, 5] = 2
    assert measure_cells(labels)["cell_id"].tolist() == [2, 4_000_000_000]


def test_touching_cells_are_measured_apart():
    labels = np.zeros((10, 10), dtype=np.int32)
    labels[2:8, 2:5] = 1
    labels[2:8, 5:8] = 2
    cells = measure_cells(labels)
    assert cells["area_px"].tolist() == [18, 18]
    assert cells["feret_diameter_px"] == pytest.approx([math.hypot(6, 3)] * 2)


@pytest.mark.parametrize(
    "labels, intensity, pixel_size, match",
    [
        (np.zeros((3, 3)), None, None, "integer"),
        (np.zeros((3,), dtype=int), None, None, "2-D"),
        (-np.ones((3, 3), dtype=int), None, None, "negative"),
        (np.zeros((3, 3), dtype=int), np.zeros((3, 4)), None, "shape"),
        (np.zeros((3, 3), dtype=int), None, 0.0, "pixel_size_um"),
        (np.zeros((3, 3), dtype=int), None, -1.0, "pixel_size_um"),
    ],
)
def test_rejects_wrong_inputs(labels, intensity, pixel_size, match):
    with pytest.raises(ParameterError, match=match):
        measure_cells(labels, intensity, pixel_size)


def test_a_large_image_measured_a_few_rows_at_a_time_gives_the_same_cells(monkeypatch):
    """Cells are measured from their runs, a block of rows at a time (bounded memory on huge images)."""
    from skimage.measure import label as connected

    from cellcounter_app.measure import runs

    rng = np.random.default_rng(3)
    labels = connected(random_blobs(rng, (90, 70)))
    intensity = rng.integers(0, 4000, (90, 70, 3)).astype(np.uint16)
    at_once = measure_cells(labels, intensity, 0.4)
    monkeypatch.setattr(runs, "BLOCK_PIXELS", 150)  # two rows at a time: most cells span several blocks
    in_blocks = measure_cells(labels, intensity, 0.4)
    assert at_once["cell_id"].size > 5
    for name in at_once:
        assert np.allclose(in_blocks[name], at_once[name], rtol=1e-12, atol=1e-12), name


def random_blobs(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A mask of overlapping random ellipses (concave, touching shapes)."""
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    mask = np.zeros(shape, bool)
    for _ in range(25):
        cy, cx, ry, rx = rng.uniform(0, shape[0]), rng.uniform(0, shape[1]), rng.uniform(2, 9), rng.uniform(2, 9)
        mask |= ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
    return mask
