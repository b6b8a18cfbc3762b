"""Ground truth imported into a project, kept next to the project file (numpy only, no torch).

Importing reads a label/mask image, an ImageJ ROI set, a QuPath GeoJSON or a
point list (see `cellcounter_app.io.annotations`) against the image it annotates and stores
what it found in the project folder:

- ``annotations/<image id>.tif``: the outlined cells as a label image;
- ``annotations/<image id>.points.csv``: the cells marked with a point
  (``x,y`` columns, px, origin at the top-left pixel's centre).

Both are written atomically; importing again replaces them.  The project
file does not change: the annotations belong to the folder, like ``results/``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from ..atomic import atomic_write_bytes
from ..errors import CellCounterError, ParameterError
from ..io import read_image
from ..io.annotations import Annotation, read_annotation, read_point_annotation
from ..project import Project
from ..project.files import read_labels, write_labels

ANNOTATIONS_DIR = "annotations"
LABELS_SUFFIX = ".tif"
POINTS_SUFFIX = ".points.csv"
UNITS = ("px", "um")


def annotation_files(folder: str | Path, image_id: str) -> tuple[Path, Path]:
    """Where the labels and the points imported for ``image_id`` are stored."""
    base = Path(folder) / ANNOTATIONS_DIR
    return base / f"{image_id}{LABELS_SUFFIX}", base / f"{image_id}{POINTS_SUFFIX}"


def import_annotation(project: Project, image_id: str, source: str | Path, *, units: str = "px") -> Annotation:
    """Read annotations of one project image from ``source`` and store them in the project folder.

    Parameters
    ----------
    project : Project
        The project (its folder receives the files; its subscribers get
        ``image_changed`` for ``image_id``).
    image_id : str
        The annotated image.
    source : str or Path
        A label/mask image, an ImageJ ROI set (``.zip``/``.roi``), a QuPath
        GeoJSON (``.geojson``/``.json``) or a point list
        (``.csv``/``.tsv``/``.txt``).
    units : {"px", "um"}
        Units of a point list's coordinates; ``um`` uses the project's pixel
        size, else the image's.

    Returns
    -------
    Annotation
        What was imported (``notes`` says what was skipped).

    Raises
    ------
    AnnotationError
        The file cannot be read as annotations of this image.
    CellCounterError
        The image cannot be read, µm without a pixel size, or a write failed.
    """
    if units not in UNITS:
        raise ParameterError(f"units must be one of {', '.join(UNITS)}, got {units!r}")
    entry = project.image(image_id)
    loaded = read_image(entry.path, project.defaults.read)
    shape = loaded.data.shape[:2]
    source = Path(source)
    if units == "um":
        pixel_size = project.defaults.pixel_size_um or loaded.pixel_size_um
        if not pixel_size:
            raise CellCounterError(f"{source}: coordinates in µm need the pixel size, and neither the project nor "
                                   f"{entry.name} has one; set the pixel size or import in px")
        annotation = read_point_annotation(source, shape, pixels_per_unit=1.0 / pixel_size)
    else:
        annotation = read_annotation(source, shape)
    store_annotation(project.folder, image_id, annotation)
    project.emit("image_changed", image_id)
    return annotation


def store_annotation(folder: str | Path, image_id: str, annotation: Annotation) -> None:
    """Write (or replace) the stored annotation files of ``image_id``."""
    labels_path, points_path = annotation_files(folder, image_id)
    labels_path.parent.mkdir(parents=True, exist_ok=True)
    if annotation.labels is not None:
        write_labels(labels_path, annotation.labels)
    else:
        labels_path.unlink(missing_ok=True)
    if len(annotation.points):
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["x", "y"])
        writer.writerows([f"{x:.3f}", f"{y:.3f}"] for x, y in annotation.points)
        atomic_write_bytes(points_path, text.getvalue().encode())
    else:
        points_path.unlink(missing_ok=True)


def stored_annotation(folder: str | Path, image_id: str) -> Annotation | None:
    """The annotations imported for ``image_id``, or None when there are none.

    Raises
    ------
    CellCounterError
        A stored file is damaged (the message names it).
    """
    labels_path, points_path = annotation_files(folder, image_id)
    labels = read_labels(labels_path).astype(np.int32) if labels_path.is_file() else None
    points = read_point_annotation(points_path).points if points_path.is_file() else np.empty((0, 2))
    if labels is None and not len(points):
        return None
    return Annotation(labels, points, labels_path if labels is not None else points_path)


def remove_annotation(folder: str | Path, image_id: str) -> bool:
    """Delete the annotations imported for ``image_id``; returns whether there were any."""
    found = False
    for path in annotation_files(folder, image_id):
        if path.is_file():
            path.unlink()
            found = True
    return found
