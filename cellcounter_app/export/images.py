"""Per-image outputs: label TIFFs and overlay PNGs (outlines and centroids)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import tifffile
from PIL import Image
from scipy import ndimage
from skimage.segmentation import find_boundaries

from ..errors import CellCounterError
from .atomic import (OutputExistsError, atomic_path, check_writable, make_folder, remove_stale_temporaries,
                     temporary_path)

LABELS_SUFFIX, OVERLAY_SUFFIX = "_labels.tif", "_overlay.png"
SHOWN_PROBLEMS = 5

DEFAULT_COLOR: tuple[int, int, int] = (255, 215, 0)
LOW_PERCENTILE, HIGH_PERCENTILE = 1.0, 99.8
CROSS_ARM = 2
"""Half length in pixels of the cross drawn at each centroid (the cross is 5 px wide)."""


def write_label_image(
    labels: np.ndarray,
    path: str | os.PathLike[str],
    *,
    force: bool = False,
    pixel_size_um: float | None = None,
) -> Path:
    """Write a label image (0 = background, n = object n) as a zlib-compressed TIFF.

    With ``pixel_size_um`` the file carries the calibration, as Fiji and
    napari read it: the TIFF resolution (pixels per cm) and, for 16-bit
    labels, ImageJ's ``unit=um``.

    Parameters
    ----------
    labels : (H, W) or (Z, H, W) array of non-negative integers
        The label image.
    path : path-like
        The ``.tif`` file to write.
    force : bool
        Overwrite ``path`` if it exists.

    Returns
    -------
    Path
        ``path``. The file holds uint16 values, or uint32 when a label is
        above 65535.

    Examples
    --------
    >>> import tempfile
    >>> out = write_label_image(np.eye(4, dtype=np.int32), Path(tempfile.mkdtemp()) / "l.tif")
    >>> tifffile.imread(out).dtype
    dtype('uint16')
    """
    labels = np.asarray(labels)
    if labels.ndim not in (2, 3):
        raise ValueError(f"labels must be a 2-D or 3-D array, got {labels.ndim} dimension(s)")
    if labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be an integer array, got dtype {labels.dtype}")
    low = int(labels.min()) if labels.size else 0
    high = int(labels.max()) if labels.size else 0
    if low < 0:
        raise ValueError(f"labels must be >= 0, got a minimum of {low}")
    if high > np.iinfo(np.uint32).max:
        raise ValueError(f"labels must be <= {np.iinfo(np.uint32).max}, got a maximum of {high}")
    dtype = np.uint16 if high <= np.iinfo(np.uint16).max else np.uint32
    target = Path(path)
    check_writable(target, force=force)
    calibration: dict = {}
    if pixel_size_um is not None and np.isfinite(pixel_size_um) and pixel_size_um > 0:
        calibration = {"resolution": (1e4 / pixel_size_um, 1e4 / pixel_size_um), "resolutionunit": "CENTIMETER"}
        if dtype == np.uint16 and labels.ndim == 2:
            calibration = {"imagej": True, "resolution": (1 / pixel_size_um, 1 / pixel_size_um),
                           "metadata": {"unit": "um"}}
    with atomic_path(target) as tmp:
        tifffile.imwrite(tmp, labels.astype(dtype, copy=False), compression="zlib",
                         photometric="minisblack", **calibration)
    return target


def label_path(folder: str | os.PathLike[str], name: str) -> Path:
    """The label TIFF of the image called ``name`` (a relative POSIX path) in ``folder``.

    Examples
    --------
    >>> label_path("labels", "day1/a.tif").as_posix()
    'labels/day1/a_labels.tif'
    """
    return _beside(folder, name, LABELS_SUFFIX)


def overlay_path(folder: str | os.PathLike[str], name: str) -> Path:
    """The overlay PNG of the image called ``name`` in ``folder`` (see `label_path`)."""
    return _beside(folder, name, OVERLAY_SUFFIX)


def _beside(folder: str | os.PathLike[str], name: str, suffix: str) -> Path:
    """``folder/<name without its extension><suffix>``; an image inside a file (``a.czi [scene 2]``)
    keeps its part: ``a [scene 2]<suffix>``, so the scenes of one file do not collide.

    Examples
    --------
    >>> _beside("out", "a.czi [scene 2]", "_labels.tif").as_posix()
    'out/a [scene 2]_labels.tif'
    """
    file, part = name, ""
    match = _PART.match(name)
    if match:
        file, part = match["file"], match["part"]
    stem = Path(file).with_suffix("")
    return Path(folder) / stem.with_name(stem.name + part + suffix)


_PART = re.compile(r"^(?P<file>.+?)(?P<part> \[[^\]/]*\])$")
"""A name of one image of a multi-image file: ``file.czi [scene 2]``."""


def check_image_outputs(
    names: Sequence[str],
    labels_dir: str | os.PathLike[str] | None = None,
    overlays_dir: str | os.PathLike[str] | None = None,
    *,
    force: bool = False,
    rois_dir: str | os.PathLike[str] | None = None,
    geojson_dir: str | os.PathLike[str] | None = None,
) -> None:
    """Check, before a batch starts, that every label and overlay file of ``names`` can be written,
    and every ROI set and GeoJSON file (`roi_set_path`, `geojson_path`).

    Creates the two folders, removes the temporary files a killed run left
    there, and refuses a batch whose outputs would fail: a file that exists
    (without ``force``), a folder in the way, a name too long for the file
    system, two images that would write the same file, a folder that cannot
    be written.

    Raises
    ------
    OutputExistsError
        Output files exist and ``force`` is False.
    CellCounterError
        Any other output would fail; the message lists the first few.
    """
    from .geojson import geojson_path
    from .rois import roi_set_path

    for folder, target_of in ((labels_dir, label_path), (overlays_dir, overlay_path), (rois_dir, roi_set_path),
                              (geojson_dir, geojson_path)):
        if folder is None:
            continue
        make_folder(folder)
        targets = [target_of(folder, name) for name in names]
        _check_targets(targets, names, force)
        by_folder: dict[Path, list[str]] = {}
        for target in targets:
            by_folder.setdefault(target.parent, []).append(target.name)
        for parent, files in by_folder.items():
            remove_stale_temporaries(parent, files)


def _check_targets(targets: Sequence[Path], names: Sequence[str], force: bool) -> None:
    existing: list[str] = []
    problems: list[str] = []
    first: dict[Path, str] = {}
    for target, name in zip(targets, names):
        if target in first:
            problems.append(f"{first[target]} and {name} would both write {target}")
            continue
        first[target] = name
        problem = _problem(target)
        if problem:
            problems.append(problem)
        elif target.exists() and not force:
            existing.append(str(target))
    if problems:
        raise CellCounterError("cannot write the per-image outputs: " + _listed(problems))
    if existing:
        raise OutputExistsError(f"{_listed(existing)} already exist(s); use --force to overwrite")


def _problem(target: Path) -> str:
    """Why ``target`` could not be written, or an empty string."""
    limit = _name_max(target)
    written_as = temporary_path(target).name  # the file is written under this name, then renamed
    for part, length in ((target.name, len(os.fsencode(written_as))),
                         *((p.name, len(os.fsencode(p.name))) for p in target.parents if p.name)):
        if length > limit:
            return (f"{target}: the name {part[:40]}... is too long for the file system"
                    f" ({length} bytes while written, at most {limit})")
    if target.is_dir():
        return f"{target} is a folder"
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"{target}: {folder} is a file, not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"{target}: the folder {folder} is not writable"
    return ""


def _name_max(target: Path) -> int:
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (AttributeError, OSError, ValueError):
        return 255


def _listed(items: Sequence[str]) -> str:
    shown = "; ".join(items[:SHOWN_PROBLEMS])
    more = len(items) - SHOWN_PROBLEMS
    return shown + (f" (and {more} more)" if more > 0 else "")


def render_overlay(
    image: np.ndarray,
    labels: np.ndarray,
    cells: Mapping[str, Any] | None = None,
    *,
    color: Sequence[int] = DEFAULT_COLOR,
    outline: bool = True,
    centroids: bool = True,
) -> np.ndarray:
    """Draw object outlines and centroids over a contrast-stretched image.

    Parameters
    ----------
    image : (H, W), (H, W, C) or (C, H, W) array
        The counted image. An 8-bit image with 3 or 4 channels is shown in
        colour (alpha dropped); any other multichannel image is shown as the
        maximum over its channels, in grey.
    labels : (H, W) array of integers
        The objects (0 = background).
    cells : mapping, optional
        Per-cell columns; when it has ``x`` (column) and ``y`` (row) they place
        the centroid marks, otherwise the centroids are computed from
        ``labels``.
    color : 3 ints in [0, 255]
        RGB colour of the outlines and marks.
    outline : bool
        Draw the 1-pixel inner boundary of every object.
    centroids : bool
        Draw a small cross at each object's centroid.

    Returns
    -------
    (H, W, 3) uint8 array
        The image stretched from its 1st to its 99.8th percentile to 0-255.

    Examples
    --------
    >>> labels = np.zeros((9, 9), int); labels[2:7, 2:7] = 1
    >>> rgb = render_overlay(labels * 100.0, labels, centroids=False)
    >>> rgb.shape, rgb[2, 2].tolist(), rgb[4, 4].tolist(), rgb[0, 0].tolist()
    ((9, 9, 3), [255, 215, 0], [255, 255, 255], [0, 0, 0])
    """
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be a 2-D integer array, got shape {labels.shape} "
                         f"and dtype {labels.dtype}")
    rgb_color = _check_color(color)
    rgb = _stretched_rgb(_channels_last(np.asarray(image), labels.shape))
    if outline:
        rgb[find_boundaries(labels, mode="inner")] = rgb_color
    if centroids:
        rows, cols = _centroids(labels, cells)
        _draw_crosses(rgb, rows, cols, rgb_color)
    return rgb


def write_overlay(
    image: np.ndarray,
    labels: np.ndarray,
    path: str | os.PathLike[str],
    *,
    cells: Mapping[str, Any] | None = None,
    force: bool = False,
    **kw: Any,
) -> Path:
    """Render an overlay with :func:`render_overlay` and write it as a PNG.

    Extra keyword arguments (``color``, ``outline``, ``centroids``) go to
    :func:`render_overlay`. Returns ``path``.
    """
    target = Path(path)
    check_writable(target, force=force)
    rgb = render_overlay(image, labels, cells, **kw)
    with atomic_path(target) as tmp:
        Image.fromarray(rgb).save(tmp, format="PNG")
    return target


def _check_color(color: Sequence[int]) -> np.ndarray:
    values = np.asarray(color)
    if values.shape != (3,) or values.dtype.kind not in "iu" or values.min() < 0 or values.max() > 255:
        raise ValueError(f"color must be 3 integers between 0 and 255, got {tuple(np.ravel(values).tolist())}")
    return values.astype(np.uint8)


def _channels_last(image: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if image.shape == shape:
        return image
    if image.ndim == 3 and image.shape[:2] == shape:
        return image
    if image.ndim == 3 and image.shape[1:] == shape:
        return np.moveaxis(image, 0, -1)
    raise ValueError(f"image must be (H, W), (H, W, C) or (C, H, W) with (H, W) = labels shape {shape}, "
                     f"got shape {image.shape}")


def _stretched_rgb(image: np.ndarray) -> np.ndarray:
    colour = image.ndim == 3 and image.shape[-1] in (3, 4) and image.dtype == np.uint8
    if colour:
        values = image[..., :3].astype(np.float32)
    elif image.ndim == 3:
        values = image.max(axis=-1).astype(np.float32)
    else:
        values = image.astype(np.float32)
    finite = np.isfinite(values)
    if finite.any():
        low, high = np.percentile(values[finite], (LOW_PERCENTILE, HIGH_PERCENTILE))
    else:
        low = high = 0.0
    scale = 255.0 / (high - low) if high > low else 0.0
    stretched = np.clip((np.where(finite, values, low) - low) * scale, 0, 255)
    out = np.rint(stretched).astype(np.uint8)
    if not colour:
        out = np.repeat(out[..., None], 3, axis=-1)
    return np.ascontiguousarray(out)


def _centroids(labels: np.ndarray, cells: Mapping[str, Any] | None) -> tuple[np.ndarray, np.ndarray]:
    if cells is not None and "x" in cells and "y" in cells:
        cols = np.asarray(cells["x"], dtype=float)
        rows = np.asarray(cells["y"], dtype=float)
    else:
        ids = np.unique(labels)
        ids = ids[ids > 0]
        if ids.size == 0:
            return np.empty(0, dtype=int), np.empty(0, dtype=int)
        centres = np.asarray(ndimage.center_of_mass(np.ones(labels.shape), labels, ids), dtype=float)
        rows, cols = centres[:, 0], centres[:, 1]
    keep = np.isfinite(rows) & np.isfinite(cols)
    return np.rint(rows[keep]).astype(int), np.rint(cols[keep]).astype(int)


def _draw_crosses(rgb: np.ndarray, rows: np.ndarray, cols: np.ndarray, color: np.ndarray) -> None:
    height, width = rgb.shape[:2]
    for offset in range(-CROSS_ARM, CROSS_ARM + 1):
        for r, c in ((rows + offset, cols), (rows, cols + offset)):
            inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
            rgb[r[inside], c[inside]] = color
