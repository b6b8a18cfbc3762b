"""The synthetic image generator: labels match the images, kinds, colours, seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage as ndi

from cellcounter_app.errors import ParameterError
from cellcounter_app.training.stains import STAIN_COLOURS, colourise, stain_weights
from cellcounter_app.training.synthetic import generate, generate_dataset
from cellcounter_app.training.synthetic_render import add_debris

SHAPE = (160, 160)


def ring_contrast(image: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per object: mean inside minus the median of a 1-4 px ring of background around it."""
    grey = image.max(axis=0)
    contrasts = []
    for index, box in enumerate(ndi.find_objects(labels), start=1):
        box = tuple(slice(max(s.start - 6, 0), s.stop + 6) for s in box)
        mask = labels[box] == index
        ring = ndi.binary_dilation(mask, iterations=4) & ~ndi.binary_dilation(mask) & (labels[box] == 0)
        if ring.sum() >= 5:
            contrasts.append(grey[box][mask].mean() - np.median(grey[box][ring]))
    return np.array(contrasts)


@pytest.mark.parametrize("kind", ["nuclei", "cells", "mixed"])
def test_every_labelled_object_is_brighter_than_its_surroundings(kind):
    for seed in range(6):
        image, labels = generate(seed, shape=SHAPE, kind=kind)
        assert image.dtype == np.float32 and labels.dtype == np.int32
        assert image.shape[1:] == labels.shape == SHAPE
        assert 0.0 <= image.min() and image.max() <= 1.0
        contrast = ring_contrast(image, labels)
        assert contrast.size > 0 and (contrast > 0).all(), (seed, contrast.min())
        grey = image.max(axis=0)
        assert grey[labels > 0].mean() > 1.5 * grey[labels == 0].mean()


@pytest.mark.parametrize("kind", ["nuclei", "cells", "mixed"])
def test_ids_are_consecutive_and_objects_connected(kind):
    for seed in range(4):
        _, labels = generate(seed, shape=SHAPE, kind=kind, touching_fraction=0.5)
        ids = np.unique(labels)
        assert ids.tolist() == list(range(int(labels.max()) + 1))
        for index, box in enumerate(ndi.find_objects(labels), start=1):
            assert ndi.label(labels[box] == index, structure=np.ones((3, 3)))[1] == 1


def test_count_follows_the_requested_density():
    diameter, shape = 16.0, (256, 256)
    per_object = math.pi / 4 * diameter**2
    for lo, hi in [(0.02, 0.04), (0.1, 0.2)]:
        for seed in range(3):
            _, labels = generate(seed, shape=shape, diameter_px=(diameter, diameter), density=(lo, hi),
                                 touching_fraction=0.0)
            assert 0.9 * lo * labels.size / per_object <= labels.max() <= hi * labels.size / per_object + 1


def test_touching_objects_share_a_border():
    _, labels = generate(3, shape=(256, 256), diameter_px=(16.0, 20.0), density=(0.15, 0.15),
                         touching_fraction=1.0)
    right = (labels[:, :-1] > 0) & (labels[:, 1:] > 0) & (labels[:, :-1] != labels[:, 1:])
    assert right.sum() > 20


def test_object_size_follows_the_diameter_range():
    _, labels = generate(1, shape=(256, 256), diameter_px=(20.0, 20.0), touching_fraction=0.0)
    areas = np.bincount(labels.ravel())[1:]
    inner = np.median(areas)
    assert 0.7 * math.pi * 100 <= inner <= 1.4 * math.pi * 100


def test_same_seed_same_image_other_seed_other_image():
    a_image, a_labels = generate(7, shape=SHAPE, kind="cells")
    b_image, b_labels = generate(np.random.default_rng(7), shape=SHAPE, kind="cells")
    c_image, _ = generate(8, shape=SHAPE, kind="cells")
    np.testing.assert_array_equal(a_image, b_image)
    np.testing.assert_array_equal(a_labels, b_labels)
    assert not np.array_equal(a_image, c_image)


@pytest.mark.parametrize("colour", sorted(STAIN_COLOURS))
def test_each_colour_puts_the_stain_in_its_channels(colour):
    image, labels = generate(2, shape=SHAPE, colour=colour, artifacts=False)
    assert image.shape == (3,) + SHAPE
    inside, outside = labels > 0, labels == 0
    contrast = np.array([c[inside].mean() - c[outside].mean() for c in image])
    lit = np.array(STAIN_COLOURS[colour]) > 0
    assert (contrast[lit] > 0.5 * contrast.max()).all()
    assert (contrast[~lit] < 0.2 * contrast.max()).all()


def test_grey_gives_one_channel():
    image, labels = generate(4, shape=SHAPE, colour="grey")
    assert image.shape == (1,) + SHAPE
    assert image[0][labels > 0].mean() > image[0][labels == 0].mean()


def test_debris_specks_are_much_smaller_than_cells():
    signal = np.zeros((200, 200), np.float32)
    add_debris(signal, np.random.default_rng(0), 30, max_radius=2.0)
    components, n = ndi.label(signal > 0)
    assert n > 10
    assert np.bincount(components.ravel())[1:].max() <= math.pi * 3.5**2
    assert signal.max() >= 1.0


def test_stain_weights_and_colourise():
    weights = stain_weights("yellow", np.random.default_rng(0), crosstalk=(0.0, 0.0))
    assert weights[0] > 0.5 and weights[1] > 0.5 and weights[2] == 0.0
    rgb = colourise(np.full((2, 3), 2.0), weights)
    assert rgb.shape == (3, 2, 3) and rgb.dtype == np.float32
    np.testing.assert_allclose(rgb[:, 0, 0], 2.0 * weights, rtol=1e-6)
    with pytest.raises(ParameterError, match="colour must be one of"):
        stain_weights("purple", np.random.default_rng(0))


def test_generate_dataset_is_normalised_and_reproducible():
    samples = generate_dataset(3, seed=5, channels=1, shape=(96, 96), kind="cells")
    again = generate_dataset(2, seed=5, channels=1, shape=(96, 96), kind="cells")
    assert [s.name for s in samples] == [f"synthetic-cells-5-{i:04d}" for i in range(3)]
    assert {s.source for s in samples} == {"synthetic-cells"}
    for sample, repeat in zip(samples, again):
        np.testing.assert_array_equal(sample.image, repeat.image)
        assert sample.image.shape == (1, 96, 96) and sample.image.dtype == np.float32
        assert np.isfinite(sample.diameter_px) and sample.diameter_px > 5
        low, high = np.percentile(sample.image, [1, 99.8])
        assert abs(low) < 0.02 and abs(high - 1.0) < 0.02
    rgb = generate_dataset(1, seed=5, channels=3, shape=(96, 96), colour="grey")
    assert rgb[0].image.shape == (3, 96, 96)


@pytest.mark.parametrize("kwargs, message", [
    ({"kind": "bacteria"}, "kind must be one of"),
    ({"colour": "purple"}, "colour must be one of"),
    ({"shape": (8, 64)}, "shape must be"),
    ({"diameter_px": (20.0, 10.0)}, "diameter_px must be"),
    ({"density": (0.0, 0.1)}, "density must be"),
    ({"touching_fraction": 1.5}, "touching_fraction must be in"),
])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        generate(0, **kwargs)
