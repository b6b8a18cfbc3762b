"""Errors and warnings of a session: one list the error panel shows, and the log file.

Qt-free.  `ErrorLogHandler` forwards every WARNING and ERROR log record, from
any thread, into an `ErrorLog`; `install_log_file` writes the whole log to a
rotating file in the user's config folder.  Subscribers of an `ErrorLog` are
called in the thread that added the record: a GUI view must hand the call
over to its own thread (see `~cellcounter_app.gui.qt_error_panel`).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from ..errors import CellCounterError, ParameterError

Callback = Callable[[str, Any], None]
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
MAX_LOG_BYTES = 2_000_000
LOG_BACKUPS = 3


@dataclass(frozen=True)
class ErrorRecord:
    """One error or warning: when, where from, what, and the details (traceback)."""

    time: datetime
    source: str
    message: str
    details: str = ""
    level: str = "ERROR"

    def as_text(self) -> str:
        """The record as a few lines of text (time, level, source, message, details)."""
        head = f"{self.time:%Y-%m-%d %H:%M:%S} {self.level} {self.source}: {self.message}"
        return f"{head}\n{self.details}" if self.details else head


class ErrorLog:
    """A thread-safe list of `ErrorRecord`, the newest last, at most ``max_records``.

    Subscribers are called as ``callback(event, payload)``: ``("added",
    record)`` or ``("cleared", None)``, in the thread that made the change.

    Examples
    --------
    >>> log = ErrorLog()
    >>> events = []
    >>> unsubscribe = log.subscribe(lambda event, payload: events.append(event))
    >>> log.record("a01.tif", "truncated TIFF").message
    'truncated TIFF'
    >>> len(log), events
    (1, ['added'])
    >>> log.clear(); len(log), events
    (0, ['added', 'cleared'])
    """

    def __init__(self, max_records: int = 1000) -> None:
        if isinstance(max_records, bool) or not isinstance(max_records, int) or not 1 <= max_records <= 1_000_000:
            raise ParameterError(f"max_records must be an integer between 1 and 1000000, got {max_records!r}")
        self.max_records = max_records
        self._records: list[ErrorRecord] = []
        self._subscribers: list[Callback] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    @property
    def records(self) -> tuple[ErrorRecord, ...]:
        """A snapshot of the records, oldest first."""
        with self._lock:
            return tuple(self._records)

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        """Call ``callback(event, payload)`` on every change; returns the function that unsubscribes."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def add(self, record: ErrorRecord) -> ErrorRecord:
        """Append ``record`` (dropping the oldest beyond ``max_records``) and tell the subscribers."""
        with self._lock:
            self._records.append(record)
            del self._records[:-self.max_records]
            subscribers = list(self._subscribers)
        _tell(subscribers, "added", record)
        return record

    def record(self, source: str, message: str, details: str = "", level: str = "ERROR") -> ErrorRecord:
        """Add a record made now."""
        return self.add(ErrorRecord(datetime.now(), source, message, details, level))

    def clear(self) -> None:
        """Forget every record and tell the subscribers."""
        with self._lock:
            self._records.clear()
            subscribers = list(self._subscribers)
        _tell(subscribers, "cleared", None)


def _tell(subscribers: list[Callback], event: str, payload: Any) -> None:
    """Call every subscriber; the first exception is raised once all were called."""
    failure: Exception | None = None
    for callback in subscribers:
        try:
            callback(event, payload)
        except Exception as exc:  # noqa: BLE001 - re-raised below, once everyone was told
            failure = failure or exc
    if failure is not None:
        raise failure


class ErrorLogHandler(logging.Handler):
    """A logging handler that adds WARNING (by default) and worse records to an `ErrorLog`.

    Safe to use from any thread.  A record logged by a subscriber while it is
    told about another record is not forwarded again (no feedback loop).
    Warnings of other libraries (a TIFF reader's note about a damaged file,
    which CellCounter then reports in its own words) go to the log file only;
    their errors are forwarded.
    """

    def __init__(self, error_log: ErrorLog, level: int = logging.WARNING, own_logger: str = "cellcounter_app") -> None:
        super().__init__(level)
        self.error_log = error_log
        self.own_logger = own_logger
        self._busy = threading.local()
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        own = record.name == self.own_logger or record.name.startswith(self.own_logger + ".")
        return (own or record.levelno >= logging.ERROR) and bool(super().filter(record))

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self._busy, "active", False):
            return
        self._busy.active = True
        try:
            details = ""
            if record.exc_info:
                details = self._formatter.formatException(record.exc_info)
            elif record.exc_text:
                details = record.exc_text
            if record.stack_info:
                details = f"{details}\n{record.stack_info}".strip()
            self.error_log.add(ErrorRecord(datetime.fromtimestamp(record.created), record.name,
                                           record.getMessage(), details, record.levelname))
        except Exception:  # noqa: BLE001 - logging's own contract: report on stderr, never raise
            self.handleError(record)
        finally:
            self._busy.active = False


def install_log_file(path: str | os.PathLike[str], level: int = logging.INFO, *,
                     max_bytes: int = MAX_LOG_BYTES, backups: int = LOG_BACKUPS) -> logging.Handler:
    """Write the application's log to ``path``, rotated at ``max_bytes`` keeping ``backups`` old files.

    The handler goes on the root logger, whose level is lowered to ``level``
    when it is higher.  Installing the same file twice returns the handler
    already installed.

    Raises
    ------
    CellCounterError
        The folder of ``path`` cannot be created or the file cannot be opened.
    """
    if not 1024 <= max_bytes <= 1_000_000_000:
        raise ParameterError(f"max_bytes must be between 1024 and 1000000000, got {max_bytes!r}")
    if not 0 <= backups <= 100:
        raise ParameterError(f"backups must be between 0 and 100, got {backups!r}")
    target = Path(path).expanduser().absolute()
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, logging.FileHandler) and Path(handler.baseFilename) == target:
            return handler
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(target, maxBytes=max_bytes, backupCount=backups,
                                                       encoding="utf-8")
    except OSError as exc:
        raise CellCounterError(f"cannot write the log file {target}: {exc.strerror or exc}") from exc
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    if root.level > level:
        root.setLevel(level)
    return handler
