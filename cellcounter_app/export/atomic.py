"""Safe output files: refuse to overwrite by accident, never leave half a file.

Every exporter writes into a hidden temporary file next to the target and moves
it onto the target with :func:`os.replace` only once the file is complete and
flushed to disk, so a crash, a full disk or an exception while writing leaves
the previous file (if any) untouched.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..atomic import atomic_path, atomic_write_bytes
from ..errors import CellCounterError

__all__ = ["OutputExistsError", "atomic_path", "atomic_write_bytes", "check_writable"]


class OutputExistsError(CellCounterError):
    """An output file exists and overwriting was not allowed."""


def check_writable(path: str | os.PathLike[str], *, force: bool) -> None:
    """Raise unless ``path`` can be written.

    Parameters
    ----------
    path : path-like
        The output file.
    force : bool
        Whether an existing file may be overwritten.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``force`` is False.
    CellCounterError
        ``path`` is a folder, or its parent folder does not exist or is not
        writable.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> check_writable(folder / "results.xlsx", force=False)
    >>> _ = (folder / "results.xlsx").write_bytes(b"old")
    >>> check_writable(folder / "results.xlsx", force=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cellcounter_app.export.atomic.OutputExistsError: ... already exists; use --force to overwrite
    """
    target = Path(path)
    if target.is_dir():
        raise CellCounterError(f"{target} is a folder; give a file name")
    if target.exists() and not force:
        raise OutputExistsError(f"{target} already exists; use --force to overwrite")
    parent = target.parent
    if not parent.is_dir():
        raise CellCounterError(f"output folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CellCounterError(f"output folder {parent} is not writable")
