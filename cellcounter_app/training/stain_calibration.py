"""Choose a model's ``min_stain`` on annotated images, exactly and cheaply (no torch).

Each image is counted once with ``min_stain`` 0 and every detection keeps its
``stain`` (`cellcounter_app.postprocess.stain`).  The F1 at a floor ``t`` is
then the F1 of the detections with stain >= ``t`` matched again to the
annotations (one-to-one, centroids within half the image's median annotated
diameter): the same number a count with ``min_stain=t`` gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..errors import CellCounterError
from ..evaluation import median_diameter
from ..inference import Predictor
from ..io import LoadedImage
from ..metrics import aggregate
from ..metrics.matching import centroids, match_points
from ..pipeline import count_image
from ..postprocess.size import SizeSetting

FLOORS = (0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0, 25.0, 30.0, 40.0,
          50.0, 60.0, 80.0, 100.0)
"""The floors tried (noise units).  Up to 100: in an 8-bit image with almost no camera noise (the FNC
slices: one grey level) a lab that counts only strongly stained somata draws its line at 30-40."""


@dataclass(frozen=True)
class Detections:
    """One counted image: annotated centroids, detected centroids and their stain, the match radius."""

    truth: np.ndarray
    points: np.ndarray
    stain: np.ndarray
    radius: float


def detections(model: Predictor, pairs: Iterable[tuple[LoadedImage, np.ndarray]],
               size: str = "truth") -> list[Detections]:
    """Count each ``(image, truth labels)`` with ``min_stain`` 0, at the labels' diameter (``size="truth"``)
    or at a `SizeSetting` text (``"auto"``, ``"model"``, ``"30px"``)."""
    found = []
    for image, truth in pairs:
        d = median_diameter([truth])
        setting = SizeSetting(d, "px") if size == "truth" else SizeSetting.parse(size)
        found.append(count_detections(image, centroids(truth), max(d / 2.0, 1.0), model, size=setting))
    return found


def count_detections(image: LoadedImage, truth: np.ndarray, radius: float, model: Predictor,
                     params: Mapping[str, Any] | None = None, **options: Any) -> Detections:
    """``image`` counted with ``params`` but ``min_stain`` 0 (``options`` go to `count_image`: ``size``,
    ``cancel``...), its detections and their stain beside the annotated centroids ``truth``.

    Raises
    ------
    CellCounterError
        The image could not be counted (the message says why).
    """
    result = count_image(image, model, {**(params or {}), "min_stain": 0.0}, keep_arrays=False, **options)
    if not result.ok:
        raise CellCounterError(result.error)
    cells = result.cells
    points = np.stack([cells["y"], cells["x"]], axis=1) if cells["x"].size else np.zeros((0, 2))
    return Detections(truth, points, np.asarray(cells["stain"], float), radius)


def f1_at(images: Sequence[Detections], floor: float) -> float:
    """Micro-averaged detection F1 when the cells below ``floor`` are dropped."""
    matches = [match_points(d.truth, d.points[d.stain >= floor], d.radius) for d in images]
    return float(aggregate(matches).f1) if matches else float("nan")


def best_floor(table: Mapping[str, Mapping[float, float]], group: Mapping[str, str] | None = None,
               prefer: float = 2.0) -> float:
    """The floor with the best mean F1 over the sources of ``table`` (``{source: {floor: F1}}``).

    Sources of one ``group`` (one lab) weigh as one; ties go to the floor nearest ``prefer``.

    Examples
    --------
    >>> best_floor({"a": {0.0: 0.5, 3.0: 0.9}, "b": {0.0: 0.8, 3.0: 0.7}})
    3.0
    """
    group = group or {name: name for name in table}
    groups = sorted({group[name] for name in table})
    floors = sorted(set.intersection(*(set(row) for row in table.values())))

    def score(t: float) -> float:
        return float(np.mean([np.mean([table[n][t] for n in table if group[n] == g]) for g in groups]))
    return max(floors, key=lambda t: (score(t), -abs(t - prefer)))


def leave_one_out(table: Mapping[str, Mapping[float, float]], group: Mapping[str, str] | None = None
                  ) -> dict[str, tuple[float, float]]:
    """Per source: the floor chosen without its group (its lab), and the source's F1 at that floor."""
    group = group or {name: name for name in table}
    folds = {}
    for held in table:
        others = {n: row for n, row in table.items() if group[n] != group[held]} or dict(table)
        t = best_floor(others, group)
        folds[held] = (t, table[held][t])
    return folds
