"""Safe output files: refuse to overwrite by accident, never leave half a file.

Every exporter writes into a hidden temporary file next to the target and moves
it onto the target with :func:`os.replace` only once the file is complete and
flushed to disk, so a crash, a full disk or an exception while writing leaves
the previous file (if any) untouched.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..atomic import atomic_path, atomic_write_bytes, remove_stale_temporaries, temporary_path
from ..errors import CellCounterError

__all__ = ["OutputExistsError", "atomic_path", "atomic_write_bytes", "check_writable", "make_folder",
           "remove_stale_temporaries", "temporary_path"]


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


def make_folder(path: str | os.PathLike[str]) -> Path:
    """Create the output folder ``path`` (and its parents) if needed and check it can be written.

    Raises
    ------
    CellCounterError
        A file is in the way, or the folder cannot be created or written.

    Examples
    --------
    >>> import tempfile
    >>> make_folder(Path(tempfile.mkdtemp()) / "a" / "b").is_dir()
    True
    """
    folder = Path(path)
    if str(path) == "":
        raise CellCounterError("an output folder needs a name")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise CellCounterError(f"cannot create the output folder {folder}: a file of that name is in the way") from None
    except OSError as exc:
        raise CellCounterError(f"cannot create the output folder {folder}: {exc.strerror or exc}") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CellCounterError(f"output folder {folder} is not writable")
    return folder
