"""The examples in the post-processing docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

from cellcounter_app.postprocess import PostprocessParams

MODULES = [
    "cellcounter_app.postprocess.steps",
    "cellcounter_app.postprocess.split",
    "cellcounter_app.postprocess.chain",
    "cellcounter_app.postprocess.params",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    globs = {**vars(module), "np": np, "PostprocessParams": PostprocessParams}
    tests = [test for test in finder.find(module, globs=globs) if test.examples]
    assert tests, f"{name} has no docstring examples"
    for test in tests:
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} docstring example(s) of {name} failed"
