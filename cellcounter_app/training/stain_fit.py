"""The minimum stain a lab's own annotations ask for: its rule of "clearly stained", learnt in seconds.

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

`fit_request` takes a frozen snapshot of the project on the thread that owns
it; `fit_min_stain` is the long work, a generator of `FitProgress` and,
last, the `StainFit` (cancellable between and within images).  Nothing here
imports torch: the window and the command line run it as they count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from ..errors import CellCounterError
from ..inference import Predictor
from ..metrics import aggregate
from ..metrics.matching import centroids, match_points
from ..pipeline import count_image
from ..postprocess.params import PARAM_SPECS
from ..project import Project
from .data import median_diameter
from .project_data import AnnotatedImage, load_training_image, training_images
from .project_eval import loaded_image
from .stain_calibration import FLOORS, Detections, best_floor, f1_at

DEFAULT_MIN_STAIN = float(next(spec.default for spec in PARAM_SPECS if spec.name == "min_stain"))
MIN_CELLS = 3
"""Fewer annotated cells than this cannot say where a lab draws its line."""


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
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class FitProgress:
    done: int
    total: int
    name: str


@dataclass(frozen=True)
class StainFit:
    """The fitted floor and what it does on the annotated images."""

    min_stain: float
    current: float
    f1: float
    """F1 on the annotated images at ``min_stain``."""
    f1_current: float
    """F1 on them at the ``min_stain`` in use before."""
    precision: float
    recall: float
    images: int
    cells: int
    table: dict[float, float] = field(default_factory=dict)
    """F1 at every floor tried."""
    skipped: tuple[str, ...] = ()
    """``"<image>: <why>"`` for annotated images that could not be used."""

    @property
    def changed(self) -> bool:
        return not math.isclose(self.min_stain, self.current)

    def summary(self) -> str:
        """One sentence for the window and the command line."""
        on = f"{self.images} annotated image{'s' if self.images != 1 else ''} ({self.cells} cells)"
        if not self.changed:
            text = f"Minimum stain {self.min_stain:g} already fits the {on} best: F1 {self.f1:.2f}."
        else:
            text = (f"Minimum stain {self.min_stain:g} fits the {on} best: F1 {self.f1:.2f} "
                    f"(precision {self.precision:.2f}, recall {self.recall:.2f}); {self.current:g} gave {self.f1_current:.2f}.")
        if self.skipped:
            text += f" Not used: {'; '.join(self.skipped)}."
        return text


def fit_request(project: Project, current: float | None = None) -> FitRequest:
    """A snapshot of ``project``'s annotated images for `fit_min_stain` (call on the project's thread).

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
    return FitRequest(tuple(images), params, float(current), tuple(skipped))


def fit_min_stain(request: FitRequest, model: Predictor, *,
                  cancel: Callable[[], bool] | None = None) -> Iterator[FitProgress | StainFit]:
    """Count each annotated image once with no minimum stain, then choose the floor (see the module docstring).

    A ``current`` of NaN (the user never set one) stands for the model's own ``min_stain``.

    Raises
    ------
    NothingToFit
        Fewer than `MIN_CELLS` annotated cells could be read.
    """
    current = request.current
    if not math.isfinite(current):
        current = float(model.meta.default_params().min_stain)
    found: list[Detections] = []
    skipped = list(request.skipped)
    total = len(request.images)
    for done, image in enumerate(request.images):
        yield FitProgress(done, total, image.name)
        if cancel is not None and cancel():
            return
        try:
            item = load_training_image(image)
        except CellCounterError as exc:
            skipped.append(f"{image.name}: {exc}")
            continue
        truth = item.sample.labels
        diameter = median_diameter(truth)
        if not np.isfinite(diameter):
            skipped.append(f"{image.name}: no annotated cell")
            continue
        params = {**request.params.get(image.image_id, {}), "min_stain": 0.0}
        result = count_image(loaded_image(item), model, params, size=image.size, name=image.name,
                             pixel_size_um=item.pixel_size_um, cancel=cancel, keep_arrays=False)
        if cancel is not None and cancel():
            return
        if not result.ok:
            skipped.append(f"{image.name}: {result.error}")
            continue
        cells = result.cells
        points = np.stack([cells["y"], cells["x"]], axis=1) if cells["x"].size else np.zeros((0, 2))
        found.append(Detections(centroids(truth), points, np.asarray(cells["stain"], float),
                                max(diameter / 2.0, 1.0)))
    yield FitProgress(total, total, "")
    n_cells = sum(len(d.truth) for d in found)
    if n_cells < MIN_CELLS:
        why = f" ({'; '.join(skipped)})" if skipped else ""
        raise NothingToFit(f"Fitting the minimum stain needs at least {MIN_CELLS} annotated cells; the annotated "
                           f"images give {n_cells}{why}. Mark the stained cells of another image.")
    floors = sorted({*FLOORS, current})
    table = {t: f1_at(found, t) for t in floors}
    floor = best_floor({"lab": table}, prefer=current)
    match = aggregate([match_points(d.truth, d.points[d.stain >= floor], d.radius) for d in found])
    yield StainFit(float(floor), current, table[floor], table[current], float(match.precision),
                   float(match.recall), len(found), n_cells, table, tuple(skipped))
