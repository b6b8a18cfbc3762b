from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
import pytest
from scipy import ndimage as ndi

from cellcounter_app.errors import ModelError, ParameterError
from cellcounter_app.inference.predictor import CancelledError
from cellcounter_app.inference.tiling import plan_axis, predict_tiled

KERNEL = np.array([[0.05, 0.1, 0.05], [0.1, 0.4, 0.1], [0.05, 0.1, 0.05]], dtype=np.float32)


def _pointwise(multiple: int):
    def run(tile: np.ndarray) -> np.ndarray:
        assert tile.dtype == np.float32
        assert tile.shape[1] % multiple == 0 and tile.shape[2] % multiple == 0
        return np.tanh(tile[0] - 0.5 * tile[-1])

    return run


def _conv3x3(tile: np.ndarray) -> np.ndarray:
    """A 3x3 'network' with zero padding, like a Conv layer."""
    return ndi.correlate(tile[0], KERNEL, mode="constant")


@pytest.mark.parametrize(
    ("length", "tile", "overlap", "multiple"),
    [(1000, 512, 64, 16), (513, 512, 64, 16), (5000, 512, 64, 16), (100, 32, 15, 1), (97, 48, 0, 16), (60, 17, 8, 1)],
)
def test_axis_plan_covers_with_partition_of_unity(length, tile, overlap, multiple):
    spans = plan_axis(length, tile, overlap, multiple)
    total = np.zeros(length)
    for span in spans:
        assert span.size <= tile and span.size % multiple == 0 and span.stop - span.start == span.size
        total[span.start:span.stop] += span.weight
    np.testing.assert_allclose(total, 1.0, atol=1e-6)
    assert spans[0].start == 0 and spans[-1].stop == length
    for left, right in itertools.pairwise(spans):
        assert left.stop - right.start >= overlap
        quarter = overlap // 4
        if quarter:  # tile borders carry no weight
            assert not right.weight[:quarter].any() and not left.weight[-quarter:].any()


def test_short_axis_is_one_padded_tile():
    (span,) = plan_axis(50, 512, 64, 16)
    assert (span.start, span.stop, span.size) == (0, 50, 64)
    assert (span.weight == 1).all()


@pytest.mark.parametrize("shape", [(2, 150, 170), (1, 1, 1), (1, 1, 37), (3, 29, 1), (1, 64, 64), (2, 131, 77)])
def test_pointwise_network_gives_the_untiled_result(shape):
    rng = np.random.default_rng(1)
    image = rng.normal(size=shape).astype(np.float32)
    out = predict_tiled(_pointwise(16), image, tile=48, overlap=12, multiple=16)
    assert out.shape == shape[1:] and out.dtype == np.float32
    np.testing.assert_allclose(out, np.tanh(image[0] - 0.5 * image[-1]), atol=1e-5)


def test_local_network_gives_the_untiled_result():
    image = np.random.default_rng(2).random((1, 200, 230), dtype=np.float32)
    out = predict_tiled(_conv3x3, image, tile=64, overlap=16, multiple=16)
    np.testing.assert_allclose(out, _conv3x3(image), atol=1e-5)


def test_padded_small_image_matches_away_from_the_padded_edge():
    image = np.random.default_rng(4).random((1, 37, 53), dtype=np.float32)
    out = predict_tiled(_conv3x3, image, tile=64, overlap=16, multiple=16)
    np.testing.assert_allclose(out[:-1, :-1], _conv3x3(image)[:-1, :-1], atol=1e-5)


def test_seams_blend_smoothly():
    calls = []

    def tile_index(tile: np.ndarray) -> np.ndarray:
        calls.append(tile.shape)
        return np.full(tile.shape[1:], float(len(calls) - 1), dtype=np.float32)

    image = np.zeros((1, 32, 300), dtype=np.uint8)
    out = predict_tiled(tile_index, image, tile=128, overlap=48, multiple=16)
    row = out[10]
    assert len(calls) == len(plan_axis(300, 128, 48, 16)) > 2
    assert row[0] == 0 and row[-1] == len(calls) - 1
    steps = np.diff(row)
    assert (steps >= 0).all()
    assert steps.max() < 0.1  # a raised-cosine ramp 24 px wide, no jump


def test_progress_is_reported_after_each_tile():
    seen: list[tuple[int, int]] = []
    image = np.zeros((1, 100, 100), dtype=np.float32)
    predict_tiled(_pointwise(1), image, tile=40, overlap=8, multiple=8, on_tile=lambda d, t: seen.append((d, t)))
    total = len(plan_axis(100, 40, 8, 8)) ** 2
    assert seen == [(i, total) for i in range(1, total + 1)]


def test_cancel_stops_between_tiles():
    runs = []

    def run(tile: np.ndarray) -> np.ndarray:
        runs.append(1)
        return tile[0]

    image = np.zeros((1, 100, 100), dtype=np.float32)
    with pytest.raises(CancelledError, match="after 2 of 9 tiles"):
        predict_tiled(run, image, tile=40, overlap=8, multiple=8, cancel=lambda: len(runs) >= 2)
    assert len(runs) == 2


def test_prepare_sees_raw_tiles():
    image = np.full((1, 20, 20), 200, dtype=np.uint8)
    seen = []

    def prepare(block: np.ndarray) -> np.ndarray:
        seen.append(block.dtype)
        return block / np.float32(100)

    out = predict_tiled(lambda t: t[0], image, tile=16, overlap=4, multiple=8, prepare=prepare)
    assert set(seen) == {np.dtype(np.uint8)}
    np.testing.assert_allclose(out, 2.0, atol=1e-6)


def test_wrong_output_shape_is_a_model_error():
    with pytest.raises(ModelError, match=r"returned shape \(8, 8\) for a 16x16 tile"):
        predict_tiled(lambda t: np.zeros((8, 8)), np.zeros((1, 10, 10)), tile=16, overlap=0, multiple=16)


@pytest.mark.parametrize(
    ("tile", "overlap", "multiple", "message"),
    [
        (64, 32, 16, r"overlap must be in \[0, 32\) for a 64-px tile, got 32"),
        (8, 0, 16, "tile must be at least multiple"),
        (64, 0, 0, "multiple must be >= 1, got 0"),
        (64.0, 0, 16, "tile must be an integer"),
    ],
)
def test_bad_geometry_is_refused(tile, overlap, multiple, message):
    with pytest.raises(ParameterError, match=message):
        predict_tiled(lambda t: t[0], np.zeros((1, 10, 10)), tile=tile, overlap=overlap, multiple=multiple)


def test_bad_image_is_refused():
    with pytest.raises(ParameterError, match=r"\(C, H, W\)"):
        predict_tiled(lambda t: t[0], np.zeros((10, 10)), tile=16, overlap=0, multiple=16)


def test_memory_stays_bounded_by_the_output():
    image = np.random.default_rng(5).integers(0, 4000, size=(1, 2048, 3072), dtype=np.uint16)
    tracemalloc.start()
    try:
        out = predict_tiled(lambda t: t[0] * 0.5, image, tile=256, overlap=32, multiple=16)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    tile_bytes = 256 * 256 * 4
    assert peak < out.nbytes + 16 * tile_bytes  # the output plus a handful of tile buffers


def test_a_very_large_image_is_blended_into_a_half_precision_map(monkeypatch):
    import cellcounter_app.inference.maps as maps

    monkeypatch.setattr(maps, "HALF_MAP_PIXELS", 10_000)
    image = np.random.default_rng(5).random((1, 200, 230), dtype=np.float32)
    out = predict_tiled(_conv3x3, image, tile=64, overlap=16, multiple=16)
    assert out.dtype == np.float16
    np.testing.assert_allclose(out, _conv3x3(image), atol=2e-3)  # float16 steps are 0.0005 below 1
