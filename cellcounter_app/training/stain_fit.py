"""The cell size and minimum stain a lab's own annotations ask for: its rule of "clearly stained", learnt in seconds.

Labs disagree on what counts as stained.  The DeepFLaSH c-Fos annotators
marked faint nuclei two noise levels above the tissue; the FNC annotators
marked only somata 30-40 grey levels above it and left the dim ones out.  No
single ``min_stain`` serves both, and a few minutes of fine-tuning on three
images does not teach the network the difference either
(`bench/finetune_eval.py`).  The annotations themselves do: every annotated
image of the project (imported masks or points, corrected counts) is counted
once with the model and the parameters the user counts with, but no minimum
stain; every object keeps its stain; the floor with the best F1 against the
annotated cells (one-to-one centroid matching within half their median
diameter, as in the model cards) is the lab's rule.

The cell size is fitted the same way: where the annotations outline cells
(imported label images or ROIs, not clicked points or corrected counts,
whose outlines are the detections'), their median diameter is tried beside
the project's size setting, and the one whose best floor agrees better with
the annotations is kept.  The setting and the floor in use stay unless the new
ones raise F1 on the annotated images by at least `MARGIN`.  On the FNC slices,
where the automatic estimate sees too few somata to be sure, this is what
lifts the count the most (`bench/finetune_eval.py`).

`fit_request` takes a frozen snapshot of the project on the thread that owns
it; `fit_to_annotations` is the long work, a generator of `FitProgress` and,
last, the `AnnotationFit` (cancellable between and within images).  Nothing here
imports torch: the window and the command line run it as they count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from ..errors import CellCounterError
from ..inference import Predictor
from ..metrics import aggregate
from ..metrics.matching import centroids, match_points
from ..postprocess.size import MAX_DIAMETER_PX, MIN_DIAMETER_PX, SizeSetting
from ..project import Project
from .data import median_diameter
from .project_data import AnnotatedImage, load_training_image, training_images
from .project_eval import loaded_image
from .stain_calibration import FLOORS, Detections, best_floor, count_detections, f1_at

MIN_CELLS = 3
"""Fewer annotated cells than this cannot say where a lab draws its line."""
MAX_IMAGES = 12
"""At most this many annotated images are counted (the first by project order; they are held in memory)."""
SAME_SIZE = 0.05
"""An outlined median diameter within this fraction of the size in use is not tried apart."""
MARGIN = 0.02
"""A new size or floor must raise F1 on the annotated images by at least this much to replace the one in use:
two images can favour a floor by chance (`bench/fit_eval.py`: on the 40x-oil tissue sections ``classical``'s
floor went from 2 to 12 for 0.01 F1 on the two annotated images and lost 0.14 on the others)."""


class NothingToFit(CellCounterError):
    """The project has no annotated image to fit the minimum stain to; the message says what to do."""


@dataclass(frozen=True)
class FitRequest:
    """What a fit needs, taken from the project on its own thread (`fit_request`)."""

    images: tuple[AnnotatedImage, ...]
    params: Mapping[str, Mapping[str, Any]]
    """Per image id: the parameters the user counts that image with (project defaults, then its overrides)."""
    current: float
    """The ``min_stain`` in use now: ties go to the floor nearest it."""
    size: SizeSetting = SizeSetting()
    """The project's cell size setting."""
    skipped: tuple[str, ...] = ()
    fit_size: bool = True
    """Whether the outlined cells' median diameter is tried as the cell size."""


@dataclass(frozen=True)
class FitProgress:
    """``done`` of ``total`` counts made (one per annotated image and size tried); ``name``: the next image."""

    done: int
    total: int
    name: str


@dataclass(frozen=True)
class AnnotationFit:
    """The fitted floor and cell size, and what they do on the annotated images."""

    min_stain: float
    current: float
    f1: float
    """F1 on the annotated images at ``min_stain`` and ``size``."""
    f1_current: float
    """F1 on them at the ``min_stain`` and size in use before."""
    precision: float
    recall: float
    images: int
    cells: int
    table: dict[float, float] = field(default_factory=dict)
    """F1 at every floor tried, at ``size``."""
    skipped: tuple[str, ...] = ()
    """``"<image>: <why>"`` for annotated images that could not be used."""
    size: SizeSetting = SizeSetting()
    """The cell size setting fitted (the one in use unless ``size_changed``)."""
    size_before: SizeSetting = SizeSetting()
    sizes: dict[str, float] = field(default_factory=dict)
    """Per size tried (its text): F1 at its best floor."""

    @property
    def changed(self) -> bool:
        """Whether the minimum stain changed."""
        return not math.isclose(self.min_stain, self.current)

    @property
    def size_changed(self) -> bool:
        return self.size != self.size_before

    def summary(self) -> str:
        """One sentence for the window and the command line."""
        on = f"{self.images} annotated image{'s' if self.images != 1 else ''} ({self.cells} cells)"
        size = (f"cell diameter {self.size.to_text()} (your outlined cells' median; was "
                f"{self.size_before.to_text()}) and " if self.size_changed else "")
        if not self.changed and not self.size_changed:
            text = f"Minimum stain {self.min_stain:g} already fits the {on} best: F1 {self.f1:.2f}."
        else:
            before = (f"{self.current:g} at {self.size_before.to_text()}" if self.size_changed
                      else f"{self.current:g}")
            verb = "fit" if self.size_changed else "fits"
            text = (f"{size}minimum stain {self.min_stain:g} {verb} the {on} best: F1 {self.f1:.2f} "
                    f"(precision {self.precision:.2f}, recall {self.recall:.2f}); {before} gave {self.f1_current:.2f}.")
            text = text[0].upper() + text[1:]
        if self.skipped:
            text += f" Not used: {'; '.join(self.skipped)}."
        return text


def fit_request(project: Project, current: float | None = None) -> FitRequest:
    """A snapshot of ``project``'s annotated images for `fit_to_annotations` (call on the project's thread).

    ``current``: the ``min_stain`` in use (default: the project's, else the parameter's default).

    Raises
    ------
    NothingToFit
        No image has imported annotations or corrected counts.
    """
    images, skipped = training_images(project)
    if not images:
        reason = f" ({'; '.join(skipped)})" if skipped else ""
        raise NothingToFit("To fit the minimum stain to your rule, annotate a few images first: mark the stained "
                           "cells of an image (add the missed ones, remove the false ones) or import annotations"
                           f"{reason}.")
    params = {image.image_id: dict(project.user_params(image.image_id)) for image in images}
    if current is None:
        value = project.defaults.params.get("min_stain")
        current = float(value) if isinstance(value, (int, float)) else math.nan
    return FitRequest(tuple(images[:MAX_IMAGES]), params, float(current), SizeSetting.from_dict(project.defaults.size),
                      tuple(skipped))


def fit_to_annotations(request: FitRequest, model: Predictor, *,
                  cancel: Callable[[], bool] | None = None) -> Iterator[FitProgress | AnnotationFit]:
    """Count each annotated image with no minimum stain (at each size tried), then choose the floor and the
    size (see the module docstring).

    A ``current`` of NaN (the user never set one) stands for the model's own ``min_stain``.

    Raises
    ------
    NothingToFit
        Fewer than `MIN_CELLS` annotated cells could be read.
    """
    current = request.current
    if not math.isfinite(current):
        current = float(model.meta.default_params().min_stain)
    skipped = list(request.skipped)
    loaded = []
    total = len(request.images)
    yield FitProgress(0, total, "")
    for image in request.images:
        if cancel is not None and cancel():
            return
        try:
            item = load_training_image(image)
        except CellCounterError as exc:
            skipped.append(f"{image.name}: {exc}")
            continue
        diameter = median_diameter(item.sample.labels)
        if not np.isfinite(diameter):
            skipped.append(f"{image.name}: no annotated cell")
            continue
        loaded.append((image, item, centroids(item.sample.labels), diameter))
    n_cells = sum(len(truth) for _, _, truth, _ in loaded)
    if n_cells < MIN_CELLS:
        why = f" ({'; '.join(skipped)})" if skipped else ""
        raise NothingToFit(f"Fitting the minimum stain needs at least {MIN_CELLS} annotated cells; the annotated "
                           f"images give {n_cells}{why}. Mark the stained cells of another image.")
    sizes = [request.size] + _outlined_size(request, loaded)
    tried: list[tuple[SizeSetting, list[Detections]]] = []
    steps = len(sizes) * len(loaded)
    for size in sizes:
        found: list[Detections] = []
        for index, (image, item, truth, diameter) in enumerate(loaded):
            yield FitProgress(len(tried) * len(loaded) + index, steps, image.name)
            try:
                detected = count_detections(loaded_image(item), truth, max(diameter / 2.0, 1.0), model,
                                            request.params.get(image.image_id), size=size, name=image.name,
                                            pixel_size_um=item.pixel_size_um, cancel=cancel)
            except CellCounterError as exc:
                detected = None
                skipped.append(f"{image.name}: {exc}")
            if cancel is not None and cancel():
                return
            if detected is not None:
                found.append(detected)
        tried.append((size, found))
    yield FitProgress(steps, steps, "")
    if not tried[0][1]:
        raise NothingToFit(f"No annotated image could be counted: {'; '.join(dict.fromkeys(skipped))}.")
    floors = sorted({*FLOORS, current})
    fits = []
    for size, found in tried:
        table = {t: f1_at(found, t) for t in floors}
        fits.append((size, found, table, best_floor({"lab": table}, prefer=current)))
    size, found, table, floor = fits[0]
    for other in fits[1:]:
        if other[2][other[3]] >= table[floor] + MARGIN:
            size, found, table, floor = other
    if table[current] >= table[floor] - MARGIN:
        floor = current
    match = aggregate([match_points(d.truth, d.points[d.stain >= floor], d.radius) for d in found])
    yield AnnotationFit(float(floor), current, table[floor], fits[0][2][current], float(match.precision),
                   float(match.recall), len(found), sum(len(d.truth) for d in found), table,
                   tuple(dict.fromkeys(skipped)), size, request.size,
                   {s.to_text(): t[f] for s, _, t, f in fits})


def _outlined_size(request: FitRequest, loaded: list) -> list[SizeSetting]:
    """The median diameter of the outlined cells, as a size to try (none when there is none or it is the same)."""
    if not request.fit_size:
        return []
    outlined = [d for image, _, _, d in loaded if image.kind == "imported" and image.labels is not None
                and not len(image.points)]
    if not outlined:
        return []
    diameter = round(float(np.clip(np.median(outlined), MIN_DIAMETER_PX, MAX_DIAMETER_PX)), 1)
    now = request.size
    if now.unit == "px" and abs(diameter - now.value) <= SAME_SIZE * now.value:
        return []
    return [SizeSetting(diameter, "px")]
