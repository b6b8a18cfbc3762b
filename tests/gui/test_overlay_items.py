"""Overlay helpers: outlines and painter paths."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

pytest.importorskip("pyqtgraph")

from skimage.segmentation import find_boundaries  # noqa: E402

from cellcounter_app.errors import ParameterError  # noqa: E402
from cellcounter_app.gui import overlay_items  # noqa: E402
from cellcounter_app.gui.overlay_items import boundary_mask, polygon_path  # noqa: E402

pytestmark = pytest.mark.gui


def test_docstring_examples():
    results = doctest.testmod(overlay_items, extraglobs={"np": np})
    assert results.attempted > 0 and results.failed == 0


@pytest.mark.parametrize("seed", range(5))
def test_boundary_mask_equals_find_boundaries_inner(seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 6, (40, 50)) * (rng.random((40, 50)) < 0.7)
    labels[10:30, 10:30] = 9
    np.testing.assert_array_equal(boundary_mask(labels), find_boundaries(labels, mode="inner"))


def test_boundary_mask_needs_a_2d_array():
    with pytest.raises(ParameterError, match="2-D"):
        boundary_mask(np.zeros((2, 3, 4), int))


def test_polygon_path_closes_polygons_and_skips_empty_ones():
    path = polygon_path([[(0, 0), (4, 0), (4, 3)], [], [(10, 10), (12, 12)]])
    assert path.boundingRect().getCoords() == (0.0, 0.0, 12.0, 12.0)
    assert path.elementCount() == 3 + 1 + 2
    assert polygon_path([[(0, 0), (4, 0), (4, 3)]], closed=False).elementCount() == 3
