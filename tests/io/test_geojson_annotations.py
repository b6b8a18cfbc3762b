"""Importing ground truth from QuPath GeoJSON: cells from polygons and points, QuPath's conventions, bad files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import ndimage as ndi

from cellcounter_app.export.geojson import write_geojson
from cellcounter_app.io.annotations import AnnotationError, read_annotation
from cellcounter_app.measure import measure_cells
from cellcounter_app.results import MANUAL_COLUMN

SHAPE = (60, 80)


def square(x0, y0, size):
    """A closed ring along pixel edges covering columns x0..x0+size-1 and rows y0..y0+size-1."""
    x1, y1 = x0 + size, y0 + size
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def feature(geometry, object_type="annotation", classification=None, **properties):
    props = {"objectType": object_type, **properties}
    if classification is not None:
        props["classification"] = {"name": classification, "color": [255, 0, 0]}
    return {"type": "Feature", "id": "x", "geometry": geometry, "properties": props}


def polygon(*rings):
    return {"type": "Polygon", "coordinates": list(rings)}


def write(path, document):
    path.write_text(json.dumps(document))
    return path


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def test_our_own_export_reads_back_as_the_same_cells(tmp_path):
    labels = np.zeros(SHAPE, np.int32)
    rows, cols = np.ogrid[: SHAPE[0], : SHAPE[1]]
    labels[(rows - 15) ** 2 + (cols - 20) ** 2 < 64] = 1
    labels[10:30, 40:55] = 2
    labels[42:58, 50:70] = 3
    labels[42:50, 50:60] = 0  # an L
    cells = measure_cells(labels, None, None)
    cells = {name: np.append(values, np.nan if values.dtype.kind == "f" else 4) for name, values in cells.items()}
    cells["x"][-1], cells["y"][-1] = 12.0, 50.0  # a cell added by hand: a point
    cells[MANUAL_COLUMN] = np.array([False, False, False, True])
    path = write_geojson(labels, cells, tmp_path / "image.geojson")

    annotation = read_annotation(path, SHAPE)

    assert annotation.n_outlined == 3 and annotation.n_cells == 4 and annotation.notes == ()
    got = np.array(ndi.center_of_mass(np.ones(SHAPE), annotation.labels, [1, 2, 3]))
    want = np.array(ndi.center_of_mass(np.ones(SHAPE), labels, [1, 2, 3]))
    assert np.abs(got - want).max() < 1.0
    np.testing.assert_allclose(annotation.points, [[12.0, 50.0]], atol=1e-6)
    for cell in (1, 2, 3):  # the outlines run along pixel edges: the very same pixels come back
        assert np.array_equal(annotation.labels == cell, labels == cell)


def test_a_qupath_export_of_detections_in_an_annotation(tmp_path):
    path = write(tmp_path / "qupath.geojson", collection(
        feature(polygon(square(0, 0, 60)), "annotation"),                  # the area the cells were found in
        feature(polygon(square(2, 2, 6)), "cell", nucleusGeometry=polygon(square(3, 3, 3))),
        feature(polygon(square(20, 2, 6)), "detection", "Positive"),
        feature(polygon(square(40, 2, 6)), "detection", "Ignore*"),
        feature(polygon(square(0, 30, 30)), "annotation", "Region*"),
        feature({"type": "LineString", "coordinates": [[0, 0], [5, 5]]}, "detection"),
        feature({"type": "MultiPoint", "coordinates": [[70.5, 50.5], [72.5, 52.5]]}, "detection"),
    ))

    annotation = read_annotation(path, SHAPE)

    assert annotation.n_outlined == 2 and annotation.n_cells == 4
    assert (annotation.labels == 1).sum() == 36 and annotation.labels[2:8, 2:8].min() == 1
    assert (annotation.labels == 2).sum() == 36 and annotation.labels[2, 20] == 2
    np.testing.assert_allclose(annotation.points, [[70.0, 50.0], [72.0, 52.0]])
    assert annotation.notes == (
        "1 feature skipped: LineString (no area)",
        "1 feature skipped: annotations around the detections",
        "1 feature skipped: classified Ignore*",
        "1 feature skipped: classified Region* (the annotated area, not a cell)",
    )


def test_annotations_drawn_by_hand_holes_multipolygons_and_an_old_list_export(tmp_path):
    ring_with_hole = polygon(square(2, 2, 10), square(5, 5, 4))
    two_parts = {"type": "MultiPolygon", "coordinates": [[square(30, 2, 4)], [square(40, 2, 4)]]}
    point = {"type": "Point", "coordinates": [60.5, 30.5]}
    path = write(tmp_path / "hand.json", [feature(ring_with_hole), feature(two_parts), feature(point)])

    annotation = read_annotation(path, SHAPE)

    assert annotation.n_outlined == 2
    assert (annotation.labels == 1).sum() == 100 - 16 and annotation.labels[6, 6] == 0
    assert (annotation.labels == 2).sum() == 32
    np.testing.assert_allclose(annotation.points, [[60.0, 30.0]])


def test_outlines_outside_the_image_are_noted_and_overlaps_go_to_the_first(tmp_path):
    path = write(tmp_path / "edge.geojson", collection(
        feature(polygon(square(0, 0, 10))), feature(polygon(square(5, 0, 10))), feature(polygon(square(200, 0, 5)))))

    annotation = read_annotation(path, SHAPE)

    assert (annotation.labels == 1).sum() == 100 and (annotation.labels == 2).sum() == 50
    assert annotation.notes == ("1 outline with no pixel in the image",)


@pytest.mark.parametrize("content, reason", [
    ("{not json", "not valid JSON"),
    ('{"a": 1}', "expected a FeatureCollection, a Feature or a list of Features"),
    ('{"type": "FeatureCollection", "features": 3}', "without a list of features"),
    ('[{"type": "Polygon", "coordinates": []}]', "feature 1: expected a GeoJSON Feature, got 'Polygon'"),
    (json.dumps(collection(feature(polygon([[0, 0], [1, "a"], [2, 2]])))), "feature 1: Polygon coordinates must be"),
    (json.dumps(collection(feature(polygon(square(0, 0, 3))), feature(polygon([[0, 0], [1, 1]])))),
     "feature 2: Polygon coordinates must be at least 3"),
    (json.dumps(collection(feature({"type": "Circle", "coordinates": [1, 2]}))), "unknown geometry type 'Circle'"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", '
     '"coordinates": [NaN, 1]}, "properties": {}}]}', "must be finite numbers"),
])
def test_malformed_files_name_the_file_and_the_problem(tmp_path, content, reason):
    path = tmp_path / "bad.geojson"
    path.write_text(content)
    with pytest.raises(AnnotationError, match=reason) as caught:
        read_annotation(path, SHAPE)
    assert str(caught.value).startswith(str(path))


def test_a_json_file_that_is_not_geojson_is_refused(tmp_path):
    path = write(tmp_path / "settings.json", {"model": "nuclei", "threshold": 0.5})
    with pytest.raises(AnnotationError, match="settings.json: not GeoJSON objects"):
        read_annotation(path, SHAPE)


def test_empty_and_everything_skipped(tmp_path):
    with pytest.raises(AnnotationError, match="no cell in the file: it has no feature"):
        read_annotation(write(tmp_path / "empty.geojson", collection()), SHAPE)
    ignored = write(tmp_path / "ignored.geojson", collection(feature(polygon(square(0, 0, 4)), classification="Ignore*")))
    with pytest.raises(AnnotationError, match="no cell in the file: 1 feature skipped: classified Ignore"):
        read_annotation(ignored, SHAPE)


def test_points_outside_the_image_and_a_missing_size(tmp_path):
    path = write(tmp_path / "far.geojson", collection(feature({"type": "Point", "coordinates": [500, 5]})))
    with pytest.raises(AnnotationError, match="1 of 1 points lie outside the 80x60 px image"):
        read_annotation(path, SHAPE)
    with pytest.raises(AnnotationError, match="needs the size of the image"):
        read_annotation(path)
    with pytest.raises(AnnotationError, match="missing.geojson: no such file"):
        read_annotation(tmp_path / "missing.geojson", SHAPE)
