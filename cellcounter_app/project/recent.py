"""The list of recently opened projects, kept in a small JSON file."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from ..errors import CellCounterError, ParameterError
from ..atomic import atomic_write_bytes

log = logging.getLogger(__name__)


class RecentProjects:
    """Most recently used project folders first, at most ``max_items``, saved atomically.

    The GUI points it at a file in the user's configuration folder.  An
    unreadable list file is logged and replaced by an empty list: it is only
    a convenience.

    Examples
    --------
    >>> import tempfile
    >>> recent = RecentProjects(Path(tempfile.mkdtemp()) / "recent.json", max_items=2)
    >>> for name in ("a", "b", "c"):
    ...     recent.add(Path("/data") / name)
    >>> [p.name for p in recent.list()]
    ['c', 'b']
    """

    def __init__(self, path: str | os.PathLike[str], max_items: int = 10):
        if isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 1:
            raise ParameterError(f"max_items must be an integer >= 1, got {max_items!r}")
        self.path = Path(path)
        self.max_items = max_items
        self._items = self._read()[:max_items]

    def list(self) -> list[Path]:
        return list(self._items)

    def add(self, folder: str | os.PathLike[str]) -> None:
        """Put ``folder`` first (moving it up if it is already listed) and save."""
        target = Path(os.path.abspath(folder))
        self._items = [target, *(p for p in self._items if p != target)][: self.max_items]
        self._write()

    def remove(self, folder: str | os.PathLike[str]) -> None:
        target = Path(os.path.abspath(folder))
        if target in self._items:
            self._items.remove(target)
            self._write()

    def remove_missing(self) -> list[Path]:
        """Drop the projects whose folder no longer exists; returns those dropped."""
        gone = [p for p in self._items if not p.is_dir()]
        if gone:
            self._items = [p for p in self._items if p not in gone]
            self._write()
        return gone

    def _read(self) -> list[Path]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            log.warning("ignoring the unreadable list of recent projects %s: %s", self.path, exc)
            return []
        items = data.get("recent") if isinstance(data, dict) else None
        if not isinstance(items, list):
            log.warning("ignoring the list of recent projects %s: no 'recent' list", self.path)
            return []
        return list(dict.fromkeys(Path(p) for p in items if isinstance(p, str) and p))

    def _write(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CellCounterError(f"cannot create {self.path.parent}: {exc.strerror or exc}") from exc
        text = json.dumps({"recent": [p.as_posix() for p in self._items]}, indent=2)
        atomic_write_bytes(self.path, (text + "\n").encode("utf-8"))
