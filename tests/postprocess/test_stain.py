"""No phantom cells: a cell counts when it is clearly stained (signal over local background, in noise units)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.inference import load_model
from cellcounter_app.io import LoadedImage
from cellcounter_app.pipeline import count_image
from cellcounter_app.postprocess import PostprocessParams
from cellcounter_app.postprocess.size import SizeSetting
from cellcounter_app.measure import measure_cells
from cellcounter_app.postprocess.stain import cell_stain, drop_faint, noise_sigma, stain_filter
from cellcounter_app.sizing import estimate_diameter
from tests.synthetic_images import disc_image, grid_centres


def _loaded(data: np.ndarray) -> LoadedImage:
    return LoadedImage(Path("field.tif"), data, ("",), None, data.dtype.itemsize * 8, "YX", data.shape, False)


def _noise_fields():
    rng = np.random.default_rng(1)
    return {
        "gaussian": np.clip(rng.normal(400, 20, (256, 256)), 0, 65535).astype(np.uint16),
        "poisson": rng.poisson(30, (256, 256)).astype(np.uint16),
        "dim 8-bit": np.clip(rng.poisson(4, (256, 256)), 0, 255).astype(np.uint8),
    }


def test_the_noise_estimate_is_the_camera_noise_whatever_the_cells():
    image, _ = disc_image(shape=(256, 256), centres=grid_centres(30, (256, 256)), value=2000,
                          background=300, noise=12.0, dtype=np.uint16)
    assert noise_sigma(image) == pytest.approx(12.0, rel=0.15)
    assert noise_sigma(np.zeros((32, 32), np.uint8)) == 1.0
    assert noise_sigma(np.zeros((32, 32), np.float32) + 5.0) == 1.0  # whole numbers: one grey level


def test_a_stained_cell_stands_out_and_a_patch_of_noise_does_not():
    image, labels = disc_image(shape=(96, 96), centres=((30, 30),), value=60, background=20, noise=4.0,
                               dtype=np.float32)
    labels[60:75, 60:75] = 2  # a region of plain background
    stain = cell_stain(labels, image)
    assert stain[0] == pytest.approx(10.0, rel=0.2)
    assert abs(stain[1]) < 1.0
    kept = drop_faint(labels, image, 3.0)
    assert int(kept.max()) == 1 and kept[30, 30] == 1 and kept[65, 65] == 0
    assert drop_faint(labels, image, 0.0) is labels


def test_a_kept_cell_keeps_the_stain_it_was_kept_for():
    """Stain is measured once, among every object found: dropping a faint neighbour does not change it."""
    image, labels = disc_image(shape=(96, 96), centres=((30, 30), (30, 52), (70, 70)), value=60, background=20,
                               noise=4.0, dtype=np.float32)
    image[labels == 2] = 24.0  # a faint cell right next to the first one
    every = cell_stain(labels, image)
    kept, stain = stain_filter(labels, image, 3.0)
    assert int(kept.max()) == 2 and kept[70, 70] == 2
    assert stain.tolist() == [every[0], every[2]]
    assert np.all(stain >= 3.0)
    cells = measure_cells(kept, image, stain=stain)
    assert cells["stain"].tolist() == stain.tolist()
    assert stain_filter(labels, None, 3.0) == (labels, None)


def test_min_stain_is_a_bounded_parameter_with_a_calibrated_default():
    assert PostprocessParams().min_stain == 3.0
    with pytest.raises(ParameterError, match="min_stain must be between 0 and 1000"):
        PostprocessParams(min_stain=-1)


@pytest.mark.parametrize("name", ["nuclei", "cells", "classical"])
@pytest.mark.parametrize("size", ["model", "auto"])
def test_camera_noise_has_no_cells_at_the_defaults(name, size):
    model = load_model(name, use_gpu=False, threads=1)
    for field, data in _noise_fields().items():
        result = count_image(_loaded(data), model, size=SizeSetting.parse(size), keep_arrays=False)
        assert result.summary["count"] == 0, (name, size, field)


def test_without_the_floor_the_network_finds_phantoms_in_noise():
    # nuclei 2.1.0 (trained on photon noise too) finds none in these fields at its own threshold even
    # without the floor; a lower threshold, as a user might drag it to find dim cells, brings them back
    model = load_model("nuclei", use_gpu=False, threads=1)
    noise = _noise_fields()["gaussian"]
    result = count_image(_loaded(noise), model, {"min_stain": 0.0, "threshold": 0.05}, keep_arrays=False)
    assert result.summary["count"] > 0
    assert np.all(result.cells["stain"] < 2.5)
    floored = count_image(_loaded(noise), model, {"min_stain": 2.5, "threshold": 0.05}, keep_arrays=False)
    assert floored.summary["count"] == 0


def test_the_size_estimate_finds_no_size_in_noise_and_counting_falls_back_to_the_model_scale():
    model = load_model("nuclei", use_gpu=False, threads=1)
    estimate = estimate_diameter(model, _noise_fields()["poisson"])
    assert not estimate.found and estimate.confidence == 0.0
    result = count_image(_loaded(_noise_fields()["poisson"]), model, size=SizeSetting.parse("auto"))
    assert result.params["scale"] == 1.0 and result.params["diameter_confidence"] == 0.0


def test_real_looking_cells_keep_their_count_and_carry_their_stain():
    image, _ = disc_image(shape=(200, 200), centres=grid_centres(16, (200, 200), spacing=45), radius=10,
                          value=120, background=20, noise=6.0)
    for name in ("nuclei", "classical"):
        result = count_image(_loaded(image), load_model(name, use_gpu=False, threads=1),
                             size=SizeSetting(20.0, "px"), keep_arrays=False)
        assert result.summary["count"] == 16, name
        assert np.all(result.cells["stain"] > 10.0), name


def _haze(seed=0):
    """Nuclei blurred far past recognition (sigma 12 on 8-px nuclei) over a camera background."""
    from scipy import ndimage as ndi

    rng = np.random.default_rng(seed)
    field = np.zeros((384, 384), np.float32)
    field[tuple(rng.integers(0, 384, (2, 90)))] = 1.0
    blurred = ndi.gaussian_filter(ndi.gaussian_filter(field, 4.0) * 1e5, 12.0) + 300.0
    return np.clip(rng.poisson(blurred), 0, 65535).astype(np.uint16)


@pytest.mark.parametrize("name", ["nuclei", "cells", "classical"])
def test_what_is_found_in_an_out_of_focus_haze_is_flagged_for_checking(name):
    result = count_image(_loaded(_haze()), load_model(name, use_gpu=False, threads=1), keep_arrays=False)
    if result.summary["count"]:
        assert result.params["reliability"] == "check"
        assert "faint cells" in result.params["reliability_reasons"]
