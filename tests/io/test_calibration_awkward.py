"""Absurd and odd calibrations: ignored or noted, never a crash (issue 18, item 8)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tifffile

from cellcounter_app.errors import ParameterError
from cellcounter_app.export.tables import image_rows
from cellcounter_app.inference.registry import load_model
from cellcounter_app.io.calibration import PLAUSIBLE_PIXEL_UM, plausible
from cellcounter_app.io.reader import read_image
from cellcounter_app.measure.cells import measure_cells
from cellcounter_app.measure.summary import summarize
from cellcounter_app.pipeline import count_image

IGNORED = "the file's pixel size ({}) is ignored: outside 0.01 to 100 µm, sizes are given in px only"


def blobs() -> np.ndarray:
    """A 96² uint8 image with four bright discs, so that counting measures something."""
    yy, xx = np.mgrid[:96, :96]
    image = np.full((96, 96), 10, np.uint8)
    for y, x in ((24, 24), (24, 70), (70, 24), (70, 70)):
        image[(yy - y) ** 2 + (xx - x) ** 2 <= 64] = 200
    return image


def ome(path, **sizes):
    tifffile.imwrite(path, blobs(), ome=True, metadata=sizes)
    return path


WRITERS = {
    "ome-1e300": (lambda p: ome(p, PhysicalSizeX=1e300, PhysicalSizeY=1e300), "1e+300 µm"),
    "ome-1e-300": (lambda p: ome(p, PhysicalSizeX=1e-300, PhysicalSizeY=1e-300), "1e-300 µm"),
    "imagej-m-1e-9": (lambda p: tifffile.imwrite(p, blobs(), imagej=True, resolution=(1e-9, 1e-9),
                                                 metadata={"unit": "m"}), "1e+15 µm"),
    "imagej-nm-as-m": (lambda p: tifffile.imwrite(p, blobs(), imagej=True, resolution=(1e9, 1e9),
                                                  metadata={"unit": "m"}), "0.001 µm"),
    "tag-1e9-per-cm": (lambda p: tifffile.imwrite(p, blobs(), resolution=(1e9, 1e9),
                                                  resolutionunit="CENTIMETER"), "1e-05 µm"),
}


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_implausible_calibration_is_ignored_with_a_note_that_reaches_the_images_sheet(tmp_path, kind):
    write, shown = WRITERS[kind]
    path = tmp_path / f"{kind}.tif"
    write(path)
    image = read_image(path)
    assert image.pixel_size_um is None
    assert image.notes == (IGNORED.format(shown),)
    result = count_image(image, load_model("classical"))
    assert result.ok and result.count == 4
    assert math.isnan(result.summary["pixel_size_um"]) and math.isnan(result.summary["density_per_mm2"])
    assert result.params["note"] == IGNORED.format(shown)
    header, rows = image_rows([result])
    assert rows[0][header.index("note")] == IGNORED.format(shown)


@pytest.mark.parametrize(("write", "width", "height"), [
    (lambda p: ome(p, PhysicalSizeX=0.5, PhysicalSizeY=1.0), 0.5, 1.0),
    (lambda p: ome(p, PhysicalSizeX=0.65, PhysicalSizeY=0.325), 0.65, 0.325),
    (lambda p: tifffile.imwrite(p, blobs(), resolution=(20000, 10000), resolutionunit="CENTIMETER"), 0.5, 1.0),
    (lambda p: tifffile.imwrite(p, blobs(), imagej=True, resolution=(2.0, 4.0), metadata={"unit": "um"}), 0.5, 0.25),
])
def test_non_square_pixels_are_noted_and_use_the_width(tmp_path, write, width, height):
    path = tmp_path / "rect.tif"
    write(path)
    image = read_image(path)
    assert image.pixel_size_um == pytest.approx(width)
    note = f"non-square pixels ({width:.4g} µm wide, {height:.4g} µm high): sizes in µm use the width"
    assert image.notes == (note,)
    result = count_image(image, load_model("classical"))
    assert result.params["note"] == note
    assert result.summary["pixel_size_um"] == pytest.approx(width)


@pytest.mark.parametrize("write", [
    lambda p: ome(p, PhysicalSizeX=0.325, PhysicalSizeY=0.325),
    lambda p: ome(p, PhysicalSizeX=0.325),
    lambda p: tifffile.imwrite(p, blobs(), resolution=(20000, 20000), resolutionunit="CENTIMETER"),
    lambda p: tifffile.imwrite(p, blobs(), resolution=(20000, 20001), resolutionunit="CENTIMETER"),
])
def test_an_ordinary_calibration_has_no_note(tmp_path, write):
    path = tmp_path / "ok.tif"
    write(path)
    image = read_image(path)
    assert image.pixel_size_um is not None and image.notes == ()
    assert "note" not in count_image(image, load_model("classical")).params


def test_the_plausible_range_is_inclusive():
    low, high = PLAUSIBLE_PIXEL_UM
    assert plausible(low) == (low, "") and plausible(high) == (high, "")
    assert plausible(None) == (None, "")
    assert plausible(high * 1.01)[0] is None and plausible(low * 0.99)[0] is None


@pytest.mark.parametrize("size", [1e300, 1e-300, 1e-200, 1e200])
def test_measure_refuses_an_unmeasurable_pixel_size_instead_of_overflowing(size):
    labels = np.zeros((8, 8), np.int32)
    labels[2:5, 2:5] = 1
    with pytest.raises(ParameterError, match=r"pixel_size_um must be from 1e-06 to 1e\+06 µm per pixel, got"):
        measure_cells(labels, pixel_size_um=size)
    cells = measure_cells(labels)
    with pytest.raises(ParameterError, match=r"pixel_size_um must be from 1e-06 to 1e\+06"):
        summarize(labels, cells, pixel_size_um=size)


def test_the_smallest_measurable_pixel_gives_a_finite_density():
    labels = np.zeros((8, 8), np.int32)
    labels[2:5, 2:5] = 1
    summary = summarize(labels, measure_cells(labels, pixel_size_um=1e-6), pixel_size_um=1e-6)
    assert math.isfinite(summary["density_per_mm2"]) and summary["density_per_mm2"] > 0
