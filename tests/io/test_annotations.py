"""Importing ground truth: ImageJ ROI sets (written here in ImageJ's binary format), masks, point lists."""

from __future__ import annotations

import struct
import zipfile

import numpy as np
import pytest

from cellcounter_app.io.annotations import AnnotationError, read_annotation, read_points_table
from cellcounter_app.io.imagej_roi import parse_roi
from synthetic_images import write_png, write_tiff

TYPES = {"polygon": 0, "rect": 1, "oval": 2, "line": 3, "freehand": 7, "traced": 8, "point": 10}


def roi_bytes(kind, xy=(), bounds=None, *, sub_pixel=False, version=228):
    """One ``.roi`` file as ImageJ's RoiEncoder writes it (header, int coordinates, optional floats)."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if bounds is None:
        left, top = np.floor(xy.min(axis=0)).astype(int)
        right, bottom = np.ceil(xy.max(axis=0)).astype(int) + (1 if kind == "point" else 0)
    else:
        left, top, right, bottom = bounds
    n = 0 if kind == "line" else len(xy)
    header = bytearray(64)
    header[0:4] = b"Iout"
    struct.pack_into(">hBx4hH", header, 4, version, TYPES[kind], top, left, bottom, right, n)
    struct.pack_into(">h", header, 50, 128 if sub_pixel else 0)
    if kind == "line":
        struct.pack_into(">4f", header, 18, *xy[0], *xy[1])
        return bytes(header)
    body = struct.pack(f">{n}h", *(np.floor(xy[:, 0]).astype(int) - left))
    body += struct.pack(f">{n}h", *(np.floor(xy[:, 1]).astype(int) - top))
    if sub_pixel:
        body += struct.pack(f">{n}f", *xy[:, 0]) + struct.pack(f">{n}f", *xy[:, 1])
    return bytes(header) + body


def roi_zip(path, rois):
    with zipfile.ZipFile(path, "w") as archive:
        for i, data in enumerate(rois):
            archive.writestr(f"{i:04d}-cell.roi", data)
    return path


def test_roi_set_gives_one_cell_per_area_roi_and_per_point(tmp_path):
    rois = [
        roi_bytes("rect", bounds=(2, 3, 8, 7)),                                   # 6 x 4 px
        roi_bytes("polygon", [(20, 2), (30, 2), (30, 12), (20, 12)]),            # 10 x 10 px square
        roi_bytes("oval", bounds=(40, 20, 60, 40)),                               # circle of diameter 20
        roi_bytes("traced", [(5, 30), (9, 30), (9, 33), (5, 33)]),               # wand outline, 4 x 3 px
        roi_bytes("point", [(70.0, 10.0), (72.5, 40.25)], sub_pixel=True),
        roi_bytes("line", [(0, 0), (10, 10)]),
    ]
    annotation = read_annotation(roi_zip(tmp_path / "RoiSet.zip", rois), (50, 80))
    labels = annotation.labels
    assert annotation.n_outlined == 4 and annotation.n_cells == 6
    assert np.argwhere(labels == 1).min(axis=0).tolist() == [3, 2] and (labels == 1).sum() == 24
    assert (labels == 2).sum() == 100 and labels[2, 20] == 2 and labels[12, 30] == 0
    assert abs(int((labels == 3).sum()) - np.pi * 100) < 12
    assert (labels == 4).sum() == 12 and labels[30, 5] == 4
    assert annotation.points.tolist() == [[70.0, 10.0], [72.5, 40.25]]
    assert annotation.notes == ("1 line ROI (no area)",)


def test_sub_pixel_freehand_and_single_roi_file(tmp_path):
    circle = [(30 + 8 * np.cos(t), 20 + 8 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 60, endpoint=False)]
    path = tmp_path / "cell.roi"
    path.write_bytes(roi_bytes("freehand", circle, sub_pixel=True))
    labels = read_annotation(path, (40, 60)).labels
    assert abs(int(labels.sum()) - np.pi * 64) < 10
    assert labels[20, 30] == 1 and labels[20, 39] == 0


def test_rois_outside_the_image_are_noted(tmp_path):
    rois = [roi_bytes("rect", bounds=(2, 2, 6, 6)), roi_bytes("rect", bounds=(200, 200, 210, 210))]
    annotation = read_annotation(roi_zip(tmp_path / "r.zip", rois), (20, 20))
    assert annotation.n_cells == 1 and annotation.notes == ("1 area ROI outside the image",)


@pytest.mark.parametrize(("content", "reason"), [
    (b"PK not really a zip", "not a zip archive"),
    ("bad-magic", "entry 0000-cell.roi: not an ImageJ ROI"),
    ("truncated", "entry 0000-cell.roi: truncated polygon ROI"),
    ("only-lines", "no cell in the ROIs: 1 line ROI (no area)"),
])
def test_broken_roi_sets_name_the_file_and_the_problem(tmp_path, content, reason):
    path = tmp_path / "RoiSet.zip"
    if content == "bad-magic":
        roi_zip(path, [b"Xout" + bytes(60)])
    elif content == "truncated":
        roi_zip(path, [roi_bytes("polygon", [(1, 1), (5, 1), (5, 5)])[:70]])
    elif content == "only-lines":
        roi_zip(path, [roi_bytes("line", [(0, 0), (3, 3)])])
    else:
        path.write_bytes(content)
    with pytest.raises(AnnotationError) as info:
        read_annotation(path, (10, 10))
    assert str(info.value).startswith(str(path)) and reason in str(info.value)


def test_roi_sets_need_the_image_size(tmp_path):
    path = roi_zip(tmp_path / "r.zip", [roi_bytes("rect", bounds=(1, 1, 3, 3))])
    with pytest.raises(AnnotationError, match="needs the size of the image"):
        read_annotation(path)


def test_parse_roi_reads_large_unsigned_bounds():
    data = bytearray(roi_bytes("rect", bounds=(0, 0, 4, 4)))
    struct.pack_into(">H", data, 14, 40000)
    assert parse_roi(bytes(data)).bounds == (0.0, 0.0, 40000.0, 4.0)


def test_binary_mask_becomes_connected_cells(tmp_path):
    mask = np.zeros((30, 40), np.uint8)
    mask[2:8, 2:8] = mask[10:20, 20:30] = 255
    mask[8, 8] = 255                      # touches the first cell only at a corner: a cell of its own
    annotation = read_annotation(write_png(tmp_path / "m.png", mask), (30, 40))
    assert annotation.n_outlined == 3 and annotation.labels.dtype == np.int32 and not len(annotation.points)


def test_instance_labels_keep_their_ids(tmp_path):
    labels = np.zeros((20, 20), np.uint16)
    labels[1:5, 1:5], labels[5:9, 1:5], labels[10:15, 10:15] = 7, 9, 300
    annotation = read_annotation(write_tiff(tmp_path / "l.tif", labels))
    assert sorted(np.unique(annotation.labels).tolist()) == [0, 7, 9, 300]


def test_label_image_of_the_wrong_size(tmp_path):
    path = write_tiff(tmp_path / "l.tif", np.ones((20, 30), np.uint16))
    with pytest.raises(AnnotationError, match="the label image is 30x20 px but the image is 40x10 px"):
        read_annotation(path, (10, 40))


def test_fractional_label_image_is_refused(tmp_path):
    path = write_tiff(tmp_path / "l.tif", np.full((5, 5), 0.5, np.float32))
    with pytest.raises(AnnotationError, match="whole numbers"):
        read_annotation(path)


@pytest.mark.parametrize(("text", "expected"), [
    (" ,Area,X,Y\n1,30,10.5,20\n2,28,30,40.5\n", [[10.5, 20], [30, 40.5]]),          # ImageJ results table
    ('"X","Y"\n"3","4"\n', [[3, 4]]),
    ("x (px),y (px),cell\n1,2,a\n", [[1, 2]]),
    ("index,axis-0,axis-1\n0,20,10\n1,5.5,7\n", [[10, 20], [7, 5.5]]),              # napari: rows, columns
    ("12,13\n14,15\n", [[12, 13], [14, 15]]),                                         # no header
    ("X;Y\n1,5;2,25\n", [[1.5, 2.25]]),                                               # decimal comma
    ("# exported\nx\ty\n\n3\t4\n", [[3, 4]]),
])
def test_point_lists(tmp_path, text, expected):
    path = tmp_path / "points.csv"
    path.write_text(text)
    assert read_points_table(path).tolist() == expected


def test_point_list_without_coordinates_columns(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("area,mean\n1,2\n")
    with pytest.raises(AnnotationError, match="no x and y columns; the header has 'area', 'mean'"):
        read_annotation(path)


def test_point_list_with_a_bad_value_names_the_line(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("x,y\n1,2\n3,oops\n")
    with pytest.raises(AnnotationError, match="line 3: expected numbers"):
        read_annotation(path)


def test_points_outside_the_image_hint_at_units(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("x,y\n10,10\n150,20\n")
    with pytest.raises(AnnotationError, match=r"1 of 2 points lie outside the 100x50 px image.*µm"):
        read_annotation(path, (50, 100))
    scaled = read_annotation(path, (50, 100), pixels_per_unit=0.5)
    assert scaled.points.tolist() == [[5, 5], [75, 10]]


def test_unknown_extension(tmp_path):
    with pytest.raises(AnnotationError, match="not an annotation file"):
        read_annotation(tmp_path / "cells.xml")
