"""Which counts to check by eye: a per-image reliability flag with its reasons.

A count is flagged ``check`` when the image gives the model reasons to be
unsure, each measured on the image itself (no annotation needed):

- *faint cells*: the median cell stands less than `FAINT_STAIN` noise units
  above its background (dim stain, tissue autofluorescence, out of focus);
- *uncertain outlines*: more than `UNCERTAIN_SHARE` of the cells' pixels have
  a probability within `UNCERTAIN_MARGIN` of the threshold (the model hesitates
  where each cell ends, so cells merge or split with a small threshold change);
- *size estimate unsure*: the automatic cell-size estimate had a confidence
  below `UNSURE_SIZE` (the scales tried disagree or saw few cells).

The limits were set on the annotated real sets (`bench/reliability_eval.py`):
on the sources the models never trained on, flagged images score clearly
lower F1 than the others.  An image with no cell is never flagged: nothing
was counted that could be wrong.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

FAINT_STAIN = 10.0
"""Median stain (noise units) below which the cells of an image are called faint."""
UNCERTAIN_MARGIN = 0.15
"""A cell pixel is uncertain when its probability is within this of the threshold."""
UNCERTAIN_SHARE = 0.25
"""Share of uncertain cell pixels above which the outlines are called uncertain."""
UNSURE_SIZE = 0.5
"""Confidence of an automatic size estimate below which it is called unsure."""

OK = "ok"
CHECK = "check"


def reliability(cells: Mapping[str, np.ndarray], labels: np.ndarray | None, probability: np.ndarray | None,
                params: Mapping[str, Any], *, share: float | None = None) -> tuple[str, str]:
    """``(flag, reasons)``: ``("ok", "")`` or ``("check", "faint cells (median stain 6.1); ...")``.

    ``share``: the `uncertain_share` of ``labels`` and ``probability`` when it
    is already known (the map may be gone).

    Examples
    --------
    >>> cells = {"stain": np.array([4.0, 5.0, 6.0])}
    >>> reliability(cells, None, None, {"diameter": "px"})
    ('check', 'faint cells (median stain 5.0 x noise)')
    >>> reliability({"stain": np.array([40.0])}, None, None, {"diameter": "auto", "diameter_confidence": 0.9})
    ('ok', '')
    """
    stain = np.asarray(cells.get("stain", np.zeros(0)), dtype=float)
    if stain.size == 0:
        return OK, ""
    reasons = []
    finite = stain[np.isfinite(stain)]
    if finite.size and float(np.median(finite)) < FAINT_STAIN:
        reasons.append(f"faint cells (median stain {float(np.median(finite)):.1f} x noise)")
    if share is None:
        share = uncertain_share(labels, probability, params.get("threshold"))
    if share > UNCERTAIN_SHARE:
        reasons.append(f"uncertain outlines ({share:.0%} of cell pixels near the threshold)")
    confidence = params.get("diameter_confidence")
    if params.get("diameter") == "auto" and isinstance(confidence, (int, float)) and not (
            math.isfinite(confidence) and confidence >= UNSURE_SIZE):
        reasons.append(f"size estimate unsure (confidence {confidence:.2f})")
    return (CHECK, "; ".join(reasons)) if reasons else (OK, "")


def uncertain_share(labels: np.ndarray | None, probability: np.ndarray | None, threshold: Any) -> float:
    """The share of cell pixels whose probability is within `UNCERTAIN_MARGIN` of ``threshold`` (0 if unknown)."""
    if labels is None or probability is None or not isinstance(threshold, (int, float)):
        return 0.0
    if probability.shape != labels.shape:
        return 0.0
    cell_pixels = uncertain = 0
    for y in range(0, labels.shape[0], BLOCK_ROWS):  # a block at a time: no whole-image copies
        inside = labels[y:y + BLOCK_ROWS] > 0
        values = probability[y:y + BLOCK_ROWS][inside]
        cell_pixels += values.size
        uncertain += int(np.count_nonzero(np.abs(values - float(threshold)) < UNCERTAIN_MARGIN))
    return uncertain / cell_pixels if cell_pixels else 0.0


BLOCK_ROWS = 512


def reliability_params(cells: Mapping[str, np.ndarray], labels: np.ndarray | None,
                       probability: np.ndarray | None, params: Mapping[str, Any], *,
                       share: float | None = None) -> dict[str, str]:
    """The ``reliability`` and ``reliability_reasons`` entries of a result's params (the Images sheet columns)."""
    flag, reasons = reliability(cells, labels, probability, params, share=share)
    return {"reliability": flag, "reliability_reasons": reasons}
