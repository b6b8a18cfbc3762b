"""QuPath GeoJSON: valid, closed polygons, classifications and measurements read back."""

from __future__ import annotations

import json

import numpy as np

from cellcounter_app.export.geojson import write_geojson


def _validate(doc: dict) -> None:
    assert doc["type"] == "FeatureCollection"
    for feature in doc["features"]:
        assert feature["type"] == "Feature"
        geometry = feature["geometry"]
        if geometry["type"] == "Polygon":
            ring = geometry["coordinates"][0]
            assert len(ring) >= 4 and ring[0] == ring[-1]
            assert all(len(point) == 2 for point in ring)
        else:
            assert geometry["type"] == "Point" and len(geometry["coordinates"]) == 2
        properties = feature["properties"]
        assert properties["objectType"] == "detection"
        assert isinstance(properties["classification"]["name"], str)
        assert all(isinstance(v, float) for v in properties["measurements"].values())


def test_one_feature_per_cell_with_markers_and_measurements(tmp_path):
    labels = np.zeros((20, 30), np.uint16)
    labels[2:6, 3:9] = 1
    labels[10:15, 20:26] = 2
    cells = {"cell_id": np.array([1, 2]), "x": np.array([5.5, 22.5]), "y": np.array([3.5, 12.0]),
             "area_px": np.array([24.0, 30.0]), "area_um2": np.array([np.nan, np.nan]),
             "GFP_positive": np.array([True, False])}
    out = write_geojson(labels, cells, tmp_path / "a.geojson")
    doc = json.loads(out.read_text(encoding="utf-8"))
    _validate(doc)
    assert [f["properties"]["name"] for f in doc["features"]] == ["cell 1", "cell 2"]
    assert [f["properties"]["classification"]["name"] for f in doc["features"]] == ["GFP+", "negative"]
    assert doc["features"][1]["properties"]["measurements"] == {"x": 22.5, "y": 12.0, "area_px": 30.0}
    xs = [p[0] for p in doc["features"][1]["geometry"]["coordinates"][0]]
    assert min(xs) == 20 and max(xs) == 26
