"""`read_image`: any supported file to a `LoadedImage`, or an `ImageReadError`."""

from __future__ import annotations

import codecs
from pathlib import Path

import numpy as np

from ..errors import ImageReadError, ParameterError
from .calibration import non_square_note, plausible
from .discover import IMAGE_EXTENSIONS, special_file, unreadable_reason
from .failures import NO_MEMORY
from .image import LoadedImage
from .layout import Decoded, arrange
from .options import ReadOptions
from .raster import decode_raster
from .tiff import decode_tiff
from .vendor import decode_vendor, materialise, vendor_suffix

FORMAT_NAMES: dict[str, str] = {
    ".tif": "TIFF", ".tiff": "TIFF", ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP",
}
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_HEAD_BYTES = 512
_TWELVE_BIT_MAX = 4095
_FINITE_CHUNK = 1 << 20  # values checked at a time for NaN/inf


def read_image(path: str | Path, options: ReadOptions = ReadOptions()) -> LoadedImage:
    """Read an image file as a 2-D or channels-last array with its metadata.

    Parameters
    ----------
    path : str or Path
        A TIFF (also OME-TIFF and ImageJ TIFF), PNG, JPEG or BMP file.  The
        decoder is chosen by content: a TIFF file named ``.png`` still reads.
    options : ReadOptions
        Which channel and Z plane to return (default: every channel, the
        maximum projection of a Z-stack).

    Returns
    -------
    LoadedImage
        ``data`` is ``(H, W)`` or ``(H, W, C)`` in the file's dtype, read-only.
        A plain image is decoded once, with no further copy; a selected
        channel or plane is copied out so that the rest of the file's pixels
        are freed, and projections allocate only their result.

    Raises
    ------
    ImageReadError
        For every file that cannot be read as asked: missing, empty, not an
        image, truncated or corrupt, an unsupported layout (e.g. a time
        series), a channel or Z plane that does not exist, or no finite pixel
        value.  ``reason`` says which; the decoder's own error is chained.
    ParameterError
        When ``options`` is not a `ReadOptions`.

    Notes
    -----
    ``bit_depth`` is the file's ``BitsPerSample`` when it is smaller than the
    dtype (e.g. 12 for 12-bit data stored in uint16).  Cameras often write
    12-bit data with ``BitsPerSample`` 16: a uint16 image whose maximum is at
    most 4095 is therefore reported as 12-bit (an all-dark 16-bit image too;
    the value only guides display and normalisation).  Other images report
    their dtype's size (1 for bilevel images).

    Examples
    --------
    >>> import tempfile, tifffile
    >>> target = Path(tempfile.mkdtemp()) / "stack.tif"
    >>> tifffile.imwrite(target, np.arange(2 * 3 * 4, dtype=np.uint16).reshape(2, 3, 4),
    ...                  metadata={"axes": "ZYX"})
    >>> image = read_image(target)
    >>> image.data.shape, image.source_axes, int(image.data.max()), image.bit_depth
    ((3, 4), 'ZYX', 23, 12)
    """
    path = Path(path)
    if not isinstance(options, ReadOptions):
        raise ParameterError(f"options must be a ReadOptions, got {type(options).__name__}")
    special = special_file(path)  # before anything opens it: a pipe or a device never ends
    if special is not None:
        raise ImageReadError(path, special)
    if vendor_suffix(path) is not None:
        decoded = decode_vendor(path)
    else:
        decoded = _decode_file(path)
    try:
        data, names = arrange(path, decoded, options)
        data = _plain_dtype(path, _detached(materialise(data)))
    except MemoryError as exc:
        raise ImageReadError(path, NO_MEMORY) from exc
    if data.size == 0:
        raise ImageReadError(path, f"empty image (shape {data.shape})")
    if not _has_finite_value(data):
        raise ImageReadError(path, "no finite pixel values (all NaN or infinite)")
    data.flags.writeable = False
    pixel_size_um, calibration_note = plausible(decoded.pixel_size_um)
    if pixel_size_um is not None:
        calibration_note = non_square_note(pixel_size_um, decoded.pixel_height_um)
    return LoadedImage(
        path=path,
        data=data,
        channel_names=names,
        pixel_size_um=pixel_size_um,
        bit_depth=_bit_depth(data, decoded.bits_per_sample),
        source_axes=decoded.source_axes,
        source_shape=decoded.source_shape,
        is_rgb=decoded.is_rgb,
        notes=(calibration_note, *decoded.notes) if calibration_note else decoded.notes,
    )


def _decode_file(path: Path) -> Decoded:
    """TIFF by content, else the raster format the extension names."""
    kind = _check_file(path)
    head = _read_head(path)
    if head.startswith(_TIFF_MAGIC):
        return decode_tiff(path)
    if _is_text(head):
        raise ImageReadError(path, f"not a {kind} image: the file contains text")
    return decode_raster(path, kind)


def _check_file(path: Path) -> str:
    """The format name the extension promises; raises for what cannot be an image file."""
    if path.is_dir():
        raise ImageReadError(path, "is a folder, not an image file")
    if not path.exists():
        raise ImageReadError(path, "no such file")
    suffix = path.suffix.lower()
    if (reason := unreadable_reason(path)) is not None:
        raise ImageReadError(path, reason)
    if suffix not in IMAGE_EXTENSIONS:
        supported = ", ".join(sorted(IMAGE_EXTENSIONS))
        raise ImageReadError(path, f"unsupported file type {suffix or '(no extension)'!r}; supported: {supported}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImageReadError(path, f"cannot open the file ({exc.strerror or exc})") from exc
    if size == 0:
        raise ImageReadError(path, "zero-byte file")
    return FORMAT_NAMES[suffix]


def _read_head(path: Path) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read(_HEAD_BYTES)
    except OSError as exc:
        raise ImageReadError(path, f"cannot open the file ({exc.strerror or exc})") from exc


def _is_text(head: bytes) -> bool:
    """Whether the first bytes are printable UTF-8 text (no image format starts so)."""
    if b"\x00" in head:
        return False
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return all(c.isprintable() or c in "\t\n\r\f\v" for c in text)


def _plain_dtype(path: Path, data: np.ndarray) -> np.ndarray:
    """Bool as uint8 0/1, native byte order; refuses non-real pixel types.

    Bool arrays are converted, not viewed: Pillow's store True as byte 255.
    """
    if data.dtype == np.bool_:
        return data.astype(np.uint8)
    if data.dtype.kind not in "uif":
        raise ImageReadError(path, f"unsupported pixel type {data.dtype}")
    if not data.dtype.isnative:
        return data.astype(data.dtype.newbyteorder("="))
    return data


def _detached(data: np.ndarray) -> np.ndarray:
    """``data``, copied when it is a view of a larger array (so that array can be freed)."""
    base = data.base
    if isinstance(base, np.ndarray) and base.nbytes > data.nbytes:
        return data.copy()
    return data


def _has_finite_value(data: np.ndarray) -> bool:
    """Whether any value is finite; checks float images in chunks to spare memory."""
    if data.dtype.kind != "f":
        return True
    row_size = max(1, data.size // max(1, data.shape[0]))
    step = max(1, _FINITE_CHUNK // row_size)
    return any(bool(np.isfinite(data[start:start + step]).any()) for start in range(0, data.shape[0], step))


def _bit_depth(data: np.ndarray, bits_per_sample: int | None) -> int:
    """Significant bits per value (see `read_image` notes)."""
    size = data.dtype.itemsize * 8
    if bits_per_sample and bits_per_sample < size:
        return bits_per_sample
    if data.dtype == np.uint16 and data.size and int(data.max()) <= _TWELVE_BIT_MAX:
        return 12
    return size
