"""The one size parameter: parsing, unit conversion, derived parameters, rescale round trip."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.inference.rescale import predict_at_scale, resize_image, resize_probability
from cellcounter_app.postprocess.params import PostprocessParams
from cellcounter_app.postprocess.size import SizeSetting, derive_params, scale_for


@pytest.mark.parametrize("text, value, unit", [
    ("12um", 12.0, "um"), ("12 µm", 12.0, "um"), ("7.5micron", 7.5, "um"), ("30px", 30.0, "px"),
    ("30", 30.0, "px"), ("auto", 0.0, "auto"), ("", 0.0, "model"), ("model", 0.0, "model"),
])
def test_parse(text, value, unit):
    setting = SizeSetting.parse(text)
    assert (setting.value, setting.unit) == (value, unit)
    assert SizeSetting.parse(setting.to_text()) == setting
    assert SizeSetting.from_dict(setting.to_dict()) == setting


@pytest.mark.parametrize("text", ["-3px", "abc", "12 furlongs", "0px", "1px", "5000px"])
def test_parse_rejects_bad_values_with_a_reason(text):
    with pytest.raises(ParameterError, match="diameter"):
        SizeSetting.parse(text)


def test_micrometres_convert_with_the_pixel_size():
    assert SizeSetting.parse("10um").diameter_px(0.5) == 20.0
    assert SizeSetting.parse("10um").diameter_px(0.25) == 40.0
    assert SizeSetting.parse("30px").diameter_px(0.5) == 30.0
    assert SizeSetting.parse("auto").diameter_px(0.5) is None
    with pytest.raises(ParameterError, match="no calibration"):
        SizeSetting.parse("10um").diameter_px(None)


def test_scale_brings_cells_to_the_model_size():
    assert scale_for(20.0, 40.0) == 0.5
    assert scale_for(20.0, 10.0) == 2.0
    assert scale_for(20.0, None) == 1.0
    assert scale_for(0.0, 10.0) == 1.0
    assert scale_for(20.0, 1000.0) == 1 / 16


def test_derived_parameters_scale_lengths_and_areas():
    base = PostprocessParams(threshold=0.6, min_size=100, max_hole_size=40, max_size=0,
                             peak_min_distance=8, border_margin=2)
    derived = derive_params(base, 0.5)
    assert derived.min_size == 400 and derived.max_hole_size == 160
    assert derived.peak_min_distance == 16 and derived.border_margin == 4
    assert derived.threshold == 0.6 and derived.max_size == 0
    assert derive_params(base, 4.0).peak_min_distance == 2
    assert derive_params(base, 100.0).peak_min_distance == 1  # clipped to the minimum
    user = derive_params(base, 0.5, {"min_size": 50})
    assert user.min_size == 50 and user.peak_min_distance == 16


def test_rescale_round_trip_keeps_positions_and_areas():
    rows, cols = np.mgrid[:200, :300]
    disc = ((rows - 80) ** 2 + (cols - 170) ** 2 <= 20**2).astype(np.float32)
    for scale in (0.5, 2.0, 0.37):
        small = resize_image(disc, scale)
        assert small.shape == (round(200 * scale), round(300 * scale))
        back = resize_probability(np.clip(small, 0, 1), disc.shape)
        assert back.shape == disc.shape
        mask = back >= 0.5
        assert abs(mask.sum() - disc.sum()) / disc.sum() < 0.05
        r, c = np.nonzero(mask)
        assert abs(r.mean() - 80) < 0.6 and abs(c.mean() - 170) < 0.6


class _Identity:
    """A predictor returning its (grey) input: the probability map is the image."""

    def __init__(self):
        self.shapes = []

    def predict(self, image, *, on_tile=None, cancel=None):
        self.shapes.append(image.shape)
        return np.asarray(image, np.float32)


def test_predict_at_scale_runs_the_network_on_fewer_pixels_and_maps_back():
    model = _Identity()
    image = np.zeros((400, 600), np.float32)
    image[100:140, 200:240] = 1.0
    out = predict_at_scale(model, image, 0.5)
    assert model.shapes == [(200, 300)]
    assert out.shape == image.shape
    assert math.isclose((out >= 0.5).sum(), 1600, rel_tol=0.05)
    predict_at_scale(model, image, 1.05)
    assert model.shapes[-1] == (400, 600)  # close enough to 1: no resize


@pytest.mark.parametrize("shape, scale", [((301, 257), 0.37), ((120, 97, 3), 0.5), ((64, 80), 2.3), ((50, 41), 1.0 / 3)])
def test_a_very_large_image_is_resized_band_by_band_with_the_same_values(shape, scale):
    """Above 25 Mpx the image and the map are resized a band of rows at a time (no whole float copy)."""
    rng = np.random.default_rng(3)
    image = (rng.random(shape) * 1000).astype(np.float32)
    image[5, :7] = np.nan
    whole = resize_image(image, scale)
    banded = resize_image(image, scale, band_pixels=500)
    np.testing.assert_array_equal(banded, whole)
    probability = rng.random(shape[:2]).astype(np.float32)
    target = (int(shape[0] / scale), int(shape[1] / scale))
    np.testing.assert_array_equal(resize_probability(probability, target, band_pixels=700),
                                  resize_probability(probability, target))


def test_resizing_to_a_very_large_map_gives_half_precision(monkeypatch):
    import cellcounter_app.inference.maps as maps
    import cellcounter_app.inference.rescale as rescale

    probability = np.random.default_rng(4).random((40, 50)).astype(np.float32)
    full = resize_probability(probability, (160, 200))
    monkeypatch.setattr(maps, "HALF_MAP_PIXELS", 10_000)
    monkeypatch.setattr(rescale, "HALF_MAP_PIXELS", 10_000)
    half = resize_probability(probability, (160, 200))
    assert (full.dtype, half.dtype) == (np.float32, np.float16)
    np.testing.assert_allclose(half, full, atol=6e-4)
