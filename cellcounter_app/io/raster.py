"""Decode PNG, JPEG and BMP files (and any other format Pillow recognises).

Pillow modes become arrays as follows:

- ``1`` (bilevel): uint8 0/1, bit depth 1;
- ``L``, ``I;16*``, ``I``, ``F``: grey, in their own dtype (a 16-bit PNG that
  Pillow opens as 32-bit ``I`` comes back as uint16);
- ``LA``: grey, alpha dropped; ``RGBA``, ``RGBX``, ``CMYK``, ``YCbCr``...: RGB;
- ``P`` (palette): grey when every palette entry is grey, else RGB.  A
  palette in these formats stores colours, unlike the display LUT of a
  microscopy TIFF (see `cellcounter_app.io.tiff`).

Pillow reads 16-bit colour PNGs as 8-bit; those are decoded with imagecodecs
instead so that no precision is lost.  These formats carry no calibration:
the pixel size is None.
"""

from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path

import imagecodecs
import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import ImageReadError
from .failures import DECODER_ERRORS, NO_MEMORY, decoder_reason
from .layout import Decoded
from .tiff import RGB_NAMES

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_COLOUR_TYPES_WITH_ALPHA_OR_RGB = {2: 3, 4: 1, 6: 3}  # colour type -> samples kept
_AS_RGB = {"RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "LAB", "HSV", "PA"}
_AS_GREY = {"LA", "La"}
_CRC_BLOCK = 1 << 20


def decode_raster(path: Path, kind: str) -> Decoded:
    """Pixels of a PNG, JPEG or BMP file (``kind`` names the format in errors).

    Raises
    ------
    ImageReadError
        When Pillow cannot identify or fully decode the file.
    """
    try:
        header = _read_header(path)
        if _is_16bit_colour_png(header):
            return _decode_png16(path)
        return _decode_pillow(path)
    except MemoryError as exc:
        raise ImageReadError(path, NO_MEMORY) from exc
    except Image.DecompressionBombError as exc:
        raise ImageReadError(path, f"image too large for {kind} decoding ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise ImageReadError(path, png_damage(path) or f"not a {kind} image: unrecognised file content") from exc
    except DECODER_ERRORS as exc:
        raise ImageReadError(path, png_damage(path) or decoder_reason(exc, kind)) from exc


def png_damage(path: Path) -> str | None:
    """``"damaged PNG: CRC error ..."`` naming the first chunk whose checksum is wrong, else None.

    Called when a decoder has refused the file, to say why: Pillow reports a bad
    ``IHDR`` checksum as an unidentified image. Files that are not PNG, and
    PNG files whose chunks are all intact (or that end early), give None.
    """
    try:
        with open(path, "rb") as file:
            if file.read(len(_PNG_SIGNATURE)) != _PNG_SIGNATURE:
                return None
            while True:
                offset = file.tell()
                head = file.read(8)
                if len(head) < 8:
                    return None
                length, kind = struct.unpack(">I4s", head)
                crc = zlib.crc32(kind)
                left = length
                while left:
                    block = file.read(min(left, _CRC_BLOCK))
                    if not block:
                        return None
                    crc, left = zlib.crc32(block, crc), left - len(block)
                stored = file.read(4)
                if len(stored) < 4:
                    return None
                if struct.unpack(">I", stored)[0] != crc:
                    return f"damaged PNG: CRC error in chunk {kind.decode('latin-1')!r} at byte {offset}"
                if kind == b"IEND":
                    return None
    except OSError:
        return None


def _read_header(path: Path) -> bytes:
    with open(path, "rb") as file:
        return file.read(32)


def _is_16bit_colour_png(header: bytes) -> bool:
    """PNG signature, IHDR first, bit depth 16 and a colour type with colour or alpha."""
    return (
        len(header) >= 26
        and header.startswith(_PNG_SIGNATURE)
        and header[12:16] == b"IHDR"
        and header[24] == 16
        and header[25] in _PNG_COLOUR_TYPES_WITH_ALPHA_OR_RGB
    )


def _decode_png16(path: Path) -> Decoded:
    with open(path, "rb") as file:
        encoded = file.read()
    colour_type = encoded[25]
    data = imagecodecs.png_decode(encoded)
    del encoded
    source_shape = tuple(int(n) for n in data.shape)
    kept = _PNG_COLOUR_TYPES_WITH_ALPHA_OR_RGB[colour_type]
    data = data[..., 0] if kept == 1 else data[..., :kept]
    is_rgb = kept == 3
    return Decoded(
        data=data,
        axes="YXS" if is_rgb else "YX",
        source_axes="YXS",
        source_shape=source_shape,
        channel_names=RGB_NAMES if is_rgb else (),
        bits_per_sample=16,
        is_rgb=is_rgb,
    )


def _decode_pillow(path: Path) -> Decoded:
    with warnings.catch_warnings():
        # The user's own microscopy files are not decompression bombs; Pillow
        # still refuses images over twice its limit (DecompressionBombError).
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as image:
            image.load()
            bands = len(image.getbands())
            source_shape = (image.height, image.width) + ((bands,) if bands > 1 else ())
            source_axes = "YXS" if bands > 1 else "YX"
            converted = _convert(image)
            data = np.asarray(converted)
    is_rgb = converted.mode == "RGB"
    if converted.mode == "I" and image.format == "PNG" and data.size and 0 <= data.min() and data.max() <= 65535:
        data = data.astype(np.uint16)
    return Decoded(
        data=data,
        axes="YXS" if is_rgb else "YX",
        source_axes=source_axes,
        source_shape=source_shape,
        channel_names=RGB_NAMES if is_rgb else (),
        bits_per_sample=1 if converted.mode == "1" else None,
        is_rgb=is_rgb,
    )


def _convert(image: Image.Image) -> Image.Image:
    """``image`` in a mode whose array is grey or RGB without alpha."""
    mode = image.mode
    if mode == "P":
        palette = np.asarray(image.getpalette() or [0, 0, 0], dtype=np.uint8)
        entries = palette[: len(palette) // 3 * 3].reshape(-1, 3)
        opaque = image.convert("RGBA") if "transparency" in image.info else image
        return opaque.convert("L" if np.all(entries == entries[:, :1]) else "RGB")
    if mode in _AS_GREY:
        return image.convert("L")
    if mode in _AS_RGB:
        return image.convert("RGB")
    return image
