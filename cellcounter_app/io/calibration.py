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

Whatever the source, `read_image` keeps only a plausible pixel size
(`PLAUSIBLE_PIXEL_UM`, the range ``--pixel-size`` accepts): a crafted or
mistaken one (``PhysicalSizeX`` 1e300, ImageJ unit ``m`` with a nanometre
value, 1e9 pixels per centimetre) is ignored with a note (`plausible`), and
non-square pixels are noted (`non_square_note`).
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

PLAUSIBLE_PIXEL_UM = (0.01, 100.0)
"""Pixel sizes (µm) a file's calibration is believed within: from a 100x oil objective's
super-resolved pixels to a slide scanner's overview."""

SQUARE_TOLERANCE = 0.01
"""Relative difference of pixel width and height still taken as square."""

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


def plausible(pixel_size_um: float | None) -> tuple[float | None, str]:
    """The pixel size if it is in `PLAUSIBLE_PIXEL_UM`, else None and a note saying it was ignored.

    Examples
    --------
    >>> plausible(0.65)
    (0.65, '')
    >>> plausible(1e15)
    (None, "the file's pixel size (1e+15 µm) is ignored: outside 0.01 to 100 µm, sizes are given in px only")
    """
    low, high = PLAUSIBLE_PIXEL_UM
    if pixel_size_um is None or low <= pixel_size_um <= high:
        return pixel_size_um, ""
    return None, (f"the file's pixel size ({pixel_size_um:.3g} µm) is ignored: outside {low:g} to {high:g} µm,"
                  " sizes are given in px only")


def non_square_note(width_um: float | None, height_um: float | None) -> str:
    """A note when pixels are not square (sizes in µm then use the width), else ``''``.

    Examples
    --------
    >>> non_square_note(0.5, 1.0)
    'non-square pixels (0.5 µm wide, 1 µm high): sizes in µm use the width'
    >>> non_square_note(0.5, 0.5), non_square_note(0.5, None)
    ('', '')
    """
    if width_um is None or height_um is None or math.isclose(width_um, height_um, rel_tol=SQUARE_TOLERANCE):
        return ""
    return f"non-square pixels ({width_um:.4g} µm wide, {height_um:.4g} µm high): sizes in µm use the width"


def _positive_float(value: str | float) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and number > 0 else None
