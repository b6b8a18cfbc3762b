"""Calibrate the cell size a model works best at, on validation images.

A network trained with cells rescaled to a median diameter of 20 px does not
necessarily count best when the engine shows it cells of exactly 20 px: the
equivalent diameter of a label is not what the network "sees", and touching
cells separate better when their gaps span a few more pixels.  The engine
resizes every image so its cells match the model's ``diameter_px``, so that
value is a calibration parameter like the threshold.  `calibrate_scale`
counts the validation images through the engine (`pipeline.count_image`) as
if their cells were ``factor`` times their annotated median diameter, for
each factor, and keeps the factor with the best detection F1 (ties within
`F1_TIE`: the smaller count error).  The model then declares
``diameter_px = trained diameter / factor``.

No torch here: any `Predictor` is calibrated the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ParameterError
from ..evaluation import median_diameter
from ..inference import Predictor
from ..io import LoadedImage
from ..metrics import MatchResult, aggregate, counting_metrics, evaluate_labels
from ..pipeline import count_image
from ..postprocess.size import SizeSetting

DEFAULT_FACTORS: tuple[float, ...] = (0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0, 1.1)
F1_TIE = 0.002
"""Factors whose validation F1 is within this of the best count as equally good."""


@dataclass(frozen=True)
class ScaleCalibration:
    """The chosen size factor and the validation scores of every factor tried.

    ``table`` rows: ``factor``, ``f1``, ``precision``, ``recall``, ``mpe`` (%),
    ``mae``.  ``diameter_px(trained)`` is the diameter the model should declare.
    """

    factor: float
    f1: float
    mpe: float
    table: list[dict[str, float]] = field(default_factory=list)

    def diameter_px(self, trained_diameter: float) -> float:
        return round(float(trained_diameter) / self.factor, 2)


def array_image(data: np.ndarray, name: str) -> LoadedImage:
    """A `LoadedImage` for an in-memory ``(H, W)`` or ``(H, W, C)`` array (e.g. a generated validation image)."""
    data = np.asarray(data)
    rgb = data.ndim == 3 and data.shape[2] == 3
    names = ("red", "green", "blue") if rgb else (("",) * (data.shape[2] if data.ndim == 3 else 1))
    axes = "YXS" if rgb else ("YXC" if data.ndim == 3 else "YX")
    bits = 8 if data.dtype == np.uint8 else (16 if data.dtype == np.uint16 else 32)
    return LoadedImage(Path(name), data, names, None, bits, axes, data.shape, rgb)


def calibrate_scale(
    model: Predictor,
    pairs: Sequence[tuple[LoadedImage, np.ndarray]],
    factors: Sequence[float] = DEFAULT_FACTORS,
    *,
    say: Callable[[str], None] | None = None,
) -> ScaleCalibration:
    """Choose the size factor with the best validation F1 (see the module notes).

    Parameters
    ----------
    model : Predictor
        The model, with the post-processing defaults it will ship with.
    pairs : sequence of (LoadedImage, (H, W) int ndarray)
        Validation images and their instance labels (at least one cell each
        somewhere in the set).
    factors : sequence of float
        Candidate factors, each in (0.25, 4]: 1 is the trained size, < 1 shows
        the network larger cells.
    """
    grid = [float(f) for f in factors]
    if not grid or any(not (0.25 < f <= 4.0) for f in grid):
        raise ParameterError(f"size factors must lie in (0.25, 4], got {list(factors)!r}")
    truths = [(image, truth, median_diameter([truth])) for image, truth in pairs]
    truths = [(image, truth, d) for image, truth, d in truths if np.isfinite(d) and d > 0]
    if not truths:
        raise ParameterError("scale calibration needs validation images with annotated cells, got none")
    table = []
    for factor in grid:
        matches, n_true, n_pred = [], [], []
        for image, truth, d in truths:
            labels = count_image(image, model, size=SizeSetting(d * factor, "px")).labels
            row = evaluate_labels(truth, labels, max_distance=max(d / 2.0, 1.0))
            matches.append(MatchResult.from_counts(row["n_true"], row["n_pred"], row["tp"]))
            n_true.append(int(row["n_true"]))
            n_pred.append(int(row["n_pred"]))
        overall: dict[str, Any] = {**aggregate(matches).to_dict(), **counting_metrics(n_true, n_pred)}
        table.append({"factor": factor, **{k: float(overall[k]) for k in ("f1", "precision", "recall", "mpe", "mae")}})
        if say is not None:
            say(f"size factor {factor:g}: F1 {overall['f1']:.3f}, MPE {overall['mpe']:+.1f} %")
    best_f1 = max(row["f1"] for row in table)
    chosen = min((row for row in table if row["f1"] >= best_f1 - F1_TIE),
                 key=lambda row: (abs(row["mpe"]), -row["f1"], abs(np.log(row["factor"]))))
    return ScaleCalibration(chosen["factor"], chosen["f1"], chosen["mpe"], table)
