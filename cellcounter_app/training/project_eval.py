"""Score models on a project's validation images through the counting engine (numpy only, no torch).

What the user will see after switching models: each image is counted with
`pipeline.count_image` at the median diameter of its own annotations and its
detections are matched one-to-one to the annotated cells' centroids within
half that diameter (as in the model cards).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..inference import Predictor
from ..io import LoadedImage
from ..metrics import aggregate, counting_metrics
from ..metrics.matching import centroids, match_points
from ..pipeline import count_image
from ..postprocess.size import MAX_DIAMETER_PX, MIN_DIAMETER_PX, SizeSetting
from .data import median_diameter
from .project_data import TrainingImage


@dataclass(frozen=True)
class EngineScore:
    """Detection and count scores of one model on a set of images."""

    model: str
    f1: float
    precision: float
    recall: float
    n_true: int
    n_pred: int
    count_mae: float
    images: int

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "f1": self.f1, "precision": self.precision, "recall": self.recall,
                "n_true": self.n_true, "n_pred": self.n_pred, "count_mae": self.count_mae, "images": self.images}


def engine_score(model: Predictor, items: Sequence[TrainingImage], *,
                 cancel: Callable[[], bool] | None = None) -> EngineScore:
    """Count ``items`` with ``model`` and score the detections against their labels.

    Examples
    --------
    >>> from cellcounter_app.inference import load_model
    >>> from cellcounter_app.training.data import make_sample
    >>> image = np.zeros((40, 40), np.uint8); image[8:18, 8:18] = image[24:34, 20:30] = 200
    >>> labels = (image > 0).astype(np.int32); labels[20:, :] *= 2
    >>> item = TrainingImage("a", make_sample(image[None], labels, "a", "x"), image, None)
    >>> score = engine_score(load_model("classical"), [item])
    >>> score.f1, score.n_true
    (1.0, 2)
    """
    matches, n_true, n_pred = [], [], []
    for item in items:
        truth = item.sample.labels
        diameter = median_diameter(truth)
        size = SizeSetting()
        if np.isfinite(diameter):
            size = SizeSetting(float(np.clip(diameter, MIN_DIAMETER_PX, MAX_DIAMETER_PX)), "px")
        radius = max(diameter / 2.0, 1.0) if np.isfinite(diameter) else 1.0
        result = count_image(loaded_image(item), model, size=size, name=item.sample.name, cancel=cancel)
        match = match_points(centroids(truth), centroids(result.labels), radius)
        matches.append(match)
        n_true.append(match.n_true)
        n_pred.append(match.n_pred)
    total = aggregate(matches)
    mae = counting_metrics(n_true, n_pred)["mae"] if n_true else float("nan")
    return EngineScore(model.meta.name, total.f1, total.precision, total.recall, total.n_true, total.n_pred,
                       float(mae), len(matches))


def loaded_image(item: TrainingImage) -> LoadedImage:
    """``item``'s pixels as the counting engine takes them (as read, cropped to its window)."""
    data = item.data
    names = ("",) * (1 if data.ndim == 2 else data.shape[-1])
    axes = "YX" if data.ndim == 2 else "YXC"
    return LoadedImage(Path(item.sample.name), data, names, item.pixel_size_um, None, axes, data.shape, False)
