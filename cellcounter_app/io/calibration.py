"""Pixel size in µm from the units and resolutions found in image metadata.

Three sources, in the order `read_image` trusts them:

1. OME-XML ``PhysicalSizeX`` with ``PhysicalSizeXUnit`` (µm when absent).
2. ImageJ metadata: the ``unit`` of the image description and the TIFF
   ``XResolution`` tag (pixels per unit).
3. The TIFF ``XResolution`` and ``ResolutionUnit`` tags alone.  Many programs
   write a default resolution there that says nothing about the specimen
   (1, 72, 96, 150, 300 or 600 dots per inch, or 1 pixel per centimetre), so
   the tags are trusted only when they give pixels of at most
   `MAX_TAG_PIXEL_UM` (25.4 µm, i.e. at least 1000 dots per inch): every
   microscope image has smaller pixels, and every such default larger ones.
"""

from __future__ import annotations

import math

MICROMETRES_PER_UNIT: dict[str, float] = {
    "pm": 1e-6,
    "å": 1e-4,
    "nm": 1e-3,
    "nanometer": 1e-3,
    "nanometre": 1e-3,
    "µm": 1.0,
    "um": 1.0,
    "micron": 1.0,
    "microns": 1.0,
    "micrometer": 1.0,
    "micrometre": 1.0,
    "mm": 1e3,
    "millimeter": 1e3,
    "millimetre": 1e3,
    "cm": 1e4,
    "centimeter": 1e4,
    "centimetre": 1e4,
    "m": 1e6,
    "meter": 1e6,
    "metre": 1e6,
    "inch": 25_400.0,
    "in": 25_400.0,
}
"""Length units (lower case, micro sign ``µ``) and their size in µm."""

MAX_TAG_PIXEL_UM = 25.4
"""Largest pixel (µm) accepted from bare TIFF resolution tags (1000 dpi)."""

_TIFF_UNIT_INCH = 2
_TIFF_UNIT_CENTIMETER = 3


def unit_to_micrometres(unit: str) -> float | None:
    """Size of one ``unit`` in µm, or None for an unknown unit.

    Accepts the spellings found in OME and ImageJ files, including ImageJ's
    escaped micro sign.

    Examples
    --------
    >>> unit_to_micrometres("micron"), unit_to_micrometres("\\\\u00B5m"), unit_to_micrometres("nm")
    (1.0, 1.0, 0.001)
    >>> unit_to_micrometres("pixel") is None
    True
    """
    key = unit.strip().lower().replace("\\u00b5", "µ").replace("\u03bc", "µ")
    return MICROMETRES_PER_UNIT.get(key)


def pixel_size_from_length(length: str | float, unit: str = "µm") -> float | None:
    """A pixel size given as a length in ``unit``, in µm (None if invalid).

    Examples
    --------
    >>> pixel_size_from_length("325", "nm")
    0.325
    >>> pixel_size_from_length(0.0) is None
    True
    """
    scale = unit_to_micrometres(unit)
    value = _positive_float(length)
    if scale is None or value is None:
        return None
    return _positive_float(value * scale)


def pixel_size_from_resolution(pixels_per_unit: str | float, unit: str) -> float | None:
    """Pixel size in µm from a resolution in pixels per ``unit`` (None if invalid).

    Examples
    --------
    >>> pixel_size_from_resolution(2.0, "um")
    0.5
    """
    scale = unit_to_micrometres(unit)
    value = _positive_float(pixels_per_unit)
    if scale is None or value is None:
        return None
    return _positive_float(scale / value)


def pixel_size_from_tiff_tags(x_resolution: str | float, resolution_unit: int) -> float | None:
    """Pixel size in µm from TIFF ``XResolution`` and ``ResolutionUnit`` tags.

    Returns None for unit-less resolutions (``ResolutionUnit`` 1) and for
    pixels larger than `MAX_TAG_PIXEL_UM`, the programs' defaults (see the
    module notes).

    Examples
    --------
    >>> pixel_size_from_tiff_tags(40_000.0, 3)  # pixels per centimetre
    0.25
    >>> pixel_size_from_tiff_tags(72.0, 2) is None  # 72 dpi: a default
    True
    """
    units = {_TIFF_UNIT_INCH: "inch", _TIFF_UNIT_CENTIMETER: "cm"}
    if resolution_unit not in units:
        return None
    size = pixel_size_from_resolution(x_resolution, units[resolution_unit])
    return size if size is not None and size <= MAX_TAG_PIXEL_UM else None


def _positive_float(value: str | float) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and number > 0 else None
