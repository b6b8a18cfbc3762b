"""Reading ImageJ ROIs through roifile: the ROI Manager's kinds, broken files, and our own ROI sets read back."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
import roifile
from roifile import ROI_OPTIONS, ROI_SUBTYPE, ROI_TYPE

from cellcounter_app.export.rois import write_roi_set
import cellcounter_app.io.annotations as annotation_reader
from cellcounter_app.io.annotations import MAX_ROI_BYTES, AnnotationError, read_annotation, read_rois
from cellcounter_app.io.imagej_roi import parse_roi

MOVE, LINE, CUBIC, CLOSE = 0, 1, 3, 4


def square_path(left, top, size):
    x, y, s = left, top, size
    return [MOVE, x, y, LINE, x + s, y, LINE, x + s, y + s, LINE, x, y + s, CLOSE]


def composite(path, left, top, right, bottom, name="combined"):
    """A ROI Manager OR/XOR result as ImageJ stores it: a rectangle type with a shape path."""
    path = np.asarray(path, np.float32)
    roi = roifile.ImagejRoi(roitype=ROI_TYPE.RECT, name=name, left=left, top=top, right=right, bottom=bottom,
                            shape_roi_size=len(path), multi_coordinates=path)
    return roi.tobytes()


def roi_set(path, rois):
    with zipfile.ZipFile(path, "w") as archive:
        for i, data in enumerate(rois):
            archive.writestr(f"{i:04d}.roi", data)
    return path


def test_a_composite_with_a_hole_fills_by_the_even_odd_rule(tmp_path):
    donut = composite(square_path(2, 2, 10) + square_path(5, 5, 4), 2, 2, 12, 12)
    labels = read_annotation(roi_set(tmp_path / "d.zip", [donut]), (16, 16)).labels
    assert (labels == 1).sum() == 100 - 16 and labels[6, 6] == 0 and labels[2, 2] == 1


def test_a_composite_of_two_pieces_is_one_cell(tmp_path):
    pair = composite(square_path(1, 1, 3) + square_path(10, 10, 2), 1, 1, 12, 12)
    roi = read_rois(roi_set(tmp_path / "p.zip", [pair]))[0]
    assert roi.kind == "composite" and roi.is_area and len(roi.parts) == 2
    labels = read_annotation(tmp_path / "p.zip", (16, 16)).labels
    assert np.unique(labels).tolist() == [0, 1] and (labels == 1).sum() == 9 + 4


def test_a_curved_composite_is_skipped_by_name(tmp_path):
    rounded = composite([MOVE, 1, 1, CUBIC, 3, 1, 5, 3, 5, 5, CLOSE], 1, 1, 5, 5, name="rounded 7")
    square = roifile.ImagejRoi.frompoints([[8, 8], [12, 8], [12, 12], [8, 12]], name="cell 1").tobytes()
    annotation = read_annotation(roi_set(tmp_path / "c.zip", [rounded, square]), (16, 16))
    assert annotation.n_cells == 1
    assert annotation.notes == ("ROI 'rounded 7' skipped: a composite ROI with curved edges"
                                " (e.g. a rounded rectangle)",)
    alone = roi_set(tmp_path / "alone.zip", [rounded])
    with pytest.raises(AnnotationError, match=r"alone\.zip: no cell in the ROIs: ROI 'rounded 7' skipped: a composite"):
        read_annotation(alone, (16, 16))


def test_an_unknown_roi_type_is_named(tmp_path):
    data = bytearray(roifile.ImagejRoi.frompoints([[1, 1], [4, 1], [4, 4]], name="odd").tobytes())
    data[6] = 42
    with pytest.raises(AnnotationError, match=r"ROI 'odd' skipped: ROI type 42 is not one ImageJ writes"):
        read_annotation(roi_set(tmp_path / "u.zip", [bytes(data)]), (8, 8))


def test_ellipse_and_sub_pixel_oval_and_rectangle(tmp_path):
    t = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    ellipse = roifile.ImagejRoi.frompoints(np.column_stack([20 + 10 * np.cos(t), 10 + 5 * np.sin(t)]), name="e")
    ellipse.subtype, ellipse.x1, ellipse.y1, ellipse.x2, ellipse.y2 = ROI_SUBTYPE.ELLIPSE, 10.0, 10.0, 30.0, 10.0
    oval = roifile.ImagejRoi(roitype=ROI_TYPE.OVAL, name="o", left=2, top=20, right=12, bottom=30,
                             options=ROI_OPTIONS.SUB_PIXEL_RESOLUTION, xd=2.5, yd=20.5, widthd=9.0, heightd=9.0)
    rect = roifile.ImagejRoi(roitype=ROI_TYPE.RECT, name="r", left=30, top=20, right=35, bottom=25,
                             options=ROI_OPTIONS.SUB_PIXEL_RESOLUTION, xd=30.25, yd=20.25, widthd=4.5, heightd=4.5)
    path = roi_set(tmp_path / "s.zip", [r.tobytes() for r in (ellipse, oval, rect)])
    rois = read_rois(path)
    assert [(r.name, r.kind) for r in rois] == [("e", "freehand"), ("o", "oval"), ("r", "rect")]
    assert rois[1].bounds == (2.5, 20.5, 9.0, 9.0) and rois[2].bounds == (30.25, 20.25, 4.5, 4.5)
    labels = read_annotation(path, (40, 40)).labels
    assert abs(int((labels == 1).sum()) - np.pi * 50) < 8
    assert abs(int((labels == 2).sum()) - np.pi * 4.5 ** 2) < 8
    assert (labels == 3).sum() == 25  # pixel centres 30.5 ... 34.5 lie in [30.25, 34.75)


def test_integer_multipoint_sits_on_pixel_centres(tmp_path):
    points = roifile.ImagejRoi.frompoints(np.array([[3, 4], [10, 2], [7, 7]]), name="clicks")
    points.roitype = ROI_TYPE.POINT
    annotation = read_annotation(roi_set(tmp_path / "m.zip", [points.tobytes()]), (12, 12))
    assert annotation.labels is None and annotation.points.tolist() == [[3, 4], [10, 2], [7, 7]]


def test_a_truncated_single_roi_file_names_the_file_and_the_problem(tmp_path):
    whole = roifile.ImagejRoi.frompoints([[1.5, 1.5], [6.5, 1.5], [6.5, 6.5]], name="cell").tobytes()
    for size, reason in ((70, r"truncated freehand ROI: its header declares more coordinates"),
                         (40, r"truncated freehand ROI: the header needs 64 bytes, the file has 40")):
        path = tmp_path / f"cut{size}.roi"
        path.write_bytes(whole[:size])
        with pytest.raises(AnnotationError, match=rf"cut{size}\.roi: {reason}"):
            read_annotation(path, (10, 10))


def test_a_damaged_composite_path_is_an_error():
    data = composite([MOVE, 1, 1, LINE, 4, 1, 9, 0, 0], 1, 1, 4, 4)
    with pytest.raises(ValueError, match="damaged composite ROI: its path cannot be followed"):
        parse_roi(data)


def test_a_bomb_entry_among_good_ones_stops_the_set_before_any_is_decoded(tmp_path, monkeypatch):
    good = roifile.ImagejRoi.frompoints([[1, 1], [4, 1], [4, 4]]).tobytes()
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(5):
            archive.writestr(f"{i:04d}.roi", good)
        archive.writestr("0005.roi", good + bytes(MAX_ROI_BYTES))
    assert path.stat().st_size < 200_000
    decoded = []
    monkeypatch.setattr(annotation_reader, "parse_roi", lambda data, name: decoded.append(name))
    with pytest.raises(AnnotationError, match=r"bomb\.zip: entry 0005\.roi declares 64\.0 MiB uncompressed"):
        read_rois(path)
    assert decoded == []


def test_our_roi_sets_read_back_as_the_same_cells(tmp_path):
    labels = np.zeros((40, 50), np.uint16)
    yy, xx = np.mgrid[:40, :50]
    labels[(yy - 12) ** 2 + (xx - 12) ** 2 <= 36] = 1   # disc
    labels[25:35, 5:10] = 2                              # L shape
    labels[30:35, 10:20] = 2
    labels[5:15, 30:40] = 3                              # square touching cell 4
    labels[15:20, 30:45] = 4
    labels[22, 40] = 5                                   # a single pixel
    cells = {"cell_id": np.arange(1, 7), "x": np.array([0, 0, 0, 0, 0, 44.0]),
             "y": np.array([0, 0, 0, 0, 0, 30.0]), "manual": np.array([0, 0, 0, 0, 0, 1], bool)}
    path = write_roi_set(labels, cells, tmp_path / "ours_rois.zip")
    annotation = read_annotation(path, labels.shape)
    assert annotation.n_outlined == 5 and len(annotation.points) == 1
    read = annotation.labels
    assert np.array_equal(read > 0, labels > 0)
    for cell in range(1, 6):
        assert len(np.unique(read[labels == cell])) == 1
    # the writer puts a hand-added cell at its pixel's centre in pixel-edge terms (x + 0.5)
    assert np.abs(annotation.points[0] - [44, 30]).max() <= 0.5
    assert [roi.name for roi in read_rois(path)] == [f"cell {i}" for i in range(1, 7)]


def test_a_roi_set_zipped_on_a_mac_skips_what_macos_adds(tmp_path):
    square = roifile.ImagejRoi.frompoints(np.array([[10, 10], [20, 10], [20, 20], [10, 20]], np.float32))
    path = tmp_path / "RoiSet.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("RoiSet/0001.roi", square.tobytes())
        archive.writestr("__MACOSX/RoiSet/._0001.roi", b"\x00\x05\x16\x07 resource fork")
        archive.writestr("RoiSet/._0002.roi", b"\x00\x05\x16\x07")
    assert len(read_rois(path)) == 1
    assert read_annotation(path, (40, 40)).n_outlined == 1
