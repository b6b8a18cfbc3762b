"""The label images of a project's ``results/`` folder, written atomically."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import tifffile

from ..atomic import atomic_path
from ..errors import CellCounterError

log = logging.getLogger(__name__)


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
    with atomic_path(path) as tmp:
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
