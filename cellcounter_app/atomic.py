"""Atomic file writes: a file is either the old one or the complete new one.

Every file is written to a hidden temporary file in the target's folder,
flushed to disk and moved onto the target with :func:`os.replace`, so a crash
or an error while writing leaves the previous file untouched.  Used by the
exporters, the project store and the model export.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import CellCounterError

log = logging.getLogger(__name__)


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
