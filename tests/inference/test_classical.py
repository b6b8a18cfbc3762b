from __future__ import annotations


import numpy as np
import pytest
from scipy import ndimage as ndi
from skimage.filters import threshold_otsu

from cellcounter_app.errors import ParameterError
from cellcounter_app.inference import CancelledError, ClassicalModel, Predictor
from cellcounter_app.inference.classical import background, classical_probability, scaled_defaults
from cellcounter_app.inference.normalize import compute_stats


def _nuclei(shape=(300, 400), count=25, radius=10, seed=0, gradient=80.0, noise=6.0):
    """Bright disks on an uneven background with noise, and their centres."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    image = 40.0 + gradient * xx / shape[1]
    centres = []
    while len(centres) < count:
        c = rng.integers(radius + 2, np.array(shape) - radius - 2)
        if all(np.hypot(*(c - o)) > 2.5 * radius for o in centres):
            centres.append(c)
            image += rng.uniform(60, 150) * (((yy - c[0]) ** 2 + (xx - c[1]) ** 2) < radius**2)
    image += rng.normal(0, noise, shape)
    return np.clip(image, 0, 65535).astype(np.uint16), np.array(centres)


def test_meta_and_identity():
    model = ClassicalModel()
    assert isinstance(model, Predictor)
    assert (model.meta.name, model.meta.version, model.meta.output, model.meta.input_channels) == (
        "classical", "1", "sigmoid", 1,
    )
    assert (model.provider, model.sha256, model.path) == ("numpy", "", None)
    params = model.meta.default_params()
    assert (params.min_size, params.peak_min_distance, params.max_hole_size) == (30, 6, 50)


def test_defaults_scale_with_the_diameter():
    assert scaled_defaults(40.0) == {"min_size": 120, "peak_min_distance": 12, "max_hole_size": 200, "min_stain": 2.0}
    assert ClassicalModel(40).meta.diameter_px == 40.0
    with pytest.raises(ParameterError, match="diameter_px must be between 2 and 1000 px, got 0"):
        ClassicalModel(0)


def test_finds_every_nucleus_on_an_uneven_background():
    image, centres = _nuclei()
    probability = ClassicalModel().predict(image)
    assert probability.dtype == np.float32 and probability.shape == image.shape
    assert probability.min() >= 0 and probability.max() <= 1
    labels, count = ndi.label(probability > 0.5)
    assert count == len(centres)
    assert len(set(labels[tuple(centres.T)])) == len(centres)  # one object per nucleus
    assert (probability[tuple(centres.T)] > 0.6).all()


def test_half_probability_is_the_otsu_threshold():
    image, _ = _nuclei(seed=3)
    x = image.astype(np.float32) / 100
    probability = classical_probability(x)
    smooth = ndi.gaussian_filter(x, max(1.0, 20 / 12))
    signal = smooth - background(smooth, 20)
    np.testing.assert_array_equal(probability > 0.5, signal > threshold_otsu(signal))


def test_field_without_cells_stays_below_half():
    rng = np.random.default_rng(7)
    image = (300 + rng.normal(0, 10, (300, 400))).astype(np.uint16)
    probability = ClassicalModel().predict(image)
    _, count = ndi.label(ndi.binary_opening(probability > 0.5, iterations=2))
    assert count == 0


@pytest.mark.parametrize("value", [0.0, 12.0, np.nan])
def test_flat_image_gives_zeros(value):
    assert not ClassicalModel().predict(np.full((40, 50), value)).any()


def test_non_finite_pixels_and_colour_input():
    image, centres = _nuclei(shape=(120, 160), count=4)
    rgb = np.zeros((*image.shape, 3), dtype=np.float32)
    rgb[..., 2] = image
    rgb[0, :5, 2] = np.nan
    probability = ClassicalModel().predict(rgb)
    assert np.isfinite(probability).all()
    assert (probability[tuple(centres.T)] > 0.5).all()


@pytest.mark.parametrize("shape", [(1, 1), (1, 50), (37, 1), (7, 9)])
def test_tiny_images(shape):
    probability = ClassicalModel().predict(np.arange(np.prod(shape), dtype=np.uint8).reshape(shape))
    assert probability.shape == shape and np.isfinite(probability).all()


def test_background_is_smooth_and_ignores_cells():
    yy, xx = np.mgrid[:200, :260]
    ramp = 0.5 * xx.astype(np.float32)
    cells = 100.0 * (((yy - 100) ** 2 + (xx - 130) ** 2) < 100)
    estimate = background((ramp + cells).astype(np.float32), 20)
    assert estimate.shape == ramp.shape
    assert np.abs(estimate - ramp)[20:-20, 20:-20].max() < 10  # follows the ramp, not the cell


def test_progress_and_cancel():
    seen: list[tuple[int, int]] = []
    ClassicalModel().predict(np.zeros((10, 10)), on_tile=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 1)]
    with pytest.raises(CancelledError):
        ClassicalModel().predict(np.zeros((10, 10)), cancel=lambda: True)


def test_counts_a_typical_size_image():
    image, _ = _nuclei(shape=(1200, 1600), count=60, seed=4)
    probability = ClassicalModel().predict(image)
    assert probability.shape == image.shape and probability.dtype == np.float32


@pytest.mark.parametrize("shape, diameter", [((517, 389), 9.0), ((300, 401), 44.0), ((1200, 1600), 20.0)])
def test_smoothing_band_by_band_gives_the_whole_image_map(shape, diameter):
    """A very large image is smoothed a band of rows at a time (three passes): the map is the same."""
    image, _ = _nuclei(shape=shape, count=10, radius=max(2, int(diameter / 2)), seed=5)
    stats = compute_stats(image, ClassicalModel(diameter).meta.normalization)
    whole = classical_probability(image, diameter, prepare=stats.apply)
    banded = classical_probability(image, diameter, prepare=stats.apply, band_pixels=3000)
    np.testing.assert_allclose(banded, whole, atol=1e-6)
    assert np.array_equal(banded > 0.5, whole > 0.5)


def test_a_very_large_image_gets_a_half_precision_map(monkeypatch):
    import cellcounter_app.inference.maps as maps

    image, _ = _nuclei(shape=(300, 400), count=12, seed=6)
    full = ClassicalModel().predict(image)
    monkeypatch.setattr(maps, "HALF_MAP_PIXELS", 100_000)
    half = ClassicalModel().predict(image)
    assert (full.dtype, half.dtype) == (np.float32, np.float16)
    np.testing.assert_allclose(half, full, atol=6e-4)
