from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.inference.channels import adapt_channels


def _rgb() -> np.ndarray:
    image = np.zeros((4, 5, 3), dtype=np.uint16)
    image[..., 0] = 10
    image[1, 2, 1] = 500
    image[..., 2] = np.arange(20, dtype=np.uint16).reshape(4, 5)
    return image


def test_grey_to_one_channel_is_a_view():
    grey = np.arange(20, dtype=np.uint8).reshape(4, 5)
    out = adapt_channels(grey, 1)
    assert out.shape == (1, 4, 5) and out.dtype == np.uint8
    assert np.shares_memory(out, grey)


def test_grey_is_replicated_for_three_channels():
    grey = np.arange(20, dtype=np.float32).reshape(4, 5)
    out = adapt_channels(grey, 3)
    assert out.shape == (3, 4, 5)
    for channel in out:
        np.testing.assert_array_equal(channel, grey)
    np.testing.assert_array_equal(adapt_channels(grey[..., np.newaxis], 3), out)


def test_rgb_to_one_channel_takes_the_maximum():
    image = _rgb()
    out = adapt_channels(image, 1)
    np.testing.assert_array_equal(out[0], image.max(axis=-1))
    assert out[0, 1, 2] == 500 and out[0, 0, 0] == 10


def test_rgb_to_three_channels_is_channels_first():
    image = _rgb()
    out = adapt_channels(image, 3)
    np.testing.assert_array_equal(out, np.moveaxis(image, -1, 0))
    assert np.shares_memory(out, image)


def test_two_channels_get_a_zero_third():
    image = np.ones((3, 4, 2), dtype=np.uint8)
    out = adapt_channels(image, 3)
    assert out.shape == (3, 3, 4)
    assert out[:2].all() and not out[2].any()


def test_more_channels_keep_the_first_three():
    image = np.arange(4 * 3 * 5, dtype=np.int16).reshape(4, 3, 5)
    out = adapt_channels(image, 3)
    np.testing.assert_array_equal(out, np.moveaxis(image[..., :3], -1, 0))


def test_bool_image_becomes_numeric():
    assert adapt_channels(np.eye(3, dtype=bool), 1).dtype == np.uint8


@pytest.mark.parametrize(
    ("image", "n", "message"),
    [
        (np.zeros((2, 3, 4, 5)), 1, r"got shape \(2, 3, 4, 5\)"),
        (np.zeros(5), 1, r"got shape \(5,\)"),
        (np.zeros((3, 3)), 0, "n_channels must be an integer >= 1, got 0"),
        (np.zeros((3, 3)), 1.5, "got 1.5"),
        (np.zeros((0, 3)), 1, "must not be empty"),
        (np.array([["a"]]), 1, "numeric dtype"),
    ],
)
def test_bad_input_is_refused(image, n, message):
    with pytest.raises(ParameterError, match=message):
        adapt_channels(image, n)
