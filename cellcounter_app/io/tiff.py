"""Decode TIFF, OME-TIFF and ImageJ TIFF files with tifffile (and imagecodecs).

Only the first series is read (for pyramids, the full-resolution level).
Notes on what is kept as stored:

- palette (LUT) images return the stored values, not colours: in microscopy
  the LUT only tints an intensity image for display;
- ``MinIsWhite`` images return the stored values, as tifffile does;
- alpha samples (``ExtraSamples`` 1 or 2) are dropped; unspecified extra
  samples are kept as channels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile

from ..errors import ImageReadError
from .calibration import pixel_size_from_resolution, pixel_size_from_tiff_tags
from .failures import DECODER_ERRORS, NO_MEMORY, decoder_reason
from .layout import Decoded
from .ome import OmePixels, parse_ome

RGB_NAMES = ("red", "green", "blue")
_ALPHA = {int(tifffile.EXTRASAMPLE.ASSOCALPHA), int(tifffile.EXTRASAMPLE.UNASSALPHA)}
_COLOUR = {int(tifffile.PHOTOMETRIC.RGB), int(tifffile.PHOTOMETRIC.YCBCR)}
_SHOWN_SERIES = 3
_READ_BUFFER = 1 << 24
"""Bytes of compressed data tifffile reads at a time (its default, 256 MB, can
more than double the memory a compressed image needs while it decodes)."""


def decode_tiff(path: Path) -> Decoded:
    """Pixels and metadata of the first series of a TIFF file.

    Raises
    ------
    ImageReadError
        When the file is not a TIFF file, is truncated or corrupt.
    """
    try:
        with tifffile.TiffFile(path) as tif:
            return _decode(path, tif)
    except MemoryError as exc:
        raise ImageReadError(path, NO_MEMORY) from exc
    except DECODER_ERRORS as exc:
        raise ImageReadError(path, decoder_reason(exc, "TIFF")) from exc


def _decode(path: Path, tif: tifffile.TiffFile) -> Decoded:
    if not tif.series:
        raise ImageReadError(path, "the TIFF file contains no image")
    series = tif.series[0]
    page = series.keyframe
    _check_complete(path, series)
    data = series.asarray(buffersize=_READ_BUFFER)
    axes = series.axes
    data, is_rgb, extra = _drop_alpha(data, axes, page)
    ome = parse_ome(tif.ome_metadata) if tif.is_ome and tif.ome_metadata else OmePixels()
    imagej = (tif.imagej_metadata or {}) if tif.is_imagej else {}
    names = _channel_names(ome, imagej, axes, data.shape, is_rgb, extra)
    width_um, height_um = _pixel_size(ome, imagej, page)
    return Decoded(
        data=data,
        axes=axes,
        source_axes=axes,
        source_shape=tuple(int(n) for n in series.shape),
        channel_names=names,
        pixel_size_um=width_um,
        pixel_height_um=height_um,
        bits_per_sample=int(page.bitspersample),
        is_rgb=is_rgb,
        notes=_skipped_series(tif),
    )


def _skipped_series(tif: tifffile.TiffFile) -> tuple[str, ...]:
    """A note when the file holds more images than the first series (pages of another size),
    leaving out reduced-resolution previews and masks (``NewSubfileType`` bits 0 and 2)."""
    others = [s for s in tif.series[1:] if s.keyframe is None or not int(s.keyframe.subfiletype) & 0b101]
    if not others:
        return ()
    shapes = ", ".join("x".join(str(n) for n in s.shape) for s in others[:_SHOWN_SERIES])
    more = ", ..." if len(others) > _SHOWN_SERIES else ""
    first = "x".join(str(n) for n in tif.series[0].shape)
    return (f"only the first image ({first}) is read: {len(others)} more of another size skipped ({shapes}{more})",)


def _check_complete(path: Path, series: tifffile.TiffPageSeries) -> None:
    """Raise when image data of the series lies past the end of its file."""
    for page in series.pages:
        if page is None:
            continue
        file_size = page.parent.filehandle.size
        ends = [offset + count for offset, count in zip(page.dataoffsets, page.databytecounts) if count]
        if ends and max(ends) > file_size:
            raise ImageReadError(
                path, f"truncated TIFF file (image data runs to byte {max(ends)}, the file has {file_size} bytes)"
            )


def _drop_alpha(data: np.ndarray, axes: str, page: tifffile.TiffPage) -> tuple[np.ndarray, bool, int]:
    """(data without alpha samples, whether the pixels are RGB, extra samples kept)."""
    extras = [int(e) for e in page.extrasamples]
    samples = int(page.samplesperpixel)
    colour = samples - len(extras)
    is_rgb = int(page.photometric) in _COLOUR and colour == 3
    if "S" not in axes or not extras:
        return data, is_rgb, 0
    keep = list(range(colour)) + [colour + i for i, e in enumerate(extras) if e not in _ALPHA]
    s = axes.index("S")
    index: slice | list[int] = slice(0, len(keep)) if keep == list(range(len(keep))) else keep
    return data[(slice(None),) * s + (index,)], is_rgb, len(keep) - colour


def _channel_names(
    ome: OmePixels, imagej: dict[str, object], axes: str, shape: tuple[int, ...], is_rgb: bool, extra: int
) -> tuple[str, ...]:
    """Names of the channel axis (C, else S), or () when the file names none.

    ImageJ stores one label per plane, channels varying fastest: the first
    ``C`` labels name the channels.
    """
    if is_rgb:
        return RGB_NAMES + ("",) * extra
    count = next((shape[i] for i, a in enumerate(axes) if a in "CS" and shape[i] > 1), 1)
    if len(ome.channel_names) == count:
        return ome.channel_names
    labels = imagej.get("Labels")
    if isinstance(labels, (list, tuple)) and (len(labels) == count or 1 < count < len(labels)):
        return tuple(str(label) for label in labels[:count])
    return ()


def _pixel_size(
    ome: OmePixels, imagej: dict[str, object], page: tifffile.TiffPage
) -> tuple[float | None, float | None]:
    """Pixel width and height in µm: OME first, then ImageJ, then the resolution tags."""
    if ome.pixel_size_um is not None:
        return ome.pixel_size_um, ome.pixel_height_um
    unit = imagej.get("unit")
    if isinstance(unit, str):
        width, height = (pixel_size_from_resolution(r, unit) for r in page.resolution)
        if width is not None:
            return width, height
    width, height = (pixel_size_from_tiff_tags(r, int(page.resolutionunit)) for r in page.resolution)
    return width, height
