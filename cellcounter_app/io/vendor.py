"""Microscope vendor formats and OME-Zarr: ND2, CZI, LIF, VSI/ETS, ``.zarr``.

Each format is read by the field's maintained reader, installed with the
optional ``formats`` extra (``pip install 'cellcounter[formats]'``):

========  ===================  ============
format    reader               licence
========  ===================  ============
ND2       ``nd2``              BSD-3
CZI       ``pylibCZIrw``       LGPL-3
LIF       ``liffile``          BSD-3
VSI/ETS   ``bioio-vsi``        BSD-3
OME-Zarr  ``zarr``             MIT
========  ===================  ============

A file holding several images is several images: each CZI scene, LIF series
and ND2 position is named ``file.czi [scene 2]`` (1-based), and a time series
is counted per frame (``file.nd2 [frame 3]``, ``file.lif [series 2, frame 1]``).
Those names are paths `read_image` accepts; `members` lists them.  LIF tile
scans (mosaics) are refused: their tiles overlap and are not stitched here;
CZI mosaics are stitched by pylibCZIrw.  Spectral (λ) axes of LIF files are
read as channels named by their wavelength.  OME-Zarr reads the
full-resolution level lazily: only the planes asked for are loaded.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import ImageReadError
from .calibration import pixel_size_from_length
from .failures import DECODER_ERRORS, decoder_reason
from .layout import Decoded

VENDOR_FORMATS: dict[str, tuple[str, str]] = {
    ".nd2": ("ND2", "nd2"),
    ".czi": ("CZI", "pylibCZIrw"),
    ".lif": ("LIF", "liffile"),
    ".vsi": ("VSI", "bioio-vsi"),
    ".zarr": ("OME-Zarr", "zarr"),
}
"""Suffix -> (format name, the PyPI package that reads it)."""

_MEMBER = re.compile(r"^(?P<file>.+?) \[(?P<parts>(?:scene|series|position|frame) \d+"
                     r"(?:, (?:scene|series|position|frame) \d+)*)\]$")


def split_member(path: Path) -> tuple[Path, dict[str, int]]:
    """``file.czi [scene 2, frame 1]`` -> (``file.czi``, {"scene": 1, "frame": 0}) (0-based).

    Examples
    --------
    >>> split_member(Path("a/b.czi [scene 2]"))
    (PosixPath('a/b.czi'), {'scene': 1})
    >>> split_member(Path("a/b.czi"))
    (PosixPath('a/b.czi'), {})
    """
    match = _MEMBER.match(path.name)
    if match is None:
        return path, {}
    parts = {}
    for item in match["parts"].split(", "):
        kind, number = item.split(" ")
        parts[kind] = int(number) - 1
    return path.with_name(match["file"]), parts


def vendor_suffix(path: Path) -> str | None:
    """The vendor suffix of ``path`` (or of the file a member name points into), else None."""
    suffix = split_member(path)[0].suffix.lower()
    return suffix if suffix in VENDOR_FORMATS else None


def members(path: Path) -> list[Path]:
    """The image names inside a vendor file: ``[path]`` for a single image.

    A file that cannot be opened is returned as ``[path]`` so that reading it
    reports why.
    """
    suffix = vendor_suffix(path)
    if suffix is None:
        return [path]
    try:
        layout = _module(path, suffix).layout(path)
    except (ImageReadError, *DECODER_ERRORS):
        return [path]
    return [_member_name(path, parts) for parts in layout] or [path]


def decode_vendor(path: Path) -> Decoded:
    """Pixels and metadata of one image of a vendor file (or member name).

    Raises
    ------
    ImageReadError
        When the reader is not installed, the file is corrupt, the member does
        not exist, or the image is a mosaic that is not stitched.
    """
    file, parts = split_member(path)
    suffix = vendor_suffix(path)
    if not file.exists():
        raise ImageReadError(path, "no such file")
    module = _module(path, suffix)
    try:
        return module.decode(file, parts)
    except ImageReadError as exc:
        if Path(exc.path) == path:
            raise
        raise ImageReadError(path, exc.reason) from exc
    except MemoryError as exc:
        raise ImageReadError(path, "not enough memory to read this image") from exc
    except DECODER_ERRORS as exc:
        raise ImageReadError(path, decoder_reason(exc, VENDOR_FORMATS[suffix][0])) from exc


def materialise(data) -> np.ndarray:
    """``data`` as a numpy array; a lazy (dask) array is computed in this thread."""
    if hasattr(data, "compute"):
        return np.asarray(data.compute(scheduler="synchronous"))
    return np.asarray(data)


def _member_name(path: Path, parts: dict[str, int]) -> Path:
    if not parts:
        return path
    text = ", ".join(f"{kind} {index + 1}" for kind, index in parts.items())
    return path.with_name(f"{path.name} [{text}]")


def _module(path: Path, suffix: str | None):
    name, package = VENDOR_FORMATS[suffix or ""]
    try:
        if suffix == ".nd2":
            from . import vendor_nd2 as module
        elif suffix == ".czi":
            from . import vendor_czi as module
        elif suffix == ".lif":
            from . import vendor_lif as module
        elif suffix == ".vsi":
            from . import vendor_vsi as module
        else:
            from . import vendor_zarr as module
    except ImportError as exc:
        raise ImageReadError(path, f"reading {name} files needs the optional reader {package!r}:"
                                   " pip install 'cellcounter[formats]'") from exc
    return module


def pick(path: Path, parts: dict[str, int], kind: str, count: int) -> int:
    """The 0-based index of ``kind`` in ``parts`` (0 when absent); raises when out of range."""
    index = parts.get(kind, 0)
    if index >= count:
        raise ImageReadError(path, f"{kind} {index + 1} does not exist: the file has {count} {kind}(s)")
    return index


def layout_of(outer: tuple[str, int], frames: int) -> list[dict[str, int]]:
    """Member parts for ``outer = (kind, count)`` images of ``frames`` time points each."""
    kind, count = outer
    return [{**({kind: i} if count > 1 else {}), **({"frame": t} if frames > 1 else {})}
            for i in range(count) for t in range(frames)]


def metres_to_um(value: float | None) -> float | None:
    """A pixel size in metres as µm, None when missing or not positive."""
    return pixel_size_from_length(str(value), "m") if value else None


def as_decoded(data: np.ndarray, axes: str, names: tuple[str, ...], pixel_size_um: float | None,
               source: tuple[str, tuple[int, ...]], is_rgb: bool = False) -> Decoded:
    """A `Decoded` record for an array of ``axes`` (tifffile letters)."""
    return Decoded(data=data, axes=axes, source_axes=source[0], source_shape=source[1],
                   channel_names=names, pixel_size_um=pixel_size_um,
                   bits_per_sample=None, is_rgb=is_rgb)
