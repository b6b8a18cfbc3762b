"""Augmentation: image and labels move together, ids survive, colours and intensities vary."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from cellcounter_app.errors import ParameterError
from cellcounter_app.training.augment import AugmentConfig, Augmenter, displacement_field

OFF = AugmentConfig.off()
GEOMETRIC = {
    "flip": OFF.replace(p_flip=1.0),
    "rot90": OFF.replace(rot90=True),
    "rotate": OFF.replace(p_rotate=1.0, max_angle=40.0),
    "zoom_in": OFF.replace(p_scale=1.0, scale_range=(1.3, 1.4)),
    "zoom_out": OFF.replace(p_scale=1.0, scale_range=(0.7, 0.75)),
    "elastic": OFF.replace(p_elastic=1.0, elastic_alpha=3.0, elastic_sigma=24.0),
    "all": AugmentConfig(),
}


def label_scene(shape=(96, 96), seed=0) -> np.ndarray:
    """Discs of many ids in an irregular layout, some touching, none overlapping or cut by the edge.

    (Overlaps and edges would leave one-pixel slivers, which nearest-neighbour
    resampling may skip while bilinear resampling blends them in.)
    """
    rng = np.random.default_rng(seed)
    labels = np.zeros(shape, np.int32)
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    placed: list[tuple[float, float, float]] = []
    while len(placed) < 24:
        radius = rng.uniform(3, 8)
        r, c = rng.uniform(radius + 2, shape[0] - radius - 2), rng.uniform(radius + 2, shape[1] - radius - 2)
        if all(np.hypot(r - r2, c - c2) >= radius + radius2 for r2, c2, radius2 in placed):
            placed.append((r, c, radius))
            labels[(rows - r) ** 2 + (cols - c) ** 2 <= radius**2] = len(placed)
    return labels


def assert_aligned(image: np.ndarray, labels: np.ndarray) -> None:
    """Where a label is flat over its 5x5 neighbourhood (inside the crop), the image channel equals the id."""
    flat = ((ndi.maximum_filter(labels, 5, mode="constant", cval=-1) == labels)
            & (ndi.minimum_filter(labels, 5, mode="constant", cval=-1) == labels) & (labels > 0))
    assert flat.sum() > 100
    np.testing.assert_allclose(image[0][flat], labels[flat], atol=0.5)


@pytest.mark.parametrize("name", sorted(GEOMETRIC))
def test_geometry_moves_image_and_labels_together(name):
    labels = label_scene()
    image = np.stack([labels.astype(np.float32)] * 3)
    config = GEOMETRIC[name].replace(p_colour=0.0, p_channel_shuffle=0.0, p_blur=0.0, p_intensity=0.0, p_noise=0.0)
    augment = Augmenter(config, seed=1)
    for _ in range(5):
        out_image, out_labels = augment(image, labels)
        assert out_image.shape == image.shape and out_labels.shape == labels.shape
        assert out_labels.dtype == labels.dtype and out_image.dtype == np.float32
        assert out_image.flags.c_contiguous and out_labels.flags.c_contiguous
        assert set(np.unique(out_labels)) <= set(np.unique(labels))
        assert_aligned(out_image, out_labels)


def test_geometry_changes_something_and_zoom_changes_size():
    labels = label_scene()
    image = labels[None].astype(np.float32)
    for name in ("rotate", "zoom_in", "elastic"):
        _, out = Augmenter(GEOMETRIC[name], seed=0)(image, labels)
        assert not np.array_equal(out, labels), name
    disc = np.zeros((96, 96), np.int32)
    rows, cols = np.mgrid[:96, :96]
    disc[(rows - 47.5) ** 2 + (cols - 47.5) ** 2 <= 100] = 1
    _, bigger = Augmenter(GEOMETRIC["zoom_in"], seed=0)(disc[None].astype(np.float32), disc)
    _, smaller = Augmenter(GEOMETRIC["zoom_out"], seed=0)(disc[None].astype(np.float32), disc)
    area = np.count_nonzero(disc)
    assert 1.6 * area < np.count_nonzero(bigger) < 2.1 * area
    assert 0.45 * area < np.count_nonzero(smaller) < 0.6 * area


def test_labels_are_never_interpolated_at_touching_borders():
    labels = np.zeros((64, 64), np.uint16)
    labels[10:50, 10:30], labels[10:50, 30:50] = 3, 7
    image = labels[None].astype(np.float32)
    _, out = Augmenter(GEOMETRIC["all"].replace(p_rotate=1.0, p_elastic=1.0), seed=3)(image, labels)
    assert set(np.unique(out)) <= {0, 3, 7} and out.dtype == np.uint16


def test_off_changes_nothing_and_seed_repeats():
    labels = label_scene(seed=2)
    image = np.random.default_rng(0).random((3, 96, 96), dtype=np.float32)
    same_image, same_labels = Augmenter(OFF, seed=0)(image, labels)
    np.testing.assert_array_equal(same_image, image)
    np.testing.assert_array_equal(same_labels, labels)
    first = Augmenter(AugmentConfig(), seed=11)(image, labels)
    second = Augmenter(AugmentConfig(), seed=11)(image, labels)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_recolouring_puts_grey_signal_into_the_chosen_stain_channels():
    labels = label_scene()
    grey = (labels > 0).astype(np.float32) * 0.8 + 0.05
    image = np.stack([grey] * 3)
    config = OFF.replace(p_colour=1.0, colours=("blue",), crosstalk=(0.0, 0.0))
    out, _ = Augmenter(config, seed=4)(image, labels)
    cells, background = labels > 0, labels == 0
    contrast = out[:, cells].mean(axis=1) - out[:, background].mean(axis=1)
    assert contrast[2] > 0.8 and max(abs(contrast[0]), abs(contrast[1])) < 0.05
    low, high = np.percentile(out[2], [1, 99.8])
    assert abs(low) < 0.05 and abs(high - 1.0) < 0.05


def test_colour_changes_leave_grey_input_alone():
    labels = label_scene()
    image = (labels > 0)[None].astype(np.float32)
    out, _ = Augmenter(OFF.replace(p_colour=1.0, p_channel_shuffle=1.0), seed=0)(image, labels)
    np.testing.assert_array_equal(out, image)


def test_intensity_changes_keep_labels_and_alter_pixels():
    labels = label_scene()
    image = np.stack([(labels > 0).astype(np.float32)] * 3)
    config = OFF.replace(p_blur=1.0, p_intensity=1.0, p_noise=1.0, noise_std=(0.05, 0.05))
    out_image, out_labels = Augmenter(config, seed=0)(image, labels)
    np.testing.assert_array_equal(out_labels, labels)
    assert not np.allclose(out_image, image)
    assert out_image[:, labels > 0].mean() > out_image[:, labels == 0].mean() + 0.3


def test_non_square_crops_keep_their_shape():
    labels = label_scene(shape=(48, 80))
    out_image, out_labels = Augmenter(AugmentConfig(), seed=0)(labels[None].astype(np.float32), labels)
    for _ in range(6):
        out_image, out_labels = Augmenter(AugmentConfig(), seed=_)(labels[None].astype(np.float32), labels)
        assert out_image.shape == (1, 48, 80) and out_labels.shape == (48, 80)


def test_displacement_field_is_smooth_and_sized_by_alpha():
    field = displacement_field((128, 128), 4.0, 24.0, np.random.default_rng(0))
    assert field.shape == (2, 128, 128) and field.dtype == np.float32
    assert 1.0 < field.std() < 8.0
    assert np.abs(np.diff(field, axis=1)).max() < 2.0


@pytest.mark.parametrize("changes, message", [
    ({"p_noise": -0.1}, "p_noise must be a probability"),
    ({"scale_range": (1.4, 0.7)}, "scale_range must be a range"),
    ({"gamma": (0.0, 1.0)}, "gamma must be positive"),
    ({"colours": ("purple",)}, "colours must be"),
    ({"max_angle": 270.0}, "max_angle must be in"),
])
def test_bad_configuration_is_refused(changes, message):
    with pytest.raises(ParameterError, match=message):
        AugmentConfig(**changes)


def test_mismatched_inputs_are_refused():
    with pytest.raises(ParameterError, match="need a"):
        Augmenter()(np.zeros((1, 8, 8), np.float32), np.zeros((8, 9), np.int32))
