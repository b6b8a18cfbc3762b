"""Acquisition augmentation: uneven background, saturation and photon noise, as other microscopes give them."""

from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.training.augment import AugmentConfig, Augmenter, background_field
from cellcounter_app.training.config import TrainConfig
from cellcounter_app.training.loop import _augment_config
from cellcounter_app.training.recipes import RECIPES

OFF = AugmentConfig.off()


def cells(shape=(96, 96), brightness=None) -> tuple[np.ndarray, np.ndarray]:
    """Nine square cells on a dark background; cell ``i`` has ``brightness[i]`` (all 1 by default)."""
    labels = np.zeros(shape, np.int32)
    image = np.zeros((1, *shape), np.float32)
    levels = np.ones(9) if brightness is None else np.asarray(brightness, float)
    for i in range(9):
        y, x = 8 + 30 * (i // 3), 8 + 30 * (i % 3)
        labels[y:y + 16, x:x + 16] = i + 1
        image[0, y:y + 16, x:x + 16] = levels[i]
    return image, labels


def test_uneven_background_is_smooth_renormalised_and_leaves_labels_alone():
    image, labels = cells()
    config = OFF.replace(p_background=1.0, background_level=(0.6, 0.6), background_scale=(32.0, 32.0))
    out, out_labels = Augmenter(config, seed=1)(image, labels)
    np.testing.assert_array_equal(out_labels, labels)
    background = out[0][labels == 0]
    assert background.std() > 0.03  # no longer flat
    assert np.abs(np.diff(out[0], axis=1))[:, :7].max() < 0.05  # and smooth (a strip of background)
    low, high = np.percentile(out, [1, 99.8])
    assert abs(low) < 0.02 and abs(high - 1.0) < 0.02  # normalised as inference normalises
    assert out[0][labels > 0].mean() > background.mean() + 0.2  # the cells still stand out


def test_saturation_gives_the_brightest_cells_one_flat_top():
    image, labels = cells(brightness=np.linspace(0.2, 1.0, 9))
    out, _ = Augmenter(OFF.replace(p_saturate=1.0, saturate_at=(0.5, 0.5)), seed=0)(image, labels)
    tops = np.array([out[0][labels == i].max() for i in range(1, 10)])
    assert np.sum(np.isclose(tops, tops.max(), atol=1e-4)) == 6  # brightness 0.5 ... 1.0 clip at 0.5
    assert tops[0] < tops[3]  # dimmer cells keep their order


def test_photon_noise_grows_as_the_exposure_dims():
    image, labels = cells()
    inside = labels > 0

    def spread(photons):
        config = OFF.replace(p_shot_noise=1.0, photons=(photons, photons))
        out, _ = Augmenter(config, seed=0)(image, labels)
        return float(out[0][inside].std() / out[0][inside].mean())

    dim, bright = spread(5.0), spread(500.0)
    assert dim > 3 * bright > 0  # Poisson: relative noise 1/sqrt(photons)
    assert dim == pytest.approx(1 / np.sqrt(5.0), rel=0.3)


def test_off_unless_asked_and_one_training_setting_turns_it_on():
    default = AugmentConfig()
    assert default.p_background == default.p_saturate == default.p_shot_noise == 0.0
    image, labels = cells()
    out, _ = Augmenter(OFF, seed=0)(image, labels)
    np.testing.assert_array_equal(out, image)
    config = _augment_config(TrainConfig(output_dir="unused", p_acquisition=0.4))
    assert (config.p_background, config.p_shot_noise, config.p_saturate) == (0.4, 0.4, 0.2)
    assert _augment_config(TrainConfig(output_dir="unused")).p_background == 0.0
    with pytest.raises(ParameterError, match="p_acquisition"):
        TrainConfig(output_dir="unused", p_acquisition=1.5)


@pytest.mark.parametrize("changes, message", [
    ({"p_shot_noise": 2.0}, "p_shot_noise must be a probability"),
    ({"photons": (0.0, 10.0)}, "photons must be positive"),
    ({"background_level": (0.5, 0.1)}, "background_level must be a range"),
])
def test_bad_acquisition_settings_are_refused(changes, message):
    with pytest.raises(ParameterError, match=message):
        AugmentConfig(**changes)


def test_background_field_spans_zero_to_one_and_varies_slowly():
    field = background_field((128, 96), 48.0, np.random.default_rng(3))
    assert field.shape == (128, 96) and field.dtype == np.float32
    assert float(field.min()) == 0.0 and float(field.max()) == 1.0
    assert np.abs(np.diff(field, axis=0)).max() < 0.15


def test_a_recipe_passes_its_acquisition_share_and_sets_to_training():
    recipe = RECIPES["nuclei"]
    values = recipe.train_config("unused")
    assert TrainConfig.from_dict(values).p_acquisition == recipe.p_acquisition
    assert "nuclei-dsb2018" in recipe.sets and "nuclei-mnfinder" in recipe.sets
