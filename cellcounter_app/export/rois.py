"""ImageJ/Fiji ROI sets: a ``.zip`` of one polygon ROI per cell, named by cell id (via roifile)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_path, check_writable
from .images import _beside
from .outlines import cell_outlines

ROI_SET_SUFFIX = "_rois.zip"


def roi_set_path(folder: str | os.PathLike[str], name: str) -> Path:
    """The ROI set of the image called ``name`` in ``folder``, named like its label TIFF.

    Examples
    --------
    >>> roi_set_path("rois", "a.czi [scene 2]").as_posix()
    'rois/a [scene 2]_rois.zip'
    """
    return _beside(folder, name, ROI_SET_SUFFIX)


def write_roi_set(labels: np.ndarray | None, cells: Mapping[str, Any], path: str | os.PathLike[str],
                  *, force: bool = False) -> Path:
    """Write the cells of one image as an ImageJ ROI set that Fiji's ROI Manager opens.

    Parameters
    ----------
    labels : (H, W) integer array or None
        The label image (0 = background, n = cell n).
    cells : mapping
        The per-cell columns (``cell_id``, ``x``, ``y``, optional ``manual``):
        only the cells listed are written, so corrections and counting regions
        apply.  Cells added by hand become point ROIs.
    path : path-like
        The ``.zip`` file to write.
    force : bool
        Overwrite ``path`` if it exists.

    Returns
    -------
    Path
        ``path``; each ROI is named ``cell <id>`` (file ``cell-<id>.roi``).

    Examples
    --------
    >>> import tempfile, roifile
    >>> labels = np.zeros((8, 8), np.uint16); labels[2:5, 2:6] = 1
    >>> out = write_roi_set(labels, {"cell_id": np.array([1])}, Path(tempfile.mkdtemp()) / "a.zip")
    >>> [roi.name for roi in roifile.roiread(out)]
    ['cell 1']
    """
    import roifile

    target = Path(path)
    check_writable(target, force=force)
    rois = []
    for _, cell_id, points in cell_outlines(labels, cells):
        roi = roifile.ImagejRoi.frompoints(points, name=f"cell {cell_id}")
        roi.roitype = roifile.ROI_TYPE.POINT if len(points) == 1 else roifile.ROI_TYPE.POLYGON
        rois.append(roi)
    with atomic_path(target) as tmp:
        if rois:
            roifile.roiwrite(tmp, rois, name=[f"cell-{r.name.split()[1]}" for r in rois], mode="w")
        else:
            import zipfile
            zipfile.ZipFile(tmp, "w").close()
    return target
