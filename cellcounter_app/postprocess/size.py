"""One size parameter: the expected cell diameter, and what derives from it.

A model is trained at one object size (``ModelMeta.diameter_px``) and its
post-processing defaults are calibrated at that size.  When the cells of an
image are ``d`` px across, the engine resizes the image by
``scale = model diameter / d`` so the cells match the model, and every
size-dependent parameter (`ParamSpec.size_power` 1 for lengths, 2 for areas)
is converted back to the image's own pixels by :func:`derive_params`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import ParameterError
from .params import PARAM_SPECS, PostprocessParams

UNITS = ("px", "um", "auto", "model")
MIN_DIAMETER_PX, MAX_DIAMETER_PX = 2.0, 2000.0
MIN_SCALE, MAX_SCALE = 1 / 16, 8.0
_PATTERN = re.compile(r"^\s*(?P<value>[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(?P<unit>px|um|µm|μm|micron|microns)?\s*$")


@dataclass(frozen=True)
class SizeSetting:
    """The expected cell diameter as the user gave it.

    ``unit`` is ``px``, ``um`` (needs a pixel size), ``auto`` (estimated per
    image) or ``model`` (no rescaling: count at the model's native scale).

    Examples
    --------
    >>> SizeSetting.parse("12um")
    SizeSetting(value=12.0, unit='um')
    >>> SizeSetting.parse("30").diameter_px(None)
    30.0
    >>> SizeSetting.parse("10 µm").diameter_px(0.5)
    20.0
    """

    value: float = 0.0
    unit: str = "model"

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ParameterError(f"diameter unit must be one of {', '.join(UNITS)}, got {self.unit!r}")
        if self.unit in ("px", "um") and not (self.value > 0 and math.isfinite(self.value)):
            raise ParameterError(f"diameter must be a positive number, got {self.value!r}")
        if self.unit == "px" and not MIN_DIAMETER_PX <= self.value <= MAX_DIAMETER_PX:
            raise ParameterError(
                f"diameter must be between {MIN_DIAMETER_PX:g} and {MAX_DIAMETER_PX:g} px, got {self.value:g}"
            )

    @classmethod
    def parse(cls, text: str | float | None) -> "SizeSetting":
        """``"12um"``, ``"12 µm"``, ``"30px"``, ``"30"`` (px), ``"auto"``, ``"model"`` or empty."""
        if text is None or (isinstance(text, str) and text.strip().lower() in ("", "model", "none")):
            return cls()
        if isinstance(text, (int, float)):
            return cls(float(text), "px")
        if text.strip().lower() == "auto":
            return cls(0.0, "auto")
        match = _PATTERN.match(text)
        if match is None:
            raise ParameterError(f"diameter must look like 12um, 30px, 30, auto or model; got {text!r}")
        unit = "px" if match["unit"] in (None, "px") else "um"
        return cls(float(match["value"]), unit)

    @property
    def is_auto(self) -> bool:
        return self.unit == "auto"

    def diameter_px(self, pixel_size_um: float | None) -> float | None:
        """The diameter in pixels, or None for ``auto`` and ``model``.

        Raises `ParameterError` for a µm diameter on an uncalibrated image.
        """
        if self.unit == "px":
            return self.value
        if self.unit == "um":
            if not pixel_size_um or pixel_size_um <= 0:
                raise ParameterError(
                    f"a diameter of {self.value:g} µm needs the pixel size: this image has no calibration;"
                    " give the diameter in px or set the pixel size"
                )
            return self.value / pixel_size_um
        return None

    def to_text(self) -> str:
        if self.unit in ("auto", "model"):
            return self.unit
        return f"{self.value:g}{self.unit}"

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "unit": self.unit}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "SizeSetting":
        if not data:
            return cls()
        return cls(float(data.get("value", 0.0)), str(data.get("unit", "model")))


DEFAULT_SIZE = SizeSetting(0.0, "auto")
"""The cell size a count uses when the user gives none (the CLI, the window, new projects): estimated
per image, and the image rescaled only when its cells are far from the model's size
(`cellcounter_app.size_decision.auto_scale`).  Chosen on the real sets the models never trained on
(`bench/benchmark.py`): as good as or better than the model's own scale on cells of about its size
(`nuclei`, mean F1 of the held-out nuclei sources 0.804 vs 0.778), far better on cells of another
magnification, 0.02 below the labels' diameter (0.827)."""


def scale_for(model_diameter_px: float, diameter_px: float | None) -> float:
    """The resize factor that brings cells of ``diameter_px`` to the model's size.

    1.0 when either is unknown; clipped to [1/16, 8].

    Examples
    --------
    >>> scale_for(20.0, 40.0)
    0.5
    >>> scale_for(0.0, 40.0)
    1.0
    """
    if not diameter_px or not model_diameter_px:
        return 1.0
    return float(min(max(model_diameter_px / diameter_px, MIN_SCALE), MAX_SCALE))


ENLARGE_NOTE_SCALE = 4.0
"""Counting with cells enlarged this much or more (cells a quarter of the model's size) gets a note."""
ENLARGE_NOTE_PIXELS = 100_000_000
"""So does any enlargement that makes the image counted larger than this many pixels."""
BYTES_PER_PIXEL = 12
"""About what counting holds per pixel of the image the network sees (input, probability, labels)."""


def enlargement_note(scale: float, diameter_px: float, model_diameter_px: float, shape: tuple[int, ...]) -> str:
    """A note when the image is enlarged a lot for the model (a diameter typed too small, e.g. 2 px), else "".

    Examples
    --------
    >>> print(enlargement_note(8.0, 2.0, 21.0, (2048, 2048)))  # doctest: +NORMALIZE_WHITESPACE
    cells of 2 px are enlarged 8× to the model's 21 px: the image is counted at 16384×16384 px
    (about 3.0 GiB of memory); if the cells are larger, give their diameter
    >>> enlargement_note(1.05, 20.0, 21.0, (2048, 2048))
    ''
    """
    pixels = shape[0] * shape[1] * scale * scale
    if scale <= 1.0 or (scale < ENLARGE_NOTE_SCALE and pixels <= ENLARGE_NOTE_PIXELS):
        return ""
    height, width = (round(n * scale) for n in shape[:2])
    return (f"cells of {diameter_px:.3g} px are enlarged {scale:.3g}× to the model's {model_diameter_px:.3g} px:"
            f" the image is counted at {width}×{height} px (about {pixels * BYTES_PER_PIXEL / 2**30:.1f} GiB of"
            " memory); if the cells are larger, give their diameter")


def derive_params(model_params: PostprocessParams, scale: float,
                  overrides: Mapping[str, Any] | None = None) -> PostprocessParams:
    """Post-processing parameters in the image's pixels for an image resized by ``scale``.

    ``model_params`` are calibrated at the model's own object size; a length
    is divided by ``scale`` and an area by ``scale**2``.  ``overrides`` (the
    values the user set, already in image pixels) are applied last.

    Examples
    --------
    >>> p = derive_params(PostprocessParams(min_size=100, peak_min_distance=8), 0.5)
    >>> p.min_size, p.peak_min_distance
    (400, 16)
    """
    if not scale > 0:
        raise ParameterError(f"scale must be positive, got {scale!r}")
    values = model_params.to_dict()
    for spec in PARAM_SPECS:
        if spec.size_power and spec.name in values:
            scaled = values[spec.name] / scale**spec.size_power
            lo = spec.minimum if spec.minimum is not None else scaled
            hi = spec.maximum if spec.maximum is not None else scaled
            values[spec.name] = spec.kind(min(max(round(scaled), lo), hi))
    derived = PostprocessParams.from_dict(values)
    return derived.replace(**dict(overrides or {}))
