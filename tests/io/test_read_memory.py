"""read_image makes no needless copies of large images (measured with tracemalloc)."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest
import tifffile

from cellcounter_app.io import ReadOptions, read_image

SHAPE = (1500, 1600)


def smooth_image() -> np.ndarray:
    rows, cols = np.mgrid[: SHAPE[0], : SHAPE[1]]
    return ((np.sin(rows / 30) * np.cos(cols / 40) + 1) * 1500).astype(np.uint16)


def traced(function):
    """(result, peak bytes, bytes still held) of ``function()``."""
    gc.collect()
    tracemalloc.start()
    try:
        result = function()
        gc.collect()
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak, held


@pytest.mark.parametrize(("compression", "limit"), [(None, 1.1), ("zlib", 2.5)])
def test_plain_image_is_read_with_about_one_copy(tmp_path, compression, limit):
    data = smooth_image()
    tifffile.imwrite(tmp_path / "big.tif", data, compression=compression)
    image, peak, held = traced(lambda: read_image(tmp_path / "big.tif"))
    assert image.data.shape == SHAPE
    assert peak <= limit * data.nbytes
    assert held <= 1.05 * data.nbytes


def test_selected_plane_frees_the_rest_of_the_stack(tmp_path):
    plane = smooth_image()
    tifffile.imwrite(tmp_path / "stack.tif", np.stack([plane] * 3), photometric="minisblack",
                     metadata={"axes": "ZYX"})
    image, peak, held = traced(lambda: read_image(tmp_path / "stack.tif", ReadOptions(z=1)))
    np.testing.assert_array_equal(image.data, plane)
    assert peak <= 4.1 * plane.nbytes
    assert held <= 1.05 * plane.nbytes
