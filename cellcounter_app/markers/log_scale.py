"""The log scale the automatic rules work on, also for values at or below zero.

Marker intensities spread over decades and their groups look Gaussian on a
log scale.  Background-corrected values are near zero or negative for
negative cells, where a plain log is undefined: those are put on the
inverse hyperbolic sine scale ``asinh(v / c)``, which is linear within about
``c`` of zero and logarithmic beyond (the "generalised log" of flow
cytometry).  ``c`` is the background noise, so negatives within the noise
stay together while brighter cells spread out by their fold change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

_MAD_TO_SD = 1.4826


@dataclass(frozen=True)
class LogScale:
    """``log(v)`` when ``cofactor`` is None, else ``asinh(v / cofactor)``.

    Examples
    --------
    >>> scale = LogScale(10.0)
    >>> float(scale.inverse(scale.forward(np.array([250.0]))[0]))
    250.0
    """

    cofactor: float | None = None

    def forward(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        if self.cofactor is None:
            return np.log(values)
        return np.arcsinh(values / self.cofactor)

    def inverse(self, value: float) -> float:
        if self.cofactor is None:
            return math.exp(value)
        return math.sinh(value) * self.cofactor


def log_scale(values: np.ndarray, cofactor: float | None = None) -> LogScale:
    """The scale for ``values``: asinh with ``cofactor`` when given, else log when every value is above 0.

    Values at or below zero without a cofactor get asinh with the values'
    robust spread (1.4826 × median absolute deviation) as cofactor.

    Examples
    --------
    >>> log_scale(np.array([1.0, 10.0])).cofactor is None
    True
    >>> log_scale(np.array([-2.0, 0.0, 2.0, 4.0])).cofactor
    2.9652
    """
    if cofactor is not None and cofactor > 0 and math.isfinite(cofactor):
        return LogScale(float(cofactor))
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0 or finite.min() > 0:
        return LogScale(None)
    spread = _MAD_TO_SD * float(np.median(np.abs(finite - np.median(finite))))
    if spread <= 0:
        spread = float(finite.std()) or 1.0
    return LogScale(spread)
