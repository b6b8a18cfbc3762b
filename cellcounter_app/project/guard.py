"""Project files a save must not simply replace: damaged ones are kept aside, newer ones refused.

A damaged project file is often mostly recoverable by hand, so before it is
replaced a copy is kept next to it as ``project.cellcounter.json.damaged-<time>``.
A project file written by a newer CellCounter (a higher ``schema_version``)
is never overwritten: this version would drop what it does not know.
"""

from __future__ import annotations

import json
import logging
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import CellCounterError
from .migrations import CURRENT_VERSION

log = logging.getLogger(__name__)

DAMAGED_SUFFIX = ".damaged-"


def parse(raw: bytes) -> Any | None:
    """The JSON data in ``raw``, or None when it is not readable JSON.

    Too deep nesting (RecursionError) and numbers of thousands of digits
    (ValueError) are unreadable too, not crashes.

    Examples
    --------
    >>> parse(b'{"a": 1}'), parse(b"{ damaged"), parse(b"[" * 100000), parse(b"1" * 5000)
    ({'a': 1}, None, None, None)
    """
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def read_existing(target: Path, purpose: str) -> bytes | None:
    """The bytes of the project file ``target``, or None when there is none yet.

    Raises
    ------
    CellCounterError
        ``target`` exists but cannot be read; the message says why it was read (``purpose``).
    """
    try:
        return target.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CellCounterError(f"cannot read {target} {purpose}: {exc.strerror or exc}") from exc


def newer_schema(data: Any) -> int | None:
    """The schema version of project data when it is newer than this CellCounter reads, else None."""
    version = data.get("schema_version") if isinstance(data, dict) else None
    if isinstance(version, int) and not isinstance(version, bool) and version > CURRENT_VERSION:
        return version
    return None


def check_replaceable(target: Path) -> None:
    """Before a save replaces ``target``: refuse a newer project file, keep a damaged one aside.

    Raises
    ------
    CellCounterError
        ``target`` was written by a newer CellCounter, or cannot be read.
    """
    raw = read_existing(target, "before replacing it")
    if raw is None:
        return
    data = parse(raw)
    version = newer_schema(data)
    if version is not None:
        made_by = data.get("app_version") if isinstance(data.get("app_version"), str) else ""
        raise CellCounterError(
            f"not saved: {target} was written by a newer CellCounter {made_by}(project schema version "
            f"{version}; CellCounter {__version__} reads up to {CURRENT_VERSION}); this version does not "
            f"overwrite it: save into another folder, or update CellCounter")
    if not isinstance(data, dict):
        kept = keep_aside(target)
        log.warning("%s is damaged; it is kept as %s", target, kept)


def keep_aside(path: Path) -> Path:
    """Copy the project file ``path`` to ``<name>.damaged-<time>`` (unless such a copy is already there).

    Returns the copy.  Raises `CellCounterError` when it cannot be made.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CellCounterError(f"cannot read the damaged project file {path}: {exc.strerror or exc}") from exc
    for existing in sorted(path.parent.glob(path.name + DAMAGED_SUFFIX + "*")):
        try:
            if existing.read_bytes() == raw:
                return existing
        except OSError:
            continue
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    copy = path.with_name(f"{path.name}{DAMAGED_SUFFIX}{stamp}")
    number = 1
    while copy.exists():
        number += 1
        copy = path.with_name(f"{path.name}{DAMAGED_SUFFIX}{stamp}-{number}")
    try:
        shutil.copyfile(path, copy)
    except OSError as exc:
        raise CellCounterError(f"cannot keep the damaged project file {path} as {copy}: "
                               f"{exc.strerror or exc}; nothing was saved") from exc
    return copy
