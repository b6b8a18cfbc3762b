"""Test-time flip averaging (bench/tta_eval.py): the map is the mean over the image's four flips."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def tta(bench_module):
    return bench_module("tta_eval")


class _Ramp:
    """A stand-in model that answers with a left-to-right ramp whatever the image (not flip-equivariant)."""

    meta, provider, sha256, path = None, "numpy", "", None

    def predict(self, image, *, on_tile=None, cancel=None):
        return np.tile(np.linspace(0.0, 1.0, image.shape[1], dtype=np.float32), (image.shape[0], 1))


def test_the_flip_averaged_map_is_the_mean_over_the_four_flips(tta):
    image = np.random.default_rng(0).random((6, 5))
    averaged = tta.FlipAveraged(_Ramp()).predict(image)
    # the ramp and its left-right mirror, twice each: 0.5 everywhere
    np.testing.assert_allclose(averaged, 0.5, atol=1e-6)
    assert averaged.shape == image.shape and averaged.dtype == np.float32
