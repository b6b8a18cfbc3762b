"""What ``--dask`` names: a local cluster of N workers, a running scheduler, or a scheduler file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MAX_LOCAL_WORKERS = 256
"""Most worker processes ``local:N`` starts (as `--threads` bounds threads)."""

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_HOST_PORT = re.compile(r"^[A-Za-z0-9.\-]+:\d{1,5}$")
FORMS = "local, local:N (N worker processes), tcp://HOST:PORT (a running scheduler) or a scheduler file (.json)"


@dataclass(frozen=True)
class DaskAddress:
    """A parsed ``--dask`` value.

    ``kind`` is ``"local"`` (start a `LocalCluster` of ``workers`` processes;
    None: one per core, as Dask chooses), ``"scheduler"`` (connect to the
    scheduler at ``target``) or ``"file"`` (the scheduler written in the
    scheduler file ``target``, as ``dask scheduler --scheduler-file`` does).
    """

    kind: str
    target: str = ""
    workers: int | None = None

    def describe(self) -> str:
        """``a local Dask cluster of 2 workers``, ``the Dask scheduler at tcp://h:8786``, ..."""
        if self.kind == "local":
            return "a local Dask cluster" + (f" of {self.workers} worker(s)" if self.workers else "")
        if self.kind == "file":
            return f"the Dask scheduler of {self.target}"
        return f"the Dask scheduler at {self.target}"


def parse_address(text: str) -> DaskAddress:
    """Parse a ``--dask`` value.

    Raises
    ------
    ValueError
        ``text`` is none of the forms in `FORMS`, or ``local:N`` has N outside
        1 to `MAX_LOCAL_WORKERS`.

    Examples
    --------
    >>> parse_address("local:2")
    DaskAddress(kind='local', target='', workers=2)
    >>> parse_address("tcp://10.0.0.5:8786").kind, parse_address("node7:8786").target
    ('scheduler', 'tcp://node7:8786')
    >>> parse_address("scheduler.json").kind
    'file'
    """
    value = text.strip()
    if value.lower() == "local":
        return DaskAddress("local")
    if value.lower().startswith("local:"):
        count = value[len("local:"):]
        if not count.isdigit() or not 1 <= int(count) <= MAX_LOCAL_WORKERS:
            raise ValueError(f"local:N needs a whole number of workers from 1 to {MAX_LOCAL_WORKERS}, got {text!r}")
        return DaskAddress("local", workers=int(count))
    if _SCHEME.match(value):
        return DaskAddress("scheduler", value)
    if _HOST_PORT.match(value):
        return DaskAddress("scheduler", "tcp://" + value)
    if value and (value.lower().endswith(".json") or Path(value).expanduser().is_file()):
        return DaskAddress("file", str(Path(value).expanduser()))
    raise ValueError(f"expected {FORMS}, got {text!r}")
