"""QuPath GeoJSON as ground truth: the cells of a FeatureCollection, drawn into a label image.

QuPath's *File > Export objects as GeoJSON* writes a ``FeatureCollection``
(older versions: a JSON list of Features); CellCounter's own GeoJSON export
writes the same.  Coordinates are pixels with the origin at the top-left
corner of the top-left pixel, the convention of QuPath and ImageJ.

What becomes a cell:

* a ``Polygon`` or ``MultiPolygon`` feature: one outlined cell (holes
  kept; the parts of a MultiPolygon are one cell);
* a ``Point`` or ``MultiPoint`` feature: one cell per point (QuPath's
  counting tool makes MultiPoint annotations);
* other geometries (lines) are skipped with a note.

What does not (each skipped with a note):

* objects classified ``Ignore*`` (QuPath's class for what to leave out)
  and ``Region*`` (QuPath's class of the area that was annotated);
* when the file holds detections or cells, its ``annotation`` objects:
  QuPath exports the annotation the cells were detected in with them, and
  that outline is not a cell.  A file of annotations only (cells drawn by
  hand) gives one cell per annotation;
* ``tile`` and TMA core objects.

A cell object's outline is its ``geometry`` (the cell boundary in QuPath);
its ``nucleusGeometry`` is not read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from skimage.draw import polygon as fill_polygon

CELL_TYPES = frozenset({"detection", "cell"})
"""QuPath object types that are cells: when a file has any, its annotations are the areas around them."""
OTHER_TYPES = frozenset({"tile", "tma_core", "tmacore", "root"})
IGNORE_CLASS, REGION_CLASS = "ignore", "region"

Ring = np.ndarray
"""``(n, 2)`` float ``(x, y)`` vertices of one ring, pixel-corner origin."""


@dataclass(frozen=True, eq=False)
class GeoJsonCells:
    """The cells of one GeoJSON document.

    Attributes
    ----------
    outlines : list
        One entry per outlined cell: its polygons, each a list of rings
        (the outer boundary first, then the holes).
    points : ndarray
        ``(k, 2)`` ``(x, y)`` of the point cells, origin at the top-left
        pixel's centre (as everywhere else in CellCounter).
    notes : tuple of str
        What was skipped, e.g. ``"2 features skipped: classified Ignore*"``.
    """

    outlines: list[list[list[Ring]]]
    points: np.ndarray
    notes: tuple[str, ...] = ()


def parse_geojson(data: bytes) -> GeoJsonCells:
    """The cells of a GeoJSON document (see the module docstring for the rules).

    Raises
    ------
    ValueError
        Not JSON, not a FeatureCollection, Feature or list of Features, or a
        feature with malformed coordinates (the message names the feature,
        counted from 1).

    Examples
    --------
    >>> doc = {"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "geometry": {"type": "Point", "coordinates": [3.5, 2.5]}, "properties": {}}]}
    >>> parse_geojson(json.dumps(doc).encode()).points.tolist()
    [[3.0, 2.0]]
    """
    try:
        document = json.loads(data)
    except UnicodeDecodeError:
        raise ValueError("not a text file (GeoJSON is UTF-8 JSON)") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    features = _features(document)
    kinds = [_object_type(i, feature) for i, feature in enumerate(features, start=1)]
    has_cells = any(kind in CELL_TYPES for kind in kinds)
    outlines: list[list[list[Ring]]] = []
    points: list[np.ndarray] = []
    skipped: dict[str, int] = {}
    for number, (feature, kind) in enumerate(zip(features, kinds), start=1):
        reason = _skip_reason(feature, kind, has_cells)
        geometry = feature.get("geometry")
        if reason is None and geometry is None:
            reason = "no geometry"
        if reason is not None:
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        polygons, feature_points, other = _geometry(number, geometry)
        if polygons:
            outlines.append(polygons)
        if len(feature_points):
            points.append(feature_points)
        if other and not polygons and not len(feature_points):
            skipped[f"{other} (no area)"] = skipped.get(f"{other} (no area)", 0) + 1
    notes = tuple(f"{n} feature{'s' if n > 1 else ''} skipped: {why}" for why, n in sorted(skipped.items()))
    all_points = np.concatenate(points) - 0.5 if points else np.empty((0, 2))
    return GeoJsonCells(outlines, all_points, notes)


def draw_outlines(outlines: list[list[list[Ring]]], shape: tuple[int, int]) -> tuple[np.ndarray, int]:
    """``(labels, missed)``: the outlined cells drawn as int32 labels 1, 2, ... in file order.

    A pixel belongs to a cell when its centre lies inside the outline (and
    outside its holes); a pixel two outlines share stays with the first.
    ``missed`` counts the outlines left without a pixel (outside the image,
    or under earlier ones).

    Examples
    --------
    >>> square = [[np.array([[1.0, 1.0], [3.0, 1.0], [3.0, 3.0], [1.0, 3.0]])]]
    >>> labels, missed = draw_outlines([square], (4, 4))
    >>> labels.tolist(), missed
    ([[0, 0, 0, 0], [0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]], 0)
    """
    height, width = int(shape[0]), int(shape[1])
    labels = np.zeros((height, width), np.int32)
    missed = 0
    for polygons in outlines:
        every = np.concatenate([ring for polygon in polygons for ring in polygon])
        c0, r0 = np.maximum(np.floor(every.min(axis=0) - 0.5).astype(np.int64), 0)
        c1 = min(int(np.ceil(every[:, 0].max() - 0.5)) + 1, width)
        r1 = min(int(np.ceil(every[:, 1].max() - 0.5)) + 1, height)
        if c0 >= c1 or r0 >= r1:
            missed += 1
            continue
        mask = np.zeros((r1 - r0, c1 - c0), bool)
        for polygon in polygons:
            for index, ring in enumerate(polygon):
                rows, cols = fill_polygon(ring[:, 1] - 0.5 - r0, ring[:, 0] - 0.5 - c0, shape=mask.shape)
                mask[rows, cols] = index == 0
        window = labels[r0:r1, c0:c1]
        mask &= window == 0
        if mask.any():
            window[mask] = int(labels.max()) + 1
        else:
            missed += 1
    return labels, missed


def _features(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, dict) and document.get("type") == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise ValueError("a FeatureCollection without a list of features")
    elif isinstance(document, dict) and document.get("type") == "Feature":
        features = [document]
    elif isinstance(document, list):
        features = document
    else:
        found = document.get("type") if isinstance(document, dict) else type(document).__name__
        raise ValueError(f"not GeoJSON objects: expected a FeatureCollection, a Feature or a list of Features, "
                         f"got {found!r}")
    for number, feature in enumerate(features, start=1):
        if not (isinstance(feature, dict) and feature.get("type") == "Feature"):
            got = feature.get("type") if isinstance(feature, dict) else type(feature).__name__
            raise ValueError(f"feature {number}: expected a GeoJSON Feature, got {got!r}")
        if not isinstance(feature.get("properties") or {}, dict):
            raise ValueError(f"feature {number}: its properties are not a JSON object")
    return features


def _object_type(number: int, feature: dict[str, Any]) -> str:
    kind = (feature.get("properties") or {}).get("objectType", "")
    if not isinstance(kind, str):
        raise ValueError(f"feature {number}: objectType must be text, got {kind!r}")
    return kind.lower()


def _skip_reason(feature: dict[str, Any], kind: str, has_cells: bool) -> str | None:
    name = _class_name(feature.get("properties") or {}).rstrip("*").strip().lower()
    if name == IGNORE_CLASS:
        return "classified Ignore*"
    if name == REGION_CLASS:
        return "classified Region* (the annotated area, not a cell)"
    if kind in OTHER_TYPES:
        return f"{kind} objects"
    if kind == "annotation" and has_cells:
        return "annotations around the detections"
    return None


def _class_name(properties: dict[str, Any]) -> str:
    """QuPath's classification: ``{"name": ...}``, ``{"names": [...]}`` (derived classes) or text."""
    classification = properties.get("classification")
    if isinstance(classification, str):
        return classification
    if isinstance(classification, dict):
        name = classification.get("name")
        if isinstance(name, str):
            return name
        names = classification.get("names")
        if isinstance(names, list) and names and isinstance(names[0], str):
            return names[0]
    return ""


def _geometry(number: int, geometry: Any) -> tuple[list[list[Ring]], np.ndarray, str]:
    """``(polygons, points, other type)`` of one feature's geometry."""
    if not isinstance(geometry, dict):
        raise ValueError(f"feature {number}: its geometry is not a JSON object")
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        parts = geometry.get("geometries")
        if not isinstance(parts, list):
            raise ValueError(f"feature {number}: a GeometryCollection without a list of geometries")
        polygons: list[list[Ring]] = []
        points: list[np.ndarray] = [np.empty((0, 2))]
        others = []
        for part in parts:
            part_polygons, part_points, other = _geometry(number, part)
            polygons += part_polygons
            points.append(part_points)
            others.append(other)
        return polygons, np.concatenate(points), next((o for o in others if o), "")
    coordinates = geometry.get("coordinates")
    if kind == "Point":
        return [], _coordinates(number, kind, [coordinates], 1), ""
    if kind == "MultiPoint":
        return [], _coordinates(number, kind, coordinates, 0), ""
    if kind == "Polygon":
        return [_polygon(number, kind, coordinates)], np.empty((0, 2)), ""
    if kind == "MultiPolygon":
        if not isinstance(coordinates, list):
            raise ValueError(f"feature {number}: MultiPolygon coordinates must be a list of polygons")
        return [_polygon(number, kind, polygon) for polygon in coordinates], np.empty((0, 2)), ""
    if kind in ("LineString", "MultiLineString"):
        return [], np.empty((0, 2)), kind
    raise ValueError(f"feature {number}: unknown geometry type {kind!r}")


def _polygon(number: int, kind: str, rings: Any) -> list[Ring]:
    if not isinstance(rings, list) or not rings:
        raise ValueError(f"feature {number}: {kind} coordinates must be a list of rings")
    return [_coordinates(number, kind, ring, 3) for ring in rings]


def _coordinates(number: int, kind: str, positions: Any, at_least: int) -> np.ndarray:
    """``(n, 2)`` x, y of a list of positions (a third value, z, is dropped)."""
    if at_least == 0 and positions == []:
        return np.empty((0, 2))
    try:
        values = np.asarray(positions, dtype=float)
    except (TypeError, ValueError):
        values = np.empty(0)
    if values.ndim != 2 or values.shape[1] < 2 or len(values) < at_least:
        wanted = f"at least {at_least} [x, y] positions" if at_least > 1 else "[x, y] positions"
        raise ValueError(f"feature {number}: {kind} coordinates must be {wanted}, got {_shown(positions)}")
    values = values[:, :2]
    if not np.isfinite(values).all():
        raise ValueError(f"feature {number}: {kind} coordinates must be finite numbers")
    return values


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."
