"""Tests of the whole chain, `postprocess`, on synthetic probability maps."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from cellcounter_app.errors import ParameterError
from cellcounter_app.postprocess import (
    PostprocessParams,
    binarize,
    drop_border,
    fill_holes,
    grow_labels,
    postprocess,
    relabel,
    remove_small,
    split_touching,
)


def disc(shape: tuple[int, int], centre: tuple[float, float], radius: float) -> np.ndarray:
    rows, cols = np.indices(shape)
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2


def blobs(seed: int, shape: tuple[int, int] = (120, 160), count: int = 20) -> np.ndarray:
    """A smooth probability map of random, partly touching, partly hollow blobs."""
    rng = np.random.default_rng(seed)
    probability = np.zeros(shape)
    for _ in range(count):
        centre = rng.uniform(0, shape[0]), rng.uniform(0, shape[1])
        radius = rng.uniform(4, 14)
        distance = np.hypot(*(np.indices(shape) - np.array(centre)[:, None, None]))
        probability = np.maximum(probability, 1 / (1 + np.exp((distance - radius) / 1.5)))
        if rng.random() < 0.3:
            probability[distance < radius * rng.uniform(0.2, 0.5)] = 0.1
    return ndi.gaussian_filter(probability + rng.normal(0, 0.05, shape), 0.7)


def step_by_step(probability: np.ndarray, params: PostprocessParams) -> np.ndarray:
    """The chain written out with the public steps, in the documented order."""
    mask = fill_holes(binarize(probability, params.threshold), params.max_hole_size)
    if params.split_touching:
        labels = split_touching(mask, params.peak_min_distance, params.min_size)
    else:
        labels, _ = ndi.label(mask, structure=np.ones((3, 3)))
    labels = remove_small(grow_labels(labels, params.grow), params.min_size, params.max_size,
                          border_min_fraction=params.border_min_fraction)
    if params.exclude_border:
        labels = drop_border(labels, params.border_margin)
    return relabel(labels)


def test_two_touching_cells_and_one_lone_cell():
    shape = (60, 100)
    probability = np.zeros(shape)
    probability[disc(shape, (30, 20), 10) | disc(shape, (30, 38), 10)] = 0.9
    probability[disc(shape, (30, 75), 9)] = 0.8
    labels = postprocess(probability, PostprocessParams(min_size=50, peak_min_distance=8))
    assert labels.dtype == np.uint32 and labels.shape == shape
    assert labels.max() == 3
    assert labels[30, 20] == 1 and labels[30, 38] == 2 and labels[30, 75] == 3


@pytest.mark.parametrize("seed", range(12))
def test_chain_equals_the_steps_one_after_the_other(seed):
    rng = np.random.default_rng(100 + seed)
    params = PostprocessParams(
        threshold=float(rng.uniform(0.3, 0.7)),
        max_hole_size=int(rng.integers(0, 80)),
        min_size=int(rng.integers(0, 60)),
        split_touching=bool(seed % 4),
        peak_min_distance=int(rng.integers(1, 10)),
        exclude_border=bool(seed % 2),
        border_margin=int(rng.integers(0, 4)),
        grow=int(rng.integers(0, 3)) if seed % 5 else 0,
        border_min_fraction=float(rng.choice([1.0, 0.5, 0.1, 0.0])),
    )
    if seed % 3 == 0:
        params = params.replace(max_size=params.min_size + 300)
    probability = blobs(seed)
    assert np.array_equal(postprocess(probability, params), step_by_step(probability, params))


def test_a_cell_inside_the_hole_of_a_ring_joins_it_when_the_hole_is_filled():
    shape = (40, 40)
    probability = np.zeros(shape)
    probability[disc(shape, (20, 20), 12) & ~disc(shape, (20, 20), 6)] = 1.0
    probability[disc(shape, (20, 20), 2)] = 1.0
    params = PostprocessParams(min_size=0, split_touching=False)
    assert postprocess(probability, params.replace(max_hole_size=0)).max() == 2
    filled = postprocess(probability, params.replace(max_hole_size=500))
    assert filled.max() == 1 and filled[20, 20] == 1 and filled[20, 15] == 1
    assert np.array_equal(filled, step_by_step(probability, params.replace(max_hole_size=500)))


def test_ids_are_consecutive_in_raster_order_and_the_result_is_deterministic():
    probability = blobs(7, count=30)
    params = PostprocessParams(min_size=20, peak_min_distance=5)
    labels = postprocess(probability, params)
    ids = np.unique(labels)
    assert ids.tolist() == list(range(labels.max() + 1))
    first_pixels = [np.flatnonzero(labels.ravel() == i)[0] for i in ids[1:]]
    assert first_pixels == sorted(first_pixels)
    assert np.array_equal(labels, postprocess(probability.copy(), params))


def test_higher_threshold_never_adds_foreground_pixels():
    probability = blobs(11)
    params = PostprocessParams(max_hole_size=0, min_size=0, split_touching=False)
    previous = None
    for threshold in np.linspace(0.05, 0.95, 10):
        foreground = postprocess(probability, params.replace(threshold=float(threshold))) > 0
        if previous is not None:
            assert not (foreground & ~previous).any()
        previous = foreground


def test_size_filters_keep_only_cells_within_the_range():
    shape = (40, 120)
    probability = np.zeros(shape)
    for col, radius in ((15, 3), (45, 6), (85, 12)):
        probability[disc(shape, (20, col), radius)] = 1.0
    areas = [int(disc(shape, (20, 60), r).sum()) for r in (3, 6, 12)]
    params = PostprocessParams(min_size=areas[1], max_size=areas[1], split_touching=False)
    labels = postprocess(probability, params)
    assert labels.max() == 1 and labels[20, 45] == 1
    assert postprocess(probability, params.replace(max_size=0)).max() == 2


def test_border_cells_are_dropped_with_the_margin():
    shape = (50, 50)
    probability = np.zeros(shape)
    probability[disc(shape, (5, 25), 5)] = 1.0  # touches the top border
    probability[disc(shape, (25, 8), 5)] = 1.0  # 3 px from the left border
    probability[disc(shape, (30, 30), 5)] = 1.0
    params = PostprocessParams(min_size=10, exclude_border=True)
    assert postprocess(probability, params).max() == 2
    assert postprocess(probability, params.replace(border_margin=3)).max() == 1
    assert postprocess(probability, params.replace(exclude_border=False)).max() == 3


def test_a_nucleus_cut_by_the_border_needs_only_its_share_of_the_minimum_area():
    shape = (60, 60)
    probability = np.zeros(shape)
    probability[disc(shape, (30, -3), 10)] = 1.0  # a disc of 317 px², 110 px² of it in the image
    probability[disc(shape, (30, 35), 5)] = 1.0  # 81 px², inside the image
    probability[disc(shape, (12, 35), 10)] = 1.0  # 317 px², inside the image
    params = PostprocessParams(min_size=150, split_touching=False)
    labels = postprocess(probability, params)
    assert labels.max() == 1 and labels[12, 35] == 1
    kept = postprocess(probability, params.replace(border_min_fraction=0.5))
    assert kept.max() == 2 and kept[30, 0] > 0 and kept[30, 35] == 0
    assert postprocess(probability, params.replace(border_min_fraction=0.5, exclude_border=True)).max() == 1
    with pytest.raises(ParameterError, match="border_min_fraction must be between 0 and 1"):
        params.replace(border_min_fraction=1.5)


def test_all_zero_all_one_nan_and_one_pixel_maps():
    params = PostprocessParams(min_size=0)
    assert not postprocess(np.zeros((30, 40)), params).any()
    ones = postprocess(np.ones((30, 40), dtype=np.float32), params)
    assert ones.min() >= 1 and np.array_equal(np.unique(ones), np.arange(1, ones.max() + 1))
    assert not postprocess(np.ones((30, 40)), params.replace(exclude_border=True)).any()
    assert not postprocess(np.full((8, 8), np.nan), params).any()
    probability = np.where(disc((30, 30), (15, 15), 8), 0.9, np.nan)
    assert postprocess(probability, params).max() == 1
    assert postprocess(np.array([[0.7]]), params).tolist() == [[1]]
    assert postprocess(np.array([[0.3]]), params).tolist() == [[0]]


def test_rejects_wrong_inputs():
    with pytest.raises(ParameterError, match="PostprocessParams"):
        postprocess(np.zeros((4, 4)), {"threshold": 0.5})
    with pytest.raises(ParameterError, match="2-D"):
        postprocess(np.zeros((4, 4, 1)), PostprocessParams())
