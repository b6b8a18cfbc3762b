from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.inference.metadata import Normalization
from cellcounter_app.inference.normalize import SAMPLE_PIXELS, compute_stats, normalize, subsample


def test_percentiles_map_to_zero_and_one():
    image = np.arange(200 * 50, dtype=np.uint16).reshape(200, 50)
    out = normalize(image, Normalization(low=1.0, high=99.0))
    lo, hi = np.percentile(image, [1.0, 99.0])
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, (image - lo) / (hi - lo), rtol=0, atol=1e-5)
    assert out.min() < 0 and out.max() > 1  # kept, not clipped


def test_clip_limits_to_unit_range():
    image = np.arange(1000, dtype=np.float32).reshape(20, 50)
    out = normalize(image, Normalization(low=10, high=90, clip=True))
    assert out.min() == 0.0 and out.max() == 1.0


def test_per_channel_and_joint_statistics():
    image = np.stack([np.linspace(0, 10, 400), np.linspace(100, 1000, 400)]).reshape(2, 20, 20)
    norm = Normalization(low=0, high=100)
    per_channel = normalize(image, norm, channel_axis=0)
    joint = normalize(image, Normalization(low=0, high=100, per_channel=False), channel_axis=0)
    np.testing.assert_allclose(per_channel.reshape(2, -1).min(axis=1), [0, 0], atol=1e-6)
    np.testing.assert_allclose(per_channel.reshape(2, -1).max(axis=1), [1, 1], atol=1e-6)
    np.testing.assert_allclose(joint, image / 1000, atol=1e-6)


def test_channels_last_axis():
    image = np.zeros((10, 10, 3), dtype=np.uint8)
    image[..., 1] = np.arange(100, dtype=np.uint8).reshape(10, 10) * 2
    image[..., 2] = 7
    out = normalize(image, Normalization(low=0, high=100), channel_axis=-1)
    assert out[..., 1].max() == pytest.approx(1.0)
    assert not out[..., 2].any()


def test_non_finite_pixels_count_as_lowest_finite_value():
    image = np.linspace(5, 15, 100, dtype=np.float32).reshape(10, 10)
    image[0, 1], image[2, 3], image[4, 5] = np.nan, np.inf, -np.inf
    out = normalize(image, Normalization(low=0, high=100))
    assert np.isfinite(out).all()
    assert out[0, 1] == out[2, 3] == out[4, 5] == out[0, 0]
    assert out[0, 0] == 0.0 and out.max() == pytest.approx(1.0)


@pytest.mark.parametrize("value", [0, 7.5, np.nan])
@pytest.mark.parametrize("kind", ["percentile", "scale", "none"])
def test_constant_and_all_nan_images_give_finite_output(value, kind):
    image = np.full((16, 12), value, dtype=np.float64)
    out = normalize(image, Normalization(kind=kind))
    assert np.isfinite(out).all()
    if kind == "percentile":
        assert not out.any()


def test_constant_integer_image_gives_zeros():
    assert not normalize(np.full((5, 6), 300, dtype=np.uint16), Normalization()).any()


def test_sparse_image_falls_back_to_maximum():
    image = np.zeros((300, 300), dtype=np.uint16)
    image[10:13, 10:13] = 1000  # 0.01% of the pixels: both percentiles are 0
    out = normalize(image, Normalization(low=1, high=99.8))
    assert out.max() == pytest.approx(1.0) and out.min() == 0.0


def test_scale_and_none_kinds():
    image = np.array([[0, 51, 255]], dtype=np.uint8)
    np.testing.assert_allclose(normalize(image, Normalization(kind="scale", divisor=255)), [[0, 0.2, 1]], atol=1e-7)
    np.testing.assert_array_equal(normalize(image, Normalization(kind="none")), image.astype(np.float32))


def test_bool_and_wide_dtypes():
    assert normalize(np.eye(4, dtype=bool), Normalization(low=0, high=100)).max() == 1.0
    image = 1e9 + np.arange(12, dtype=np.float64).reshape(3, 4)
    np.testing.assert_allclose(normalize(image, Normalization(low=0, high=100)), (image - 1e9) / 11, atol=1e-6)


def test_stats_apply_to_blocks_like_the_whole_image():
    rng = np.random.default_rng(3)
    image = rng.normal(100, 20, size=(2, 64, 80)).astype(np.float32)
    stats = compute_stats(image, Normalization(), channel_axis=0)
    whole = stats.apply(image)
    np.testing.assert_array_equal(stats.apply(image[:, 10:30, 5:77]), whole[:, 10:30, 5:77])
    np.testing.assert_array_equal(whole, normalize(image, Normalization(), channel_axis=0))


def test_large_image_statistics_come_from_a_subsample():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 60000, size=(2500, 2000), dtype=np.uint16)
    stats = compute_stats(image, Normalization(low=1, high=99))
    lo, hi = np.percentile(image, [1, 99])
    assert float(stats.offset) == pytest.approx(lo, rel=0.01)
    assert 1 / float(stats.scale) == pytest.approx(hi - lo, rel=0.01)


@pytest.mark.parametrize("shape", [(10_000, 10_000), (1, 10_000_000), (3, 5000, 5000)])
def test_subsample_is_a_bounded_view(shape):
    image = np.broadcast_to(np.zeros(1, dtype=np.uint16), shape)
    skip = 0 if len(shape) == 3 else None
    sample = subsample(image, skip)
    per_channel = sample.size // (shape[0] if skip == 0 else 1)
    assert SAMPLE_PIXELS // 2 <= per_channel <= SAMPLE_PIXELS
    assert np.shares_memory(sample, image)


def test_errors_state_the_problem():
    with pytest.raises(ParameterError, match="numeric"):
        normalize(np.zeros((3, 3), dtype=complex), Normalization())
    with pytest.raises(ParameterError, match="non-empty"):
        normalize(np.zeros((0, 3)), Normalization())
    with pytest.raises(ParameterError, match=r"channel_axis must be in \[-2, 1\].*got 2"):
        normalize(np.zeros((3, 3)), Normalization(), channel_axis=2)
    stats = compute_stats(np.zeros((2, 4, 4)), Normalization(), channel_axis=0)
    with pytest.raises(ParameterError, match="3 dimensions"):
        stats.apply(np.zeros((4, 4)))
