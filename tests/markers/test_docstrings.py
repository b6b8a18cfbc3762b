"""The examples in the marker docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

MODULES = [
    "cellcounter_app.markers.channels",
    "cellcounter_app.markers.counts",
    "cellcounter_app.markers.log_scale",
    "cellcounter_app.markers.measures",
    "cellcounter_app.markers.mixture",
    "cellcounter_app.markers.options",
    "cellcounter_app.markers.pairing",
    "cellcounter_app.markers.rules",
    "cellcounter_app.markers.score",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = [test for test in finder.find(module, globs={**vars(module), "np": np}) if test.examples]
    assert tests, f"{name} has no docstring examples"
    failures = sum(runner.run(test).failed for test in tests)
    assert failures == 0
