"""Units, resolutions and OME-XML parsing behind LoadedImage.pixel_size_um."""

from __future__ import annotations

import pytest

from cellcounter_app.io.calibration import (
    MAX_TAG_PIXEL_UM,
    pixel_size_from_length,
    pixel_size_from_resolution,
    pixel_size_from_tiff_tags,
    unit_to_micrometres,
)
from cellcounter_app.io.ome import OmePixels, parse_ome


@pytest.mark.parametrize(
    ("unit", "scale"),
    [("nm", 1e-3), ("µm", 1.0), ("\u03bcm", 1.0), ("um", 1.0), ("micron", 1.0), ("\\u00B5m", 1.0),
     ("MM", 1e3), ("cm", 1e4), ("m", 1e6), (" inch ", 25_400.0)],
)
def test_units(unit, scale):
    assert unit_to_micrometres(unit) == pytest.approx(scale)


@pytest.mark.parametrize("unit", ["pixel", "", "furlong"])
def test_unknown_units_give_none(unit):
    assert unit_to_micrometres(unit) is None


def test_length_and_resolution():
    assert pixel_size_from_length("0.325") == pytest.approx(0.325)
    assert pixel_size_from_length(650, "nm") == pytest.approx(0.65)
    assert pixel_size_from_resolution(4.0, "micron") == pytest.approx(0.25)
    assert pixel_size_from_resolution(2.0, "mm") == pytest.approx(500.0)


@pytest.mark.parametrize("value", [0, -1.0, "nan", "inf", "abc"])
def test_invalid_lengths_give_none(value):
    assert pixel_size_from_length(value) is None
    assert pixel_size_from_resolution(value, "um") is None


@pytest.mark.parametrize(
    ("resolution", "unit", "expected"),
    [
        (20_000.0, 3, 0.5),                  # pixels per centimetre
        (25_400 / 0.65, 2, 0.65),            # pixels per inch, microscope scale
        (1.0, 2, None), (72.0, 2, None), (96.0, 2, None), (150.0, 2, None), (300.0, 2, None),
        (600.0, 2, None),                    # program defaults in dpi
        (1.0, 3, None), (28.35, 3, None),    # defaults in pixels per centimetre
        (20_000.0, 1, None),                 # no unit
    ],
)
def test_resolution_tags(resolution, unit, expected):
    size = pixel_size_from_tiff_tags(resolution, unit)
    assert size == (None if expected is None else pytest.approx(expected))


def test_tag_limit_is_1000_dpi():
    assert MAX_TAG_PIXEL_UM == pytest.approx(25_400 / 1000)
    assert pixel_size_from_tiff_tags(1000.0, 2) == pytest.approx(25.4)
    assert pixel_size_from_tiff_tags(999.0, 2) is None


def test_parse_ome_reads_size_unit_and_channels():
    xml = ('<?xml version="1.0"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">'
           '<Image ID="Image:0"><Pixels PhysicalSizeX="0.5" PhysicalSizeXUnit="mm" SizeC="2">'
           '<Channel ID="c0" Name="DAPI"/><Channel ID="c1"/></Pixels></Image>'
           '<Image ID="Image:1"><Pixels PhysicalSizeX="9"/></Image></OME>')
    assert parse_ome(xml) == OmePixels(500.0, ("DAPI", ""))


def test_parse_ome_default_unit_is_micrometre():
    assert parse_ome('<OME><Image><Pixels PhysicalSizeX="0.1"/></Image></OME>').pixel_size_um == pytest.approx(0.1)


@pytest.mark.parametrize("xml", ["<OME", "<OME/>", '<OME><Image><Pixels PhysicalSizeX="x"/></Image></OME>'])
def test_parse_ome_tolerates_missing_or_broken_metadata(xml, caplog):
    assert parse_ome(xml) == OmePixels()
