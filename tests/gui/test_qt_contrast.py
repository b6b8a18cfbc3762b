"""Channel choice, automatic contrast and LUTs of the viewer."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

pytest.importorskip("pyqtgraph")

from cellcounter_app.errors import ParameterError  # noqa: E402
from cellcounter_app.gui import qt_contrast  # noqa: E402
from cellcounter_app.gui.qt_contrast import (  # noqa: E402
    COMPOSITE,
    LUTS,
    auto_levels,
    channel_count,
    colormap,
    display_array,
)

pytestmark = pytest.mark.gui


def test_docstring_examples():
    results = doctest.testmod(qt_contrast, extraglobs={"np": np})
    assert results.attempted > 0 and results.failed == 0


def test_composite_is_rgb_for_three_channels_and_the_maximum_otherwise():
    rgb = np.random.default_rng(0).integers(0, 255, (4, 5, 3), dtype=np.uint8)
    assert display_array(rgb) is rgb
    four = np.random.default_rng(1).random((4, 5, 4))
    np.testing.assert_array_equal(display_array(four), four.max(axis=2))
    one = np.ones((4, 5, 1))
    assert display_array(one).shape == (4, 5)
    assert display_array(np.ones((4, 5), bool)).dtype == np.uint8
    np.testing.assert_array_equal(display_array(four, 3), four[:, :, 3])
    with pytest.raises(ParameterError, match="channel must be between 0 and 3"):
        display_array(four, 4)
    assert channel_count(four) == 4 and channel_count(np.ones((2, 2))) == 1
    assert COMPOSITE < 0


def test_auto_levels_ignores_nan_and_subsamples_large_images():
    image = np.linspace(0, 1, 100 * 100).reshape(100, 100)
    image[0, :50] = np.nan
    low, high = auto_levels(image)
    assert np.isfinite(low) and np.isfinite(high) and 0 <= low < 0.05 and 0.95 < high <= 1
    big = np.random.default_rng(2).integers(0, 4096, (2048, 2048), dtype=np.uint16)
    low, high = auto_levels(big, max_samples=10_000)
    assert low == pytest.approx(np.percentile(big, 1), abs=60)
    assert high == pytest.approx(np.percentile(big, 99.8), abs=60)
    assert auto_levels(np.full((3, 3), np.nan)) == (0.0, 1.0)


@pytest.mark.parametrize("low, high, samples, message", [
    (50, 10, 100, "0 <= low < high <= 100"),
    (-1, 10, 100, "0 <= low < high <= 100"),
    (1, 99, 0, "max_samples must be at least 1"),
])
def test_auto_levels_rejects_bad_arguments(low, high, samples, message):
    with pytest.raises(ParameterError, match=message):
        auto_levels(np.zeros((4, 4)), low, high, max_samples=samples)


@pytest.mark.parametrize("name", list(LUTS))
def test_every_lut_runs_from_black_to_its_colour(name):
    table = colormap(name).getLookupTable(nPts=256, alpha=False)
    assert tuple(table[0]) == (0, 0, 0)
    assert tuple(table[-1]) == LUTS[name][-1][1]
