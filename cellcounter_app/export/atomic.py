"""Safe output files: refuse to overwrite by accident, never leave half a file.

Every exporter writes into a hidden temporary file next to the target and moves
it onto the target with :func:`os.replace` only once the file is complete and
flushed to disk, so a crash, a full disk or an exception while writing leaves
the previous file (if any) untouched.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import CellCounterError

log = logging.getLogger(__name__)


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


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path in ``path``'s folder; move it onto ``path`` on success.

    The caller writes the whole file to the yielded path. When the ``with``
    block ends normally the file is flushed to disk and renamed onto ``path``
    in one step; when it raises, the temporary file is removed and ``path`` is
    left as it was.

    Raises
    ------
    CellCounterError
        The block wrote nothing, or the operating system refused the write or
        the rename (disk full, file open in another program, ...).

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> target.read_text()
    'hello'
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
        hint = " (is it open in another program?)" if isinstance(exc, PermissionError) else ""
        raise CellCounterError(f"cannot write {target}: {exc.strerror or exc}{hint}") from exc
    except BaseException:
        _remove(tmp)
        raise
    _fsync_folder(target.parent)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (overwriting it) and return the path.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "b.bin"
    >>> atomic_write_bytes(target, b"abc").read_bytes()
    b'abc'
    """
    target = Path(path)
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return target


def _remove(tmp: Path) -> None:
    try:
        tmp.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not remove the temporary file %s: %s", tmp, exc)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable where the platform allows it (POSIX only)."""
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
