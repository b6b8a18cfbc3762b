"""Post-processing a very large map window by window gives what the whole-image chain gives."""

from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.postprocess import PostprocessParams, postprocess
from cellcounter_app.postprocess.chain import _whole
from cellcounter_app.postprocess.tiled import TILED_PIXELS, postprocess_tiled, renumber_in_place


def field(shape=(1100, 1300), n=900, seed=0) -> np.ndarray:
    """A probability map of discs of 6-16 px radius, many touching, some with holes, plus speckle."""
    rng = np.random.default_rng(seed)
    probability = rng.uniform(0, 0.3, shape).astype(np.float32)
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    for y, x, r in zip(rng.uniform(-10, shape[0] + 10, n), rng.uniform(-10, shape[1] + 10, n), rng.uniform(6, 16, n)):
        window = (slice(max(int(y - r) - 1, 0), int(y + r) + 2), slice(max(int(x - r) - 1, 0), int(x + r) + 2))
        disc = (yy[window] - y) ** 2 + (xx[window] - x) ** 2 <= r * r
        probability[window][disc] = np.maximum(probability[window][disc], 0.9)
        if r > 13:
            hole = (yy[window] - y) ** 2 + (xx[window] - x) ** 2 <= 4
            probability[window][hole] = 0.1
    return probability


@pytest.mark.parametrize("params", [
    PostprocessParams(min_size=30, peak_min_distance=8),
    PostprocessParams(threshold=0.25, max_hole_size=79, min_size=94, peak_min_distance=10, grow=2,
                      border_min_fraction=0.25),
    PostprocessParams(min_size=30, peak_min_distance=8, exclude_border=True, border_margin=5, max_size=2000),
    PostprocessParams(min_size=30, split_touching=False, grow=4),
])
def test_window_by_window_equals_the_whole_map(params):
    probability = field()
    whole = _whole(probability, params)
    tiled = postprocess_tiled(probability, params, _whole, core=300)
    assert tiled.dtype == np.uint32 and whole.max() > 300
    assert np.array_equal(tiled, whole)


def test_only_very_large_maps_are_cut_into_windows(monkeypatch):
    import cellcounter_app.postprocess.chain as chain

    calls = []
    monkeypatch.setattr(chain, "postprocess_tiled", lambda *a, **k: calls.append(a) or np.zeros((1, 1), np.uint32))
    postprocess(np.zeros((100, 100), np.float32), PostprocessParams())
    assert calls == []
    big = np.lib.stride_tricks.as_strided(np.zeros(1, np.float32), (TILED_PIXELS // 1000 + 1, 1000), (0, 0))
    postprocess(big, PostprocessParams())
    assert len(calls) == 1


def test_renumbering_in_place_follows_the_raster_order_and_drops_what_is_asked():
    labels = np.array([[0, 7, 7, 3], [5, 0, 3, 3], [9, 9, 0, 5]], dtype=np.uint32)
    same = renumber_in_place(labels, 9, np.array([5]))
    assert same is labels
    assert labels.tolist() == [[0, 1, 1, 2], [0, 0, 2, 2], [3, 3, 0, 0]]


def test_a_half_precision_map_gives_the_cells_of_its_float32_map():
    """Very large maps are float16 (`cellcounter_app.inference.maps`); the windows see them as float32."""
    probability = field(seed=2)
    params = PostprocessParams(min_size=30, peak_min_distance=8)
    half = probability.astype(np.float16)
    tiled = postprocess_tiled(half, params, _whole, core=300)
    assert np.array_equal(tiled, _whole(half.astype(np.float32), params))
    assert np.array_equal(tiled, _whole(probability, params))  # this map has no value within 0.0005 of 0.5
