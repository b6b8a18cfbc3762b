"""The error raised when a project file cannot be opened."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import CellCounterError


class ProjectError(CellCounterError):
    """A project file is damaged, invalid, or made by a newer CellCounter.

    Attributes
    ----------
    path : Path
        The project file that failed.
    reason : str
        What is wrong, in words a user understands.
    backup_available : bool
        Whether the backup of the previous save (``.bak``) exists, so that
        ``load_project(..., from_backup=True)`` can be offered.

    Examples
    --------
    >>> err = ProjectError("p/project.cellcounter.json", "not valid JSON", backup_available=True)
    >>> print(err)  # doctest: +NORMALIZE_WHITESPACE
    cannot open the project p/project.cellcounter.json: not valid JSON
    (a backup of the previous save is available)
    """

    def __init__(self, path: str | os.PathLike[str], reason: str, backup_available: bool = False):
        self.path = Path(path)
        self.reason = reason
        self.backup_available = backup_available
        hint = " (a backup of the previous save is available)" if backup_available else ""
        super().__init__(f"cannot open the project {self.path}: {reason}{hint}")
