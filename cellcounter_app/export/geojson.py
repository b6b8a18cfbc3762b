"""QuPath-readable GeoJSON: one Feature per cell (polygon, classification, measurements)."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..results import CELL_COLUMNS, MANUAL_COLUMN
from .atomic import atomic_write_bytes, check_writable
from .images import _beside
from .outlines import cell_outlines

CELL_CLASS = "Cell"
GEOJSON_SUFFIX = ".geojson"
_POSITIVE = "_positive"


def cells_geojson(labels: np.ndarray | None, cells: Mapping[str, Any]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the cells listed in ``cells``.

    Each Feature has a closed ``Polygon`` (a ``Point`` for a cell added by
    hand) in pixel coordinates, ``properties.objectType`` ``"detection"``,
    ``properties.name`` ``"cell <id>"``, ``properties.classification`` (the
    positive markers, e.g. ``"GFP+"``, ``"negative"`` when markers were scored
    and none is positive, else ``"Cell"``) and ``properties.measurements``
    (every numeric per-cell column that is finite).

    Examples
    --------
    >>> labels = np.zeros((8, 8), np.uint16); labels[2:5, 2:6] = 1
    >>> doc = cells_geojson(labels, {"cell_id": np.array([1]), "area_px": np.array([12.0])})
    >>> feature = doc["features"][0]
    >>> feature["geometry"]["type"], feature["properties"]["measurements"]
    ('Polygon', {'area_px': 12.0})
    """
    markers = [key[: -len(_POSITIVE)] for key in cells if key.endswith(_POSITIVE)]
    numeric = [key for key in cells if key not in ("cell_id", MANUAL_COLUMN) and not key.endswith(_POSITIVE)
               and np.asarray(cells[key]).dtype.kind in "iuf"]
    numeric.sort(key=lambda k: (CELL_COLUMNS.index(k) if k in CELL_COLUMNS else len(CELL_COLUMNS), k))
    features = []
    for row, cell_id, points in cell_outlines(labels, cells):
        if len(points) == 1:
            geometry = {"type": "Point", "coordinates": points[0].tolist()}
        else:
            ring = np.vstack([points, points[:1]]).round(3).tolist()
            geometry = {"type": "Polygon", "coordinates": [ring]}
        measurements = {key: float(cells[key][row]) for key in numeric if math.isfinite(float(cells[key][row]))}
        positive = [name for name in markers if bool(cells[f"{name}{_POSITIVE}"][row])]
        name = ": ".join(f"{m}+" for m in positive) if positive else "negative" if markers else CELL_CLASS
        features.append({
            "type": "Feature",
            "geometry": geometry,
            "properties": {"objectType": "detection", "name": f"cell {cell_id}",
                           "classification": {"name": name}, "measurements": measurements},
        })
    return {"type": "FeatureCollection", "features": features}


def geojson_path(folder: str | os.PathLike[str], name: str) -> Path:
    """The GeoJSON of the image called ``name`` in ``folder`` (``a.tif`` -> ``a.geojson``).

    Examples
    --------
    >>> geojson_path("out", "day1/a.tif").as_posix()
    'out/day1/a.geojson'
    """
    return _beside(folder, name, GEOJSON_SUFFIX)


def write_geojson(labels: np.ndarray | None, cells: Mapping[str, Any], path: str | os.PathLike[str],
                  *, force: bool = False) -> Path:
    """Write `cells_geojson` to ``path`` (QuPath: File > Import objects, or drag the file in)."""
    target = Path(path)
    check_writable(target, force=force)
    atomic_write_bytes(target, json.dumps(cells_geojson(labels, cells), allow_nan=False).encode("utf-8"))
    return target
