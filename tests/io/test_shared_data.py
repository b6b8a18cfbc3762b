"""Real files from ../shared/data read without error (skipped when the data is absent)."""

from __future__ import annotations

import pytest

from cellcounter_app.io import ReadOptions, find_images, read_image

pytestmark = pytest.mark.data

SETS = ("nuclei-dsb2018/train/images", "nuclei-mnfinder/train/images", "nuclei-stardist-sample/images")


@pytest.mark.parametrize("folder", SETS)
def test_real_images_read(shared_data, folder):
    images, skipped = find_images([shared_data / folder])
    assert images and not skipped
    for path in images[:3]:
        image = read_image(path)
        assert image.data.ndim in (2, 3)
        assert image.height > 0 and image.width > 0
        assert len(image.channel_names) == image.n_channels
        grey = read_image(path, ReadOptions(channel="max"))
        assert grey.data.shape == (image.height, image.width)


def test_dsb_png_is_rgb_without_alpha(shared_data):
    images, _ = find_images([shared_data / SETS[0]])
    image = read_image(images[0])
    assert image.is_rgb and image.data.shape[2] == 3 and image.source_shape[2] == 4


def test_label_images_read_as_integer_2d(shared_data):
    images, _ = find_images([shared_data / "nuclei-stardist-sample/labels"])
    labels = read_image(images[0])
    assert labels.data.ndim == 2 and labels.data.dtype.kind in "ui" and labels.data.max() > 0
