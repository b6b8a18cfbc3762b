"""Atomic file writes: a file is either the old one or the complete new one.

Every file is written to a hidden temporary file in the target's folder,
flushed to disk and moved onto the target with :func:`os.replace`, so a crash
or an error while writing leaves the previous file untouched.  Used by the
exporters, the project store and the model export.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import socket
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import CellCounterError

log = logging.getLogger(__name__)

_HOST = f"{zlib.crc32(socket.gethostname().encode()) & 0xFFFF:04x}"
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?:(?P<host>[0-9a-f]{4})-(?P<pid>\d+)-)?[0-9a-f]{12}(?:\.[a-z]+)?\.tmp$")
"""``.NAME.<host>-<pid>-<random>[.part].tmp`` (and ``.NAME.<random>.tmp`` of versions before 1.x)."""
FOREIGN_AGE_S = 24 * 3600
"""A temporary file of another computer (a shared folder) is stale once it is this old."""


def temporary_path(path: str | os.PathLike[str], part: str = "") -> Path:
    """A new hidden temporary path next to ``path``, named after it, this computer and this process.

    ``part`` (lower-case letters) tells apart several temporaries of one target.

    Examples
    --------
    >>> temporary_path("out/results.xlsx").name  # doctest: +ELLIPSIS
    '.results.xlsx....tmp'
    """
    target = Path(path)
    suffix = f".{part}" if part else ""
    return target.with_name(f".{target.name}.{_HOST}-{os.getpid()}-{secrets.token_hex(6)}{suffix}.tmp")


def remove_stale_temporaries(folder: str | os.PathLike[str], names: Iterable[str] | None = None) -> list[Path]:
    """Delete the temporary files a killed writer left in ``folder``; return those deleted.

    A temporary file (see `temporary_path`) is stale when the process that
    made it on this computer has ended, when it comes from a version that did
    not name the process, or when another computer made it over a day ago.
    ``names`` limits the clean-up to the temporaries of those targets.
    """
    wanted = None if names is None else set(names)
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMPORARY.match(entry.name)
        if match is None or (wanted is not None and match["name"] not in wanted) or not _is_stale(match, entry):
            continue
        try:
            os.unlink(entry.path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.warning("could not remove the stale temporary file %s: %s", entry.path, exc.strerror or exc)
            continue
        log.info("removed the stale temporary file %s", entry.path)
        removed.append(Path(entry.path))
    return removed


def _is_stale(match: re.Match[str], entry: os.DirEntry[str]) -> bool:
    if match["pid"] is None:
        return True
    if match["host"] != _HOST or os.name != "posix":
        try:
            return time.time() - entry.stat().st_mtime > FOREIGN_AGE_S
        except OSError:
            return False
    try:
        os.kill(int(match["pid"]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    return False


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
    tmp = temporary_path(target)
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
