"""How one image is counted with respect to cell size: the diameter, the network scale, the parameters.

`resolve_size` turns the user's `SizeSetting` (a diameter in px or µm, the
model's own scale, or ``auto``) into a `SizeDecision` for one image; with
``auto`` the diameter is estimated (`cellcounter_app.sizing`) and acted on only
when the estimate is sure and far from the model's size (`auto_scale`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .inference import Predictor
from .postprocess import PostprocessParams
from .postprocess.size import SizeSetting, derive_params, scale_for
from .sizing import estimate_diameter


@dataclass(frozen=True)
class SizeDecision:
    """How one image is counted with respect to cell size."""

    diameter_px: float
    """The cell diameter used (image px); NaN when counting at the model's native scale."""
    scale: float
    """Resize factor applied before the network (model diameter / cell diameter)."""
    source: str
    """``model``, ``px``, ``um`` or ``auto``."""
    confidence: float = float("nan")
    """For ``auto``: the estimate's confidence in [0, 1]."""
    params: PostprocessParams = field(default_factory=PostprocessParams)
    """Post-processing parameters in the image's pixels."""

    def as_record(self) -> dict[str, Any]:
        return {"diameter": self.source, "diameter_px": self.diameter_px, "scale": self.scale,
                "diameter_confidence": self.confidence}


AUTO_RESCALE_BEYOND = 1.5
"""``auto`` rescales only cells estimated more than this factor off the model's diameter; nearer ones
are counted at the model's own scale, which a model trained with zoom augmentation handles as well
(and the estimate is only good to about ±10 %: a small rescale adds its error and buys nothing)."""
AUTO_MIN_CONFIDENCE = 0.5
"""``auto`` rescales only on an estimate at least this sure (half the scales tried agree)."""


def auto_scale(model_diameter_px: float, estimate_px: float | None, confidence: float) -> float:
    """The network scale for an automatic estimate: 1 unless it is sure and far from the model's size.

    Examples
    --------
    >>> auto_scale(20.0, 24.0, 0.9), auto_scale(20.0, 50.0, 0.9), auto_scale(20.0, 50.0, 0.25)
    (1.0, 0.4, 1.0)
    """
    if not estimate_px or not model_diameter_px or not confidence >= AUTO_MIN_CONFIDENCE:
        return 1.0
    if abs(math.log(estimate_px / model_diameter_px)) <= math.log(AUTO_RESCALE_BEYOND):
        return 1.0
    return scale_for(model_diameter_px, estimate_px)


def resolve_size(
    model: Predictor,
    image: np.ndarray,
    size: SizeSetting,
    pixel_size_um: float | None,
    overrides: Mapping[str, Any] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> SizeDecision:
    """Decide the cell diameter, the network scale and the derived parameters for one image.

    Raises `ParameterError` for a µm diameter on an uncalibrated image.
    """
    confidence = float("nan")
    if size.is_auto:
        estimate = estimate_diameter(model, image, cancel=cancel)
        diameter = estimate.diameter_px if estimate.found else None
        confidence = estimate.confidence
        scale = auto_scale(model.meta.diameter_px, diameter, confidence)
    else:
        diameter = size.diameter_px(pixel_size_um)
        scale = scale_for(model.meta.diameter_px, diameter)
    params = derive_params(model.meta.default_params(), scale, overrides)
    used = float(diameter) if diameter else float("nan")
    return SizeDecision(used, scale, size.unit, confidence, params)
