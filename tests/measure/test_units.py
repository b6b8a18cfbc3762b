"""Pixel / micrometre conversions."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.measure import check_pixel_size, px_to_um, um_to_px


def test_lengths_and_areas():
    assert px_to_um(10, 0.5) == 5.0
    assert px_to_um(100, 0.5, power=2) == 25.0
    assert um_to_px(5.0, 0.5) == 10.0
    assert um_to_px(25.0, 0.5, power=2) == 100.0
    assert px_to_um(4.0, 0.5, power=-2) == 16.0


def test_arrays_round_trip():
    values = np.array([1, 2, 3])
    converted = px_to_um(values, 0.65, power=2)
    assert converted.dtype == np.float64
    np.testing.assert_allclose(um_to_px(converted, 0.65, power=2), values)


@pytest.mark.parametrize("bad", [0, -0.5, float("nan"), float("inf"), None, "0.5", True])
def test_bad_pixel_sizes_are_rejected_with_the_value(bad):
    with pytest.raises(ParameterError, match=r"pixel_size_um must be a finite number > 0 .* got"):
        px_to_um(1.0, bad)
    with pytest.raises(ParameterError, match="pixel_size_um"):
        um_to_px(1.0, bad)


def test_none_is_allowed_only_when_asked():
    assert check_pixel_size(None, allow_none=True) is None
    assert check_pixel_size(np.float32(0.25)) == 0.25


def test_power_must_be_an_integer():
    with pytest.raises(ParameterError, match="power"):
        px_to_um(1.0, 0.5, power=1.5)


@pytest.mark.parametrize(
    "name", ["cellcounter_app.measure.units", "cellcounter_app.measure.cells", "cellcounter_app.measure.summary"]
)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner()
    tests = [test for test in doctest.DocTestFinder().find(module, globs={**vars(module), "np": np}) if test.examples]
    assert tests
    for test in tests:
        runner.run(test)
    assert runner.failures == 0
