"""Upgrades of project data from older schema versions, one version at a time.

:data:`MIGRATIONS` maps a version N to the function that turns data of
version N into data of version N + 1; :func:`migrate` chains them up to
:data:`CURRENT_VERSION`.  A migration takes and returns plain JSON data and
never changes its argument.  Add a function here, and bump
:data:`CURRENT_VERSION`, whenever the project file changes shape.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from .. import __version__
from ..postprocess.params import SPECS_BY_NAME
from .paths import new_image_id

CURRENT_VERSION = 1

Data = dict[str, Any]


class NewerSchemaError(ValueError):
    """The data was written by a newer CellCounter than this one."""

    def __init__(self, version: int, app_version: str = ""):
        self.version = version
        self.app_version = app_version
        needed = f"CellCounter {app_version} or later" if app_version else "a newer CellCounter"
        super().__init__(
            f"it was made by a newer CellCounter {app_version + ' ' if app_version else ''}(project schema "
            f"version {version}; CellCounter {__version__} reads up to {CURRENT_VERSION}); install {needed} "
            f"to open it"
        )


def _v0_to_v1(data: Data) -> Data:
    """Schema 0 (the first prototype): flat parameters at the top level and ``files``, plain paths.

    Every top-level key naming a post-processing parameter (``threshold``,
    ``min_size``, ...) becomes a project default; every file becomes a new,
    uncounted image.
    """
    files = data.get("files", [])
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise ValueError("files must be a list of paths")
    ids: list[str] = []
    for _ in files:
        ids.append(new_image_id(ids))
    return {
        "schema_version": 1,
        "app_version": str(data.get("app_version", "")),
        "name": str(data.get("name", "")),
        "created": str(data.get("created", "")),
        "modified": str(data.get("modified", "")),
        "defaults": {
            "model": str(data.get("model", "")),
            "params": {name: value for name, value in data.items() if name in SPECS_BY_NAME},
        },
        "groups": {},
        "images": [{"id": image_id, "path": path, "status": "new"} for image_id, path in zip(ids, files)],
    }


MIGRATIONS: dict[int, Callable[[Data], Data]] = {
    0: _v0_to_v1,
}


def schema_version(data: Data) -> int:
    """The schema version of project data (0 when absent: the first prototype had none)."""
    version = data.get("schema_version", 0)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ValueError(f"schema_version must be an integer >= 0, got {version!r}")
    return version


def migrate(data: Data) -> Data:
    """Bring project data to :data:`CURRENT_VERSION`.

    Raises
    ------
    NewerSchemaError
        The data comes from a newer CellCounter.
    ValueError
        The data cannot be migrated (it is not what its version says).

    Examples
    --------
    >>> new = migrate({"threshold": 0.6, "files": ["a.tif"]})
    >>> new["schema_version"], new["defaults"]["params"], new["images"][0]["path"]
    (1, {'threshold': 0.6}, 'a.tif')
    """
    version = schema_version(data)
    if version > CURRENT_VERSION:
        made_by = data.get("app_version")
        raise NewerSchemaError(version, made_by[:40] if isinstance(made_by, str) else "")
    current = copy.deepcopy(data)
    while version < CURRENT_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise ValueError(f"no migration from project schema version {version}")
        current = step(current)
        new_version = schema_version(current)
        if new_version != version + 1:
            raise RuntimeError(f"the migration from schema {version} produced schema {new_version}")
        version = new_version
    return current
