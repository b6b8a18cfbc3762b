"""Stain colours: how a grey fluorescence signal looks in an RGB file.

Fluorescence images are often saved as RGB composites: a DAPI stain in the
blue channel, a neuronal marker in red, green, or in both (yellow, as in the
Fluorescent Neuronal Cells images).  The synthetic generator and the colour
augmentation both map a grey signal to such a colour with `stain_weights` and
`colourise`, so that a model trained on grey nuclei also reads RGB-coded stains.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

STAIN_COLOURS: dict[str, tuple[float, float, float]] = {
    "yellow": (1.0, 0.85, 0.0),
    "red": (1.0, 0.0, 0.0),
    "green": (0.0, 1.0, 0.0),
    "blue": (0.0, 0.0, 1.0),
    "magenta": (1.0, 0.0, 1.0),
    "cyan": (0.0, 1.0, 1.0),
    "white": (1.0, 1.0, 1.0),
}
"""RGB weight of each stain colour (red, green, blue)."""


def stain_weights(colour: str, rng: np.random.Generator, *, gain: tuple[float, float] = (0.7, 1.0),
                  crosstalk: tuple[float, float] = (0.0, 0.12)) -> np.ndarray:
    """Random RGB weights of one stain: its colour with channel gains and cross-talk.

    Parameters
    ----------
    colour : str
        A key of `STAIN_COLOURS`.
    rng : numpy.random.Generator
        Source of the random gains.
    gain : (float, float)
        Range of the factor applied to each lit channel (detector gains differ).
    crosstalk : (float, float)
        Range of the fraction of the signal that bleeds into each unlit channel
        (spectral overlap of the filters).

    Returns
    -------
    ndarray
        float64 ``(3,)`` weights, at least one of them >= ``gain[0]``.

    Examples
    --------
    >>> w = stain_weights("blue", np.random.default_rng(0), crosstalk=(0.0, 0.0))
    >>> bool(w[2] >= 0.7), w[:2].tolist()
    (True, [0.0, 0.0])
    """
    if colour not in STAIN_COLOURS:
        raise ParameterError(f"colour must be one of {sorted(STAIN_COLOURS)}, got {colour!r}")
    _check_range(gain, "gain")
    _check_range(crosstalk, "crosstalk")
    base = np.asarray(STAIN_COLOURS[colour], dtype=np.float64)
    lit = base > 0
    weights = np.where(lit, base * rng.uniform(gain[0], gain[1], 3), rng.uniform(crosstalk[0], crosstalk[1], 3))
    return weights / max(1.0, float(weights.max()))


def colourise(grey: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Spread a grey ``(H, W)`` signal over three channels with RGB ``weights``.

    Returns float32 ``(3, H, W)``.

    Examples
    --------
    >>> colourise(np.ones((2, 2)), np.array([1.0, 0.5, 0.0]))[:, 0, 0].tolist()
    [1.0, 0.5, 0.0]
    """
    grey = np.asarray(grey, dtype=np.float32)
    if grey.ndim != 2:
        raise ParameterError(f"grey must be a 2-D array (height, width), got shape {grey.shape}")
    weights = np.asarray(weights, dtype=np.float32).reshape(3, 1, 1)
    return grey[None, :, :] * weights


def _check_range(value: tuple[float, float], name: str) -> None:
    lo, hi = value
    if not 0.0 <= lo <= hi:
        raise ParameterError(f"{name} must be a range (lo, hi) with 0 <= lo <= hi, got {value!r}")
