"""ImageJ ROI sets, read back with roifile."""

from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.export.rois import write_roi_set

roifile = pytest.importorskip("roifile")


def _labels() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    labels = np.zeros((20, 30), np.uint16)
    labels[2:6, 3:9] = 1
    labels[10:15, 20:26] = 3
    cells = {"cell_id": np.array([1, 3, 4]), "x": np.array([5.5, 22.5, 12.0]), "y": np.array([3.5, 12.0, 17.0]),
             "manual": np.array([False, False, True])}
    return labels, cells


def test_one_polygon_per_cell_named_by_id_and_inside_its_pixels(tmp_path):
    labels, cells = _labels()
    out = write_roi_set(labels, cells, tmp_path / "a_rois.zip")
    rois = roifile.roiread(out)
    assert [r.name for r in rois] == ["cell 1", "cell 3", "cell 4"]
    assert rois[0].roitype == roifile.ROI_TYPE.POLYGON and rois[2].roitype == roifile.ROI_TYPE.POINT
    xy = rois[1].coordinates()
    assert xy[:, 0].min() == pytest.approx(20) and xy[:, 0].max() == pytest.approx(26)
    assert xy[:, 1].min() == pytest.approx(10) and xy[:, 1].max() == pytest.approx(15)


def test_only_listed_cells_are_written(tmp_path):
    labels, cells = _labels()
    kept = {key: value[:1] for key, value in cells.items()}  # cell 3 removed by a correction
    assert [r.name for r in roifile.roiread(write_roi_set(labels, kept, tmp_path / "b.zip"))] == ["cell 1"]


def test_refuses_to_overwrite_without_force(tmp_path):
    labels, cells = _labels()
    write_roi_set(labels, cells, tmp_path / "c.zip")
    with pytest.raises(Exception, match="exists"):
        write_roi_set(labels, cells, tmp_path / "c.zip")
    write_roi_set(labels, cells, tmp_path / "c.zip", force=True)
