"""Where a project keeps its files, and how image paths are stored in it.

An image path is stored relative to the project folder whenever a relative
path reaches it (always on POSIX; on Windows only on the same drive), in POSIX
form, so a project folder moved or copied together with its images still
finds them.  The absolute path is stored as well and tried second, so a
project file moved alone still finds images that stayed where they were.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path, PurePosixPath
from typing import Collection

PROJECT_FILE = "project.cellcounter.json"
BACKUP_SUFFIX = ".bak"
RESULTS_DIR = "results"
ID_LENGTH = 12


def project_file(path_or_folder: str | os.PathLike[str]) -> Path:
    """The project file of a project folder, or ``path_or_folder`` itself when it is a file.

    Examples
    --------
    >>> project_file("/data/exp1").as_posix()
    '/data/exp1/project.cellcounter.json'
    >>> project_file("/data/exp1/project.cellcounter.json").as_posix()
    '/data/exp1/project.cellcounter.json'
    """
    path = Path(path_or_folder)
    if not path.is_dir() and (path.suffix == ".json" or path.name.endswith(BACKUP_SUFFIX)):
        return path
    return path / PROJECT_FILE


def backup_file(path: str | os.PathLike[str]) -> Path:
    """The backup of the previous save of the project file ``path``."""
    target = Path(path)
    return target.with_name(target.name + BACKUP_SUFFIX)


def new_image_id(taken: Collection[str] = ()) -> str:
    """A short random identifier (12 hex digits) not in ``taken``.

    Examples
    --------
    >>> len(new_image_id())
    12
    """
    while True:
        candidate = uuid.uuid4().hex[:ID_LENGTH]
        if candidate not in taken:
            return candidate


def stored_path(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> str:
    """``path`` as written in the project file: relative to ``folder`` when possible.

    Parameters
    ----------
    path : path-like
        An absolute image path.
    folder : path-like
        The project folder.

    Returns
    -------
    str
        A POSIX-style relative path (``images/a01.tif``, ``../raw/a01.tif``),
        or the absolute path when no relative path reaches it.

    Examples
    --------
    >>> stored_path("/data/exp1/images/a.tif", "/data/exp1")
    'images/a.tif'
    >>> stored_path("/data/raw/a.tif", "/data/exp1")
    '../raw/a.tif'
    """
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, os.path.abspath(folder))
    except ValueError:
        return Path(absolute).as_posix()
    return PurePosixPath(*Path(relative).parts).as_posix()


def resolve_path(stored: str, folder: str | os.PathLike[str], fallback: str = "") -> tuple[Path, bool]:
    """The absolute path of a stored image path, and whether the file exists.

    A relative ``stored`` path is taken from ``folder``; when that file does
    not exist, the absolute ``fallback`` (if any) is tried.  When neither
    exists the first candidate is returned with ``False``.

    Examples
    --------
    >>> path, found = resolve_path("images/a.tif", "/nowhere/exp1")
    >>> path.as_posix(), found
    ('/nowhere/exp1/images/a.tif', False)
    """
    candidates = [Path(os.path.normpath(Path(folder) / stored))]
    if fallback:
        candidates.append(Path(os.path.normpath(fallback)))
    for candidate in candidates:
        if candidate.is_file():
            return candidate, True
    return candidates[0], False
