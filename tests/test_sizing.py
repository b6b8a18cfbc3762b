"""Automatic diameter estimate and scale-aware counting through the pipeline."""

from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.inference import load_model
from cellcounter_app.io import LoadedImage
from cellcounter_app.pipeline import count_image
from cellcounter_app.postprocess.size import SizeSetting
from cellcounter_app.sizing import estimate_diameter


def nuclei(shape, diameter, spacing_factor=2.2, seed=0):
    """Bright discs of one diameter on a grid with jitter; returns (image, n)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    image = np.full(shape, 10.0)
    step = int(diameter * spacing_factor)
    n = 0
    for r in range(step // 2, shape[0] - step // 2, step):
        for c in range(step // 2, shape[1] - step // 2, step):
            rr, cc = r + rng.integers(-2, 3), c + rng.integers(-2, 3)
            image[(rows - rr) ** 2 + (cols - cc) ** 2 <= (diameter / 2) ** 2] = 150 + rng.normal(0, 10)
            n += 1
    image += rng.normal(0, 3, shape)
    return np.clip(image, 0, 255).astype(np.uint8), n


def loaded(image, pixel_size=None):
    from pathlib import Path

    return LoadedImage(path=Path("synthetic.tif"), data=image, channel_names=("",), pixel_size_um=pixel_size,
                       bit_depth=8, source_axes="YX", source_shape=image.shape, is_rgb=False)


@pytest.mark.parametrize("diameter", [10, 20, 44])
def test_estimate_is_close_to_the_true_diameter(diameter):
    image, _ = nuclei((400, 400), diameter)
    estimate = estimate_diameter(load_model("classical"), image)
    assert estimate.found
    assert abs(estimate.diameter_px - diameter) / diameter < 0.25
    assert 0 < estimate.confidence <= 1


def test_estimate_on_an_empty_image_finds_nothing():
    estimate = estimate_diameter(load_model("classical"), np.zeros((200, 200), np.uint8))
    assert not estimate.found and estimate.confidence == 0


@pytest.mark.parametrize("size", ["auto", "40px", "10um"])
def test_big_cells_are_counted_whole_at_the_right_scale(size):
    image, n = nuclei((480, 480), 40, spacing_factor=2.5)
    result = count_image(loaded(image, pixel_size=0.25), load_model("classical"), size=SizeSetting.parse(size))
    assert result.count == n
    assert result.params["scale"] == pytest.approx(0.5, rel=0.25)
    assert result.params["diameter"] == SizeSetting.parse(size).unit
    assert result.labels.shape == image.shape
    assert np.median(result.cells["equivalent_diameter_px"]) == pytest.approx(40, rel=0.1)


def test_micrometre_diameter_without_calibration_is_a_clear_error():
    from cellcounter_app.errors import ParameterError

    image, _ = nuclei((100, 100), 10)
    with pytest.raises(ParameterError, match="no calibration"):
        count_image(loaded(image), load_model("classical"), size=SizeSetting.parse("10um"))


def test_live_recount_reproduces_the_batch_count_of_a_shrunk_image():
    from cellcounter_app.pipeline import recount, resolve_size

    image, n = nuclei((480, 480), 40, spacing_factor=2.5)
    model = load_model("classical")
    result = count_image(loaded(image), model, size=SizeSetting.parse("40px"))
    decision = resolve_size(model, image, SizeSetting.parse("40px"), None)
    labels, _, summary = recount(result.probability, image, decision.params, scale=decision.scale)
    assert decision.scale == 0.5 and result.count == n == summary["count"]
    np.testing.assert_array_equal(labels, result.labels)


def test_when_no_two_scales_agree_the_roughly_agreeing_ones_win_over_fragments_of_model_size():
    from cellcounter_app.sizing import _consensus

    # measured on a 3-class network and a 38-px MNFinder field: at 4x and 2x the nuclei break into
    # fragments of the model's own size (22 px), at 1x, 0.5x and 0.25x the whole nuclei are seen
    implied = {4.0: 6.1, 2.0: 12.3, 1.0: 28.6, 0.5: 36.9, 0.25: 52.1, 0.125: float("nan")}
    counts = {4.0: 40, 2.0: 30, 1.0: 12, 0.5: 12, 0.25: 9, 0.125: 0}
    estimate = _consensus(implied, counts, model_d=22.2)
    assert estimate.diameter_px == pytest.approx(36.9)
    # clear agreement still decides first
    implied = {4.0: 5.5, 2.0: 11.1, 1.0: 20.0, 0.5: 21.0, 0.25: float("nan"), 0.125: float("nan")}
    assert _consensus(implied, counts, model_d=22.2).diameter_px == pytest.approx((20.0 * 21.0) ** 0.5)


def test_with_no_size_given_cells_of_another_magnification_are_counted_whole():
    model = load_model("nuclei", use_gpu=False, threads=1)
    image, n = nuclei((480, 480), 56)
    result = count_image(loaded(image), model)
    assert result.params["diameter"] == "auto"
    assert result.params["diameter_px"] == pytest.approx(56, rel=0.25)
    assert result.params["scale"] < 0.5
    assert result.summary["count"] == n


def test_with_no_size_given_cells_near_the_model_size_are_counted_at_its_own_scale():
    model = load_model("nuclei", use_gpu=False, threads=1)
    image, n = nuclei((300, 300), 22)
    result = count_image(loaded(image), model)
    assert result.params["scale"] == 1.0 and result.params["diameter_confidence"] >= 0.5
    assert result.summary["count"] == n
