"""Atomic file writes and the label images of a project's ``results/`` folder.

Every file is written to a hidden temporary file in the target's folder,
flushed to disk and moved onto the target with :func:`os.replace`, so a crash
or an error while writing leaves the previous file untouched.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import tifffile

from ..errors import CellCounterError

log = logging.getLogger(__name__)


@contextmanager
def atomic_target(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; once written, move it onto ``path``.

    When the ``with`` block raises, the temporary file is removed and ``path``
    is left as it was.

    Raises
    ------
    CellCounterError
        Nothing was written, or the operating system refused the write or
        the rename.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        yield tmp
        if not tmp.is_file():
            raise CellCounterError(f"{target}: nothing was written")
        with open(tmp, "r+b") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        _remove(tmp)
        raise CellCounterError(f"cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException:
        _remove(tmp)
        raise
    sync_folder(target.parent)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return ``path``.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a.json"
    >>> atomic_write_bytes(target, b"{}").read_bytes()
    b'{}'
    """
    with atomic_target(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_labels(path: str | os.PathLike[str], labels: np.ndarray) -> Path:
    """Write a 2-D label image atomically as a zlib TIFF (uint16, or uint32 above 65535).

    Examples
    --------
    >>> import tempfile
    >>> out = write_labels(Path(tempfile.mkdtemp()) / "l.tif", np.eye(3, dtype=np.int64) * 70000)
    >>> read_labels(out).dtype, int(read_labels(out).max())
    (dtype('uint32'), 70000)
    """
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be a 2-D integer array, got shape {labels.shape} and dtype {labels.dtype}")
    high = int(labels.max()) if labels.size else 0
    low = int(labels.min()) if labels.size else 0
    if low < 0 or high > np.iinfo(np.uint32).max:
        raise ValueError(f"labels must be between 0 and {np.iinfo(np.uint32).max}, got {low} to {high}")
    dtype = np.uint16 if high <= np.iinfo(np.uint16).max else np.uint32
    with atomic_target(path) as tmp:
        tifffile.imwrite(tmp, labels.astype(dtype, copy=False), compression="zlib", photometric="minisblack")
    return Path(path)


def read_labels(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a label image written by :func:`write_labels`.

    Raises
    ------
    CellCounterError
        The file is missing, unreadable, or not a 2-D integer image.
    """
    target = Path(path)
    try:
        labels = tifffile.imread(target)
    except (OSError, ValueError, tifffile.TiffFileError) as exc:
        raise CellCounterError(f"cannot read the label image {target}: {exc}") from exc
    if labels.ndim != 2 or labels.dtype.kind not in "iu":
        raise CellCounterError(f"{target} is not a 2-D label image (shape {labels.shape}, dtype {labels.dtype})")
    return labels


def sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable where the platform allows it (POSIX only)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        log.debug("cannot open %s to sync it: %s", folder, exc)
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        log.debug("file system of %s does not sync folders: %s", folder, exc)
    finally:
        os.close(fd)


def _remove(tmp: Path) -> None:
    try:
        tmp.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not remove the temporary file %s: %s", tmp, exc)
