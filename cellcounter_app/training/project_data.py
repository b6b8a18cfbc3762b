"""A project's annotated images as training samples (numpy only, no torch).

Two kinds of project images teach a model:

- **imported**: ground truth imported with `annotation_store.import_annotation`
  (label/mask images, ImageJ ROIs, point lists);
- **corrected**: counted images whose count the user corrected: the
  detected cells, minus the ones removed, plus every added point painted as
  a cell (`point_targets.paint_points`).  With counting regions, only their
  bounding box is used.

`training_images` takes a frozen snapshot of them on the thread that owns the
project (cheap: no image is read); `load_training_image` reads an image and
builds its `Sample` in the worker; `check_enough` refuses too little ground
truth with a message saying what to do; `split_training` makes the
validation set (seeded, or the images the user chose; a single image is cut
in two).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from ..errors import CellCounterError, ParameterError
from ..inference.channels import adapt_channels
from ..io import ReadOptions, read_image
from ..postprocess.size import SizeSetting
from ..project import Project, apply_to_detections, region_mask
from ..project.paths import stored_path
from .annotation_store import stored_annotation
from .data import Sample, make_sample, median_diameter, split_samples
from .point_targets import paint_points

log = logging.getLogger(__name__)

MIN_IMAGES = 1
MIN_CELLS = 10
DEFAULT_DIAMETER_PX = 20.0
SINGLE_IMAGE_VAL_FRACTION = 0.25
SOURCE = "project"


class NotEnoughAnnotations(CellCounterError):
    """Too little ground truth to train on; the message says what to add."""


@dataclass(frozen=True, eq=False)
class AnnotatedImage:
    """A frozen snapshot of one project image that can teach a model.

    ``labels`` are the outlined (imported) or kept (corrected) cells, None
    when there are none; ``points`` the cells marked with a click, ``(k, 2)``
    ``(x, y)``; ``window`` the ``(top, left, bottom, right)`` box used
    (counting regions), None for the whole image; ``n_cells`` the cells in it.
    """

    image_id: str
    name: str
    path: Path
    read: ReadOptions
    kind: str
    labels: np.ndarray | None
    points: np.ndarray
    window: tuple[int, int, int, int] | None
    n_cells: int
    size: SizeSetting
    pixel_size_um: float | None


class TrainingImages(NamedTuple):
    images: list[AnnotatedImage]
    skipped: list[str]
    """``"<image>: <why it cannot teach>"`` for corrected images that cannot be used."""


@dataclass(frozen=True, eq=False)
class TrainingImage:
    """A loaded training image: the `Sample`, and its pixels as read for counting through the engine."""

    image_id: str
    sample: Sample
    data: np.ndarray
    pixel_size_um: float | None

    @property
    def n_cells(self) -> int:
        return int(np.count_nonzero(np.unique(self.sample.labels)))


def training_images(project: Project) -> TrainingImages:
    """Every image of ``project`` with imported annotations or corrected counts.

    Imported annotations take precedence over corrections of the same image.
    Call on the thread that owns the project; the result is safe to hand to a worker.
    """
    images, skipped = [], []
    size = SizeSetting.from_dict(project.defaults.size)
    for entry in project.images:
        if entry.missing:
            continue
        name = stored_path(entry.path, project.folder)
        common = dict(image_id=entry.id, name=name, path=entry.path, read=project.defaults.read,
                      size=size, pixel_size_um=project.defaults.pixel_size_um)
        try:
            annotation = stored_annotation(project.folder, entry.id)
        except CellCounterError as exc:
            skipped.append(f"{name}: {exc}")
            continue
        if annotation is not None:
            labels = annotation.labels
            images.append(AnnotatedImage(kind="imported", labels=labels, points=annotation.points, window=None,
                                         n_cells=annotation.n_cells, **common))
            continue
        if entry.corrections.is_empty:
            continue
        detections = project.detections(entry.id)
        if detections is None:
            skipped.append(f"{name}: corrected, but its counted label image is not available; count it again")
            continue
        fixed = apply_to_detections(detections, entry.corrections, project.defaults.correction_radius)
        labels = np.where(np.isin(detections.labels, fixed.kept_ids), detections.labels, 0).astype(np.int32)
        window = _regions_window(labels.shape, entry.regions)
        images.append(AnnotatedImage(kind="corrected", labels=labels, points=fixed.added, window=window,
                                     n_cells=_cells_in(labels, fixed.added, window), **common))
    return TrainingImages(images, skipped)


def check_enough(images: Sequence[AnnotatedImage], *, min_images: int = MIN_IMAGES,
                 min_cells: int = MIN_CELLS) -> None:
    """Raise `NotEnoughAnnotations` unless there are ``min_images`` images and ``min_cells`` cells."""
    cells = sum(image.n_cells for image in images)
    if len(images) >= min_images and cells >= min_cells:
        return
    have = (f"{len(images)} image{'s' if len(images) != 1 else ''} with {cells} annotated cell"
            f"{'s' if cells != 1 else ''}" if images else "no image with corrections or imported annotations")
    raise NotEnoughAnnotations(
        f"Training needs at least {min_cells} annotated cells on at least {min_images} image"
        f"{'s' if min_images != 1 else ''}; the project has {have}. Correct the counts of more images "
        "(add the cells that were missed, remove the false ones) or import annotations "
        "(label images, ImageJ ROI sets, QuPath GeoJSON or point lists).")


def load_training_image(image: AnnotatedImage, *, channels: int = 1, point_shape: str = "disc",
                        diameter_px: float = 0.0, fallback_diameter_px: float = DEFAULT_DIAMETER_PX) -> TrainingImage:
    """Read an annotated image and build its training sample.

    Points are painted as cells of ``diameter_px`` (0: the median diameter of
    the image's outlined cells, else the project's cell size setting, else
    ``fallback_diameter_px``).

    Raises
    ------
    ImageReadError
        The image cannot be read.
    CellCounterError
        Its labels are not of the image's size.
    """
    loaded = read_image(image.path, image.read)
    shape = loaded.data.shape[:2]
    if image.labels is not None and image.labels.shape != shape:
        raise CellCounterError(f"{image.name}: its annotations are {image.labels.shape[1]}x{image.labels.shape[0]} "
                               f"px but the image is {shape[1]}x{shape[0]} px")
    diameter = diameter_px or _diameter(image, loaded.pixel_size_um) or fallback_diameter_px
    grey = adapt_channels(loaded.data, 1)[0]
    labels = paint_points(image.labels, image.points, diameter, shape, point_shape=point_shape, image=grey)
    data = loaded.data
    if image.window is not None:
        top, left, bottom, right = image.window
        labels, data = labels[top:bottom, left:right], data[top:bottom, left:right]
    sample = make_sample(adapt_channels(data, channels), labels, image.name, SOURCE)
    pixel_size = image.pixel_size_um or loaded.pixel_size_um
    return TrainingImage(image.image_id, sample, np.ascontiguousarray(data), pixel_size)


def split_training(items: Sequence[TrainingImage], *, val_images: Sequence[str] = (), val_fraction: float = 0.2,
                   seed: int = 0) -> tuple[list[TrainingImage], list[TrainingImage], dict[str, object]]:
    """Training and validation images, and a JSON-ready record of the split.

    ``val_images`` (image ids or names): exactly those validate.  Otherwise
    a seeded split (`data.split_samples`, at least one image each); a single
    image is cut across its longer side, the last quarter validating.

    Raises
    ------
    ParameterError
        Unknown validation images, or every image chosen for validation.
    """
    if not items:
        raise ParameterError("no training images")
    if val_images:
        chosen = set(val_images)
        known = {item.image_id for item in items} | {item.sample.name for item in items}
        unknown = sorted(chosen - known)
        if unknown:
            raise ParameterError(f"validation images not among the training images: {', '.join(unknown)}")
        val = [item for item in items if item.image_id in chosen or item.sample.name in chosen]
        train = [item for item in items if item not in val]
        if not train:
            raise ParameterError("every image was chosen for validation; keep at least one for training")
        return train, val, {"val_images": [item.sample.name for item in val],
                            "train": [item.sample.name for item in train]}
    if len(items) == 1:
        train_part, val_part = _cut(items[0])
        return [train_part], [val_part], {"single_image_cut": SINGLE_IMAGE_VAL_FRACTION,
                                          "train": [train_part.sample.name], "val": [val_part.sample.name]}
    by_name = {item.sample.name: item for item in items}
    train_s, val_s, record = split_samples([item.sample for item in items], val_fraction, seed)
    return [by_name[s.name] for s in train_s], [by_name[s.name] for s in val_s], record


def _cut(item: TrainingImage) -> tuple[TrainingImage, TrainingImage]:
    """Split one image across its longer side: the first 75 % trains, the rest validates."""
    height, width = item.sample.labels.shape
    axis = 0 if height >= width else 1
    at = int(round((height, width)[axis] * (1 - SINGLE_IMAGE_VAL_FRACTION)))
    parts = []
    for region, suffix in ((slice(0, at), "train"), (slice(at, None), "validation")):
        index = (region, slice(None)) if axis == 0 else (slice(None), region)
        labels = item.sample.labels[index]
        sample = replace(item.sample, image=np.ascontiguousarray(item.sample.image[(slice(None), *index)]),
                         labels=np.ascontiguousarray(labels), name=f"{item.sample.name} ({suffix} part)",
                         diameter_px=median_diameter(labels))
        parts.append(TrainingImage(item.image_id, sample, np.ascontiguousarray(item.data[index]),
                                   item.pixel_size_um))
    return parts[0], parts[1]


def _diameter(image: AnnotatedImage, pixel_size_um: float | None) -> float:
    """Median diameter of the outlined cells, else the project's size setting in px, else 0."""
    if image.labels is not None:
        diameter = median_diameter(image.labels)
        if np.isfinite(diameter):
            return diameter
    try:
        return float(image.size.diameter_px(image.pixel_size_um or pixel_size_um) or 0.0)
    except ParameterError:
        return 0.0


def _regions_window(shape: tuple[int, ...], regions: Sequence[object]) -> tuple[int, int, int, int] | None:
    if not regions:
        return None
    mask = region_mask(shape, regions)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not rows.size:
        return None
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def _cells_in(labels: np.ndarray, points: np.ndarray, window: tuple[int, int, int, int] | None) -> int:
    top, left, bottom, right = window or (0, 0, *labels.shape)
    ids = np.unique(labels[top:bottom, left:right])
    xs, ys = np.asarray(points, dtype=float).reshape(-1, 2).T
    inside = (ys >= top - 0.5) & (ys < bottom - 0.5) & (xs >= left - 0.5) & (xs < right - 0.5)
    return int(np.count_nonzero(ids)) + int(inside.sum())
