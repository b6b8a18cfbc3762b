"""float64 images: counted like any other, read-only or not, and never changed by the normalisation."""

from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.inference import load_model
from cellcounter_app.inference.metadata import Normalization
from cellcounter_app.inference.normalize import normalize
from cellcounter_app.io import read_image
from cellcounter_app.pipeline import count_image
from synthetic_images import disc_image, grid_centres, write_tiff

SHAPE = (128, 160)


def float64_image(rgb: bool) -> tuple[np.ndarray, int]:
    centres = grid_centres(6, SHAPE)
    grey, _ = disc_image(SHAPE, centres)
    image = grey.astype(np.float64) / 255.0
    if rgb:
        image = np.stack([image * 0.2, image, image * 0.1], axis=-1)
    image[0, 0] = np.nan  # a dead pixel: replaced for the statistics, never written back
    return image, len(centres)


@pytest.mark.parametrize("model, rgb", [("nuclei", False), ("classical", False), ("cells", True),
                                        ("nuclei", True)])
def test_a_read_only_float64_image_is_counted(tmp_path, model, rgb):
    image, expected = float64_image(rgb)
    path = write_tiff(tmp_path / "f64.tif", image, photometric="rgb" if rgb else "minisblack")
    loaded = read_image(path)
    assert loaded.data.dtype == np.float64
    loaded.data.setflags(write=False)
    result = count_image(loaded, load_model(model))
    assert result.ok and result.count == expected


@pytest.mark.parametrize("rgb", [False, True])
def test_normalize_leaves_a_float64_image_as_it_was(rgb):
    image, _ = float64_image(rgb)
    before = image.copy()
    for writable in (True, False):
        image.setflags(write=writable)
        out = normalize(image, Normalization(low=1, high=99.8), channel_axis=-1 if rgb else None)
        assert out.dtype == np.float32 and np.isfinite(out).all()
        np.testing.assert_array_equal(image, before)  # the NaN is still there: nothing was written into it
