"""Find the image files among files and folders the user chose."""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import Iterable

from .vendor import members

IMAGE_EXTENSIONS: frozenset[str] = frozenset({".tif", ".tiff", ".png", ".jpg", ".jpeg", ".bmp",
                                              ".nd2", ".czi", ".lif", ".vsi", ".zarr"})
"""Lower-case suffixes CellCounter reads (``.ome.tif`` ends in ``.tif``; vendor
formats and ``.zarr`` folders need the ``formats`` extra, see `vendor`)."""

UNREADABLE_FORMATS: dict[str, str] = {
    ".oir": "an Olympus/Evident FluoView OIR file", ".oib": "an Olympus FluoView OIB file",
    ".oif": "an Olympus FluoView OIF file", ".ims": "an Imaris file", ".sld": "a SlideBook file",
    ".dv": "a DeltaVision file", ".lsm": "a Zeiss LSM file", ".ndpi": "a Hamamatsu NDPI slide",
    ".svs": "an Aperio SVS slide", ".mrxs": "a 3DHISTECH MRXS slide",
}
"""Microscope files found in a folder that CellCounter cannot read yet: they are listed with the images, so
that each gets an error row saying so (`unreadable_reason`), rather than being passed over as not images."""

NOT_AN_IMAGE = "not an image file"
NO_SUCH_PATH = "no such file or folder"
LINK_LOOP = "symbolic link loop"

_SPECIAL_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                  (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))

_DIGITS = re.compile(r"(\d+)")
_HIDDEN_SHOWN = 3


def is_image_file(path: str | Path) -> bool:
    """Whether ``path`` is an existing file with an image extension.

    Examples
    --------
    >>> is_image_file("no/such/file.tif")
    False
    """
    path = Path(path)
    if path.suffix.lower() == ".zarr":
        return path.is_dir()
    return path.suffix.lower() in IMAGE_EXTENSIONS and path.is_file()


def special_file(path: str | Path) -> str | None:
    """Why ``path`` cannot be an image file for what it is, or None (a file, a folder or nothing at all).

    A named pipe or a device would block or never end when read: they are
    refused before they are opened, as is a symbolic link that leads back to
    itself.

    Examples
    --------
    >>> special_file("/dev/null")
    'not a regular file: a character device'
    >>> special_file("no/such/file.tif") is None
    True
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return LINK_LOOP if exc.errno == errno.ELOOP else None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kind = next((name for test, name in _SPECIAL_KINDS if test(mode)), "a special file")
    target = os.path.realpath(path)
    via = f" ({Path(path).name} links to {target})" if os.path.islink(path) else ""
    return f"not a regular file: {kind}{via}"


def natural_key(path: str | Path) -> tuple[tuple[object, ...], ...]:
    """Sort key that orders numbers by value: ``img2`` before ``img10``.

    Compares path components one by one, ignoring case.

    Examples
    --------
    >>> sorted(["img10.tif", "img2.tif", "Img1.tif"], key=natural_key)
    ['Img1.tif', 'img2.tif', 'img10.tif']
    """
    parts = Path(path).parts
    return tuple(
        tuple(int(chunk) if i % 2 else chunk.casefold() for i, chunk in enumerate(_DIGITS.split(part)))
        for part in parts
    )


def find_images(inputs: Iterable[str | Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The image files among ``inputs``, and the inputs that were skipped.

    Parameters
    ----------
    inputs : iterable of str or Path
        Files and folders.  Folders are searched recursively; hidden files
        and folders (names starting with ``.``) inside them are ignored.

    Returns
    -------
    images : list of Path
        Image files (see `IMAGE_EXTENSIONS`), each once, in natural order of
        their paths (``img2`` before ``img10``).
    skipped : list of (Path, str)
        Paths that are not read, with the reason: ``"no such file or
        folder"``, ``"not an image file"``, ``"cannot list folder: ..."``,
        a `special_file` reason (a pipe, a device, a link loop), or, once
        per folder, the hidden image files and folders it holds.

    Examples
    --------
    >>> images, skipped = find_images(["no/such/folder"])
    >>> images, skipped[0][1]
    ([], 'no such file or folder')
    """
    images: dict[Path, Path] = {}  # resolved path -> path as found
    skipped: list[tuple[Path, str]] = []
    for item in inputs:
        path = Path(item)
        special = special_file(path)
        if special is not None:
            skipped.append((path, special))
        elif path.is_dir() and path.suffix.lower() == ".zarr":
            _add(path, images, skipped)
        elif path.is_dir():
            _walk(path, images, skipped)
        elif path.is_file():
            _add(path, images, skipped)
        else:
            skipped.append((path, NO_SUCH_PATH))
    return sorted(images.values(), key=lambda p: (natural_key(p), str(p))), skipped


def _add(path: Path, images: dict[Path, Path], skipped: list[tuple[Path, str]]) -> None:
    special = special_file(path) if path.suffix.lower() in IMAGE_EXTENSIONS else None
    if special is not None:
        skipped.append((path, special))
    elif path.suffix.lower() in IMAGE_EXTENSIONS:
        for member in members(path):
            images.setdefault(member.parent.resolve() / member.name, member)
    elif path.suffix.lower() in UNREADABLE_FORMATS:
        images.setdefault(path.resolve(), path)
    else:
        skipped.append((path, NOT_AN_IMAGE))


def _walk(folder: Path, images: dict[Path, Path], skipped: list[tuple[Path, str]]) -> None:
    def failed(error: OSError) -> None:
        skipped.append((Path(error.filename or folder), f"cannot list folder: {error.strerror or error}"))

    for root, dirs, files in os.walk(folder, onerror=failed):
        hidden = sorted([f"{d}/" for d in dirs if d.startswith(".")]
                        + [f for f in files if f.startswith(".") and Path(f).suffix.lower() in IMAGE_EXTENSIONS])
        if hidden:
            shown = ", ".join(hidden[:_HIDDEN_SHOWN]) + (", ..." if len(hidden) > _HIDDEN_SHOWN else "")
            skipped.append((Path(root), f"{len(hidden)} hidden file(s) or folder(s) not read"
                                        f" (names starting with '.'): {shown}"))
        zarrs = [d for d in dirs if d.lower().endswith(".zarr") and not d.startswith(".")]
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in zarrs]
        files = [*files, *zarrs]
        for name in files:
            if not name.startswith("."):
                _add(Path(root) / name, images, skipped)


def unreadable_reason(path: Path) -> str | None:
    """Why a microscope file of `UNREADABLE_FORMATS` is not counted, with what to do; None for other files.

    Examples
    --------
    >>> unreadable_reason(Path("scan.oir"))
    'an Olympus/Evident FluoView OIR file: CellCounter cannot read this format yet; save it as OME-TIFF (in the microscope software, or in Fiji with Bio-Formats) and count that'
    """
    kind = UNREADABLE_FORMATS.get(path.suffix.lower())
    if kind is None:
        return None
    return (f"{kind}: CellCounter cannot read this format yet; save it as OME-TIFF (in the microscope software,"
            " or in Fiji with Bio-Formats) and count that")
