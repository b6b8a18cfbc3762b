"""A `Project` as plain JSON data (the current schema) and back.

:func:`project_to_data` gives only JSON types: no NaN (None instead), no
tuples, no numpy scalars.  :func:`project_from_data` validates every field
and raises `InvalidProject` naming the first wrong one.
"""

from __future__ import annotations

import math
from pathlib import Path, PurePosixPath
from typing import Any, Mapping

import numpy as np

from ..errors import ParameterError
from ..io.options import ReadOptions
from ..results import ModelInfo
from .corrections import Corrections
from .entry import Corrected, Defaults, ImageEntry, clean_number
from .migrations import CURRENT_VERSION
from .model import Project
from .paths import RESULTS_DIR, resolve_path, stored_path
from .regions import Region


class InvalidProject(ValueError):
    """The project data is not a valid project of the current schema."""


def json_safe(value: Any) -> Any:
    """``value`` with only JSON types: non-finite floats become None, tuples lists, numpy scalars Python.

    Examples
    --------
    >>> json_safe({"a": (1, float("nan")), "b": np.float32(0.5), "c": Path("x")})
    {'a': [1, None], 'b': 0.5, 'c': 'x'}
    """
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return value.as_posix()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in a project file: {value!r}")


def project_to_data(project: Project) -> dict[str, Any]:
    """The project as JSON data, image paths stored relative to ``project.folder``."""
    defaults = project.defaults
    return json_safe({
        "schema_version": CURRENT_VERSION,
        "app_version": project.app_version,
        "name": project.name,
        "created": project.created,
        "modified": project.modified,
        "defaults": {
            "model": defaults.model,
            "params": defaults.params,
            "read": {"channel": defaults.read.channel, "z": defaults.read.z},
            "pixel_size_um": defaults.pixel_size_um,
            "size": defaults.size,
            "correction_radius": defaults.correction_radius,
            "markers": defaults.markers,
        },
        "groups": project.groups,
        "images": [_entry_to_data(entry, project.folder) for entry in project.images],
    })


def _entry_to_data(entry: ImageEntry, folder: Path) -> dict[str, Any]:
    model = entry.model
    corrected = entry.corrected
    return {
        "id": entry.id,
        "path": stored_path(entry.path, folder),
        "absolute_path": entry.path.as_posix(),
        "group": entry.group,
        "param_overrides": entry.param_overrides,
        "status": entry.state,
        "error": entry.error,
        "summary": entry.summary,
        "model": None if model is None else {
            "name": model.name, "version": model.version, "sha256": model.sha256, "provider": model.provider},
        "params_used": entry.params_used,
        "timestamp": entry.timestamp,
        "labels_file": entry.labels_file,
        "corrections": entry.corrections.to_dict(),
        "regions": [region.to_dict() for region in entry.regions],
        "corrected": None if corrected is None else {
            "count": corrected.count, "n_detected": corrected.n_detected,
            "n_added": corrected.n_added, "n_removed": corrected.n_removed},
    }


def project_from_data(data: Mapping[str, Any], folder: Path) -> Project:
    """Rebuild a project saved in ``folder`` from data of the current schema.

    Image paths are resolved from ``folder``; images not found are flagged
    ``missing``.  Raises `InvalidProject`.
    """
    try:
        defaults = _defaults(_get(data, "defaults", dict, {}))
        groups = _get(data, "groups", dict, {})
        images = _get(data, "images", list, [])
        project = Project(
            folder=folder,
            name=_get(data, "name", str, ""),
            defaults=defaults,
            groups={str(k): dict(v) for k, v in groups.items()},
            created=_get(data, "created", str, ""),
            modified=_get(data, "modified", str, ""),
            app_version=_get(data, "app_version", str, ""),
        )
    except (ParameterError, TypeError, ValueError, KeyError, AttributeError) as exc:
        raise InvalidProject(_reason(exc)) from exc
    seen: set[str] = set()
    for number, item in enumerate(images):
        try:
            entry = _entry(item, folder)
        except (ParameterError, TypeError, ValueError, KeyError, AttributeError) as exc:
            where = item.get("path") if isinstance(item, Mapping) else None
            raise InvalidProject(f"image {number + 1}{f' ({where})' if where else ''}: {_reason(exc)}") from exc
        if entry.id in seen:
            raise InvalidProject(f"image {number + 1} ({entry.name}): id {entry.id!r} is used twice")
        seen.add(entry.id)
        project.images.append(entry)
    return project


def _defaults(data: Mapping[str, Any]) -> Defaults:
    read = _get(data, "read", dict, {})
    pixel_size = data.get("pixel_size_um")
    return Defaults(
        model=_get(data, "model", str, ""),
        params=_get(data, "params", dict, {}),
        read=ReadOptions(channel=read.get("channel"), z=read.get("z", "max")),
        pixel_size_um=None if pixel_size is None else float(pixel_size),
        size=_get(data, "size", dict, {}),
        correction_radius=float(data.get("correction_radius", Defaults.correction_radius)),
        markers=_get(data, "markers", dict, {}),
    )


def _entry(data: Any, folder: Path) -> ImageEntry:
    if not isinstance(data, Mapping):
        raise TypeError(f"must be an object, got {type(data).__name__}")
    path, found = resolve_path(_get(data, "path", str), folder, _get(data, "absolute_path", str, ""))
    model = data.get("model")
    corrected = data.get("corrected")
    entry = ImageEntry(
        id=_get(data, "id", str),
        path=path,
        group=_get(data, "group", str, ""),
        param_overrides=_get(data, "param_overrides", dict, {}),
        state=_get(data, "status", str, "new"),
        error=_get(data, "error", str, ""),
        summary={str(k): None if v is None else clean_number(float(v)) for k, v in _get(data, "summary", dict, {}).items()},
        model=None if model is None else ModelInfo(**{k: str(v) for k, v in model.items()}),
        params_used=_get(data, "params_used", dict, {}),
        timestamp=_get(data, "timestamp", str, ""),
        labels_file=_get(data, "labels_file", str, ""),
        corrections=Corrections.from_dict(_get(data, "corrections", dict, {})),
        regions=tuple(Region.from_dict(r) for r in _get(data, "regions", list, [])),
        corrected=None if corrected is None else Corrected(**{k: int(v) for k, v in corrected.items()}),
    )
    if not entry.id:
        raise ValueError("id must not be empty")
    if entry.labels_file and not _inside_results(entry.labels_file):
        raise ValueError(f"labels_file must be a file in {RESULTS_DIR}/, got {entry.labels_file!r}")
    entry.missing = not found
    return entry


def _inside_results(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return len(parts) == 2 and parts[0] == RESULTS_DIR and parts[1] not in ("..", ".")


_MISSING = object()


def _get(data: Mapping[str, Any], key: str, kind: type, default: Any = _MISSING) -> Any:
    value = data.get(key, default)
    if value is _MISSING:
        raise KeyError(key)
    if kind is dict and value is None:
        return {}
    if not isinstance(value, kind):
        raise TypeError(f"{key} must be {'an object' if kind is dict else 'a ' + kind.__name__}, "
                        f"got {type(value).__name__}")
    return value


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"{exc.args[0]} is missing"
    return str(exc)
