"""Automatic cell-diameter estimate: the network at a few scales.

A network trained at one object size reports objects of about that size at
any input scale: shown cells three times too large, it finds fragments of
its own size; shown the right scale, it finds whole cells.  So the estimate
runs the model on a crop at four scales (powers of two around the model's
diameter), converts the median detected diameter at each scale back to image
pixels, and keeps the diameter that most scales agree on (within ±25 %; when
no scale has more support than another, the one most scales agree with
within ±50 %).  Only clearly stained objects count (stain of at least
`ESTIMATE_MIN_STAIN`, see `cellcounter_app.postprocess.stain`): what a
network finds in camera noise or in dim background tissue says nothing of
the cells' size, and an image where no scale finds three stained objects
has no estimate (it is counted at the model's own scale).
Each pass looks at no more than ``budget`` model pixels (384² by default),
so the estimate costs about as much as counting one 770×770 image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .inference import Predictor
from .inference.rescale import resize_image
from .measure import measure_cells
from .postprocess import postprocess
from .postprocess.stain import drop_faint, noise_sigma

SCALES = (2.0, 1.0, 0.5, 0.25)
"""Resize factors tried: cells of half to eight times the model's diameter
(chosen on the real sets: the wider 4…1/8 range was no more accurate and cost twice the time)."""
ESTIMATE_MIN_STAIN = 3.0
"""Objects fainter than this (signal over local background, in noise units) are not measured."""
AGREEMENT = math.log(1.25)
ROUGH_AGREEMENT = math.log(1.5)
MIN_OBJECTS = 3


@dataclass(frozen=True)
class DiameterEstimate:
    """An estimated cell diameter (image px) with how much to trust it.

    ``confidence`` in [0, 1]: the share of scales that agree, scaled down when
    few objects were seen.  ``per_scale`` maps each scale tried to the diameter
    it implies (NaN where nothing was detected).
    """

    diameter_px: float
    confidence: float
    n_objects: int
    per_scale: dict[float, float] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return math.isfinite(self.diameter_px) and self.diameter_px > 0


def estimate_diameter(model: Predictor, image: np.ndarray, *, budget: int = 384 * 384,
                      cancel=None) -> DiameterEstimate:
    """Estimate the median cell diameter (px) of ``image`` with ``model``.

    Returns an estimate with ``diameter_px`` NaN when no scale found cells.
    """
    model_d = model.meta.diameter_px or 20.0
    params = model.meta.default_params().replace(exclude_border=True, border_margin=0)
    sigma = noise_sigma(image)
    implied: dict[float, float] = {}
    counts: dict[float, int] = {}
    for scale in SCALES:
        side = int(math.sqrt(budget) / scale)
        crop = _busiest_crop(image, side)
        resized = resize_image(crop, scale)
        if min(resized.shape[:2]) < 8:
            continue
        labels = postprocess(model.predict(resized, cancel=cancel), params)
        labels = drop_faint(labels, resized, ESTIMATE_MIN_STAIN, sigma)
        diam = measure_cells(labels)["equivalent_diameter_px"]
        counts[scale] = int(diam.size)
        implied[scale] = float(np.median(diam) / scale) if diam.size >= MIN_OBJECTS else float("nan")
    return _consensus(implied, counts, model_d)


def _consensus(implied: dict[float, float], counts: dict[float, int], model_d: float) -> DiameterEstimate:
    valid = {s: d for s, d in implied.items() if math.isfinite(d) and d > 0}
    if not valid:
        return DiameterEstimate(float("nan"), 0.0, 0, implied)
    logs = {s: math.log(d) for s, d in valid.items()}

    def score(s: float) -> tuple[int, int, float]:
        """How many scales agree with this one; ties go to the most scales roughly agreeing, then to
        the best match of the model's size (the last resort: cells shown far too large break into
        fragments of exactly the model's size)."""
        support = sum(1 for t in logs if abs(logs[t] - logs[s]) <= AGREEMENT)
        rough = sum(1 for t in logs if abs(logs[t] - logs[s]) <= ROUGH_AGREEMENT)
        return support, rough, -abs(math.log(valid[s] * s / model_d))

    best_scale = max(logs, key=score)
    members = [s for s, ld in logs.items() if abs(ld - logs[best_scale]) <= AGREEMENT]
    diameter = float(math.exp(np.median([logs[s] for s in members])))
    n_objects = sum(counts[s] for s in members)
    confidence = len(members) / max(len(implied), 1) * min(1.0, n_objects / 20.0)
    return DiameterEstimate(diameter, round(confidence, 3), n_objects, implied)


def _busiest_crop(image: np.ndarray, side: int) -> np.ndarray:
    """A ``side``-square crop (or the whole image) where the intensity varies most."""
    h, w = image.shape[:2]
    if side >= h and side >= w:
        return image
    ch, cw = min(side, h), min(side, w)
    grey = image if image.ndim == 2 else image.max(axis=2)
    best, best_score = (0, 0), -1.0
    for fy in (0.5, 0.25, 0.75):
        for fx in (0.5, 0.25, 0.75):
            y = int(min(max(fy * h - ch / 2, 0), h - ch))
            x = int(min(max(fx * w - cw / 2, 0), w - cw))
            sample = np.asarray(grey[y:y + ch:4, x:x + cw:4], dtype=np.float32)
            finite = sample[np.isfinite(sample)]
            score = float(finite.std()) if finite.size else 0.0
            if score > best_score:
                best, best_score = (y, x), score
    y, x = best
    return image[y:y + ch, x:x + cw]
