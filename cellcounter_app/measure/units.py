"""Conversions between pixels and micrometres."""

from __future__ import annotations

import math
import numbers
from typing import overload

import numpy as np

from ..errors import ParameterError

UM2_PER_MM2 = 1e6
"""Square micrometres in a square millimetre."""

MEASURABLE_PIXEL_UM = (1e-6, 1e6)
"""Pixel sizes (µm) whose areas and densities stay finite and non-zero in float64 (1e300 µm
overflows when squared, 1e-300 µm squares to 0): a wider range than any image can mean."""


def check_pixel_size(pixel_size_um: float | None, allow_none: bool = False) -> float | None:
    """Return the pixel size (µm per pixel) as a float after checking it.

    Parameters
    ----------
    pixel_size_um : float or None
        Width of one pixel in micrometres; must be finite and > 0, and within
        `MEASURABLE_PIXEL_UM`.
    allow_none : bool, optional
        Accept None (an uncalibrated image) and return it unchanged.

    Examples
    --------
    >>> check_pixel_size(0.65)
    0.65
    >>> check_pixel_size(0)
    Traceback (most recent call last):
    ...
    cellcounter_app.errors.ParameterError: pixel_size_um must be a finite number > 0 (µm per pixel), got 0
    """
    if pixel_size_um is None and allow_none:
        return None
    if (
        isinstance(pixel_size_um, bool)
        or not isinstance(pixel_size_um, numbers.Real)
        or not math.isfinite(pixel_size_um)
        or pixel_size_um <= 0
    ):
        raise ParameterError(f"pixel_size_um must be a finite number > 0 (µm per pixel), got {pixel_size_um!r}")
    low, high = MEASURABLE_PIXEL_UM
    if not low <= pixel_size_um <= high:
        raise ParameterError(f"pixel_size_um must be from {low:g} to {high:g} µm per pixel, got {pixel_size_um!r}")
    return float(pixel_size_um)


def _check_power(power: int) -> int:
    if isinstance(power, bool) or not isinstance(power, numbers.Integral):
        raise ParameterError(f"power must be an integer (1 for lengths, 2 for areas), got {power!r}")
    return int(power)


@overload
def px_to_um(value_px: float, pixel_size_um: float, power: int = 1) -> float: ...
@overload
def px_to_um(value_px: np.ndarray, pixel_size_um: float, power: int = 1) -> np.ndarray: ...
def px_to_um(value_px: float | np.ndarray, pixel_size_um: float, power: int = 1) -> float | np.ndarray:
    """Convert a value in pixel units to micrometre units.

    Parameters
    ----------
    value_px : float or array
        Value in px**power (px for lengths, px² for areas).
    pixel_size_um : float
        Width of one pixel in µm, > 0.
    power : int, optional
        Dimension of the value: 1 for lengths, 2 for areas, -2 for densities
        (per px²).

    Returns
    -------
    value_um : float or array of float
        ``value_px * pixel_size_um ** power``.

    Examples
    --------
    >>> px_to_um(10, 0.5)
    5.0
    >>> px_to_um(100, 0.5, power=2)
    25.0
    """
    factor = check_pixel_size(pixel_size_um) ** _check_power(power)
    if np.ndim(value_px) == 0:
        return float(value_px) * factor
    return np.asarray(value_px, dtype=np.float64) * factor


@overload
def um_to_px(value_um: float, pixel_size_um: float, power: int = 1) -> float: ...
@overload
def um_to_px(value_um: np.ndarray, pixel_size_um: float, power: int = 1) -> np.ndarray: ...
def um_to_px(value_um: float | np.ndarray, pixel_size_um: float, power: int = 1) -> float | np.ndarray:
    """Convert a value in micrometre units to pixel units (inverse of `px_to_um`).

    Parameters
    ----------
    value_um : float or array
        Value in µm**power.
    pixel_size_um : float
        Width of one pixel in µm, > 0.
    power : int, optional
        1 for lengths, 2 for areas.

    Returns
    -------
    value_px : float or array of float
        ``value_um / pixel_size_um ** power``.

    Examples
    --------
    >>> um_to_px(5.0, 0.5)
    10.0
    >>> um_to_px(25.0, 0.5, power=2)
    100.0
    """
    factor = check_pixel_size(pixel_size_um) ** _check_power(power)
    if np.ndim(value_um) == 0:
        return float(value_um) / factor
    return np.asarray(value_um, dtype=np.float64) / factor
