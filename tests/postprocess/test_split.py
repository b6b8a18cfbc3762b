"""Tests of the touching-cell split, on synthetic discs and ellipses."""

from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.postprocess import split_touching


def disc(shape: tuple[int, int], centre: tuple[float, float], radius: float) -> np.ndarray:
    rows, cols = np.indices(shape)
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2


def ellipse(shape: tuple[int, int], semi_axes: tuple[float, float], angle_deg: float) -> np.ndarray:
    rows, cols = np.indices(shape)
    centre_row, centre_col = shape[0] / 2 + 0.3, shape[1] / 2 + 0.3
    angle = np.deg2rad(angle_deg)
    u = (cols - centre_col) * np.cos(angle) + (rows - centre_row) * np.sin(angle)
    v = -(cols - centre_col) * np.sin(angle) + (rows - centre_row) * np.cos(angle)
    return (u / semi_axes[0]) ** 2 + (v / semi_axes[1]) ** 2 <= 1


@pytest.mark.parametrize("radius, overlap", [(10, 0.85), (15, 0.9), (15, 0.75), (20, 0.95)])
def test_two_touching_discs_become_two_objects(radius, overlap):
    gap = 2 * radius * overlap
    shape = (4 * radius, int(4 * radius + gap))
    pair = disc(shape, (2 * radius, 2 * radius), radius) | disc(shape, (2 * radius, 2 * radius + gap), radius)
    labels = split_touching(pair, peak_min_distance=radius // 2, min_size=20)
    assert labels.dtype == np.int32
    assert labels.max() == 2
    assert np.array_equal(labels > 0, pair)
    left, right = labels[2 * radius, 2 * radius], labels[2 * radius, int(2 * radius + gap)]
    assert {left, right} == {1, 2}
    assert abs(int((labels == 1).sum()) - int((labels == 2).sum())) < 0.1 * pair.sum()


def test_a_single_disc_stays_one_object():
    labels = split_touching(disc((50, 50), (25, 25), 18), peak_min_distance=2)
    assert labels.max() == 1


@pytest.mark.parametrize("minor", [5, 8, 12, 20])
@pytest.mark.parametrize("angle", [0, 17, 45, 90])
def test_an_ellipse_of_aspect_1_5_is_not_split_even_with_small_peak_distance(minor, angle):
    mask = ellipse((int(7 * minor), int(7 * minor)), (1.5 * minor, minor), angle)
    for distance in range(1, minor):
        assert split_touching(mask, peak_min_distance=distance).max() == 1


def test_peak_min_distance_larger_than_the_seed_spacing_prevents_the_split():
    shape = (40, 60)
    pair = disc(shape, (20, 20), 10) | disc(shape, (20, 38), 10)
    assert split_touching(pair, peak_min_distance=10).max() == 2
    assert split_touching(pair, peak_min_distance=18).max() == 1


def test_fragments_below_min_size_are_merged_and_no_pixel_is_lost():
    shape = (50, 70)
    big = disc(shape, (25, 25), 15)
    small = disc(shape, (25, 45), 6)
    pair = big | small
    assert split_touching(pair, peak_min_distance=5, min_size=20).max() == 2
    merged = split_touching(pair, peak_min_distance=5, min_size=int(small.sum()) + 40)
    assert merged.max() == 1
    assert np.array_equal(merged > 0, pair)


def test_objects_smaller_than_twice_min_size_are_not_split():
    shape = (40, 60)
    pair = disc(shape, (20, 20), 10) | disc(shape, (20, 38), 10)
    assert split_touching(pair, peak_min_distance=5, min_size=int(pair.sum()) // 2 + 1).max() == 1


def test_a_row_of_three_discs_becomes_three_objects_with_unique_ids():
    shape = (40, 90)
    row = disc(shape, (20, 20), 10) | disc(shape, (20, 38), 10) | disc(shape, (20, 56), 10)
    row |= disc(shape, (5, 80), 3)  # an unrelated small object keeps its own id
    labels = split_touching(row, peak_min_distance=6)
    assert sorted(np.unique(labels).tolist()) == [0, 1, 2, 3, 4]
    assert len({labels[20, 20], labels[20, 38], labels[20, 56]}) == 3


def test_label_input_objects_are_split_separately():
    shape = (40, 60)
    labels = np.zeros(shape, dtype=np.uint16)
    labels[disc(shape, (20, 20), 10)] = 7
    labels[disc(shape, (20, 38), 10) & (labels == 0)] = 9  # touching, already separate
    split = split_touching(labels, peak_min_distance=5)
    assert split.max() == 2
    assert np.array_equal(split > 0, labels > 0)


def test_split_is_deterministic():
    rng = np.random.default_rng(3)
    mask = np.zeros((120, 160), dtype=bool)
    for _ in range(25):
        mask |= disc(mask.shape, tuple(rng.uniform(0, 160, 2) * [0.75, 1.0]), rng.uniform(5, 14))
    first = split_touching(mask, peak_min_distance=5, min_size=30)
    assert np.array_equal(first, split_touching(mask.copy(), peak_min_distance=5, min_size=30))
    assert np.array_equal(first > 0, mask)


@pytest.mark.parametrize("bad", [0, -3, 1.5])
def test_split_rejects_bad_peak_distance(bad):
    with pytest.raises(ParameterError, match="peak_min_distance"):
        split_touching(np.ones((3, 3), dtype=bool), bad)


def test_split_of_empty_and_tiny_images():
    assert not split_touching(np.zeros((5, 5), dtype=bool), 1).any()
    assert split_touching(np.ones((1, 1), dtype=bool), 1).tolist() == [[1]]
