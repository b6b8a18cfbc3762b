"""The records a project is made of: its defaults and one entry per image."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..errors import ParameterError
from ..io.options import ReadOptions
from ..postprocess.params import SPECS_BY_NAME
from ..results import ModelInfo
from .corrections import Corrections
from .regions import Region

NEW, COUNTED, ERROR, STALE, MISSING = "new", "counted", "error", "stale", "missing"
STATES = (NEW, COUNTED, ERROR, STALE)
"""Stored states of an image; ``missing`` is not stored but found when opening."""
DEFAULT_CORRECTION_RADIUS = 10.0


def check_params(values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a partial ``{name: value}`` mapping of post-processing parameters.

    Examples
    --------
    >>> check_params({"threshold": "0.7", "min_size": 40})
    {'threshold': 0.7, 'min_size': 40}
    >>> check_params({"treshold": 0.7})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cellcounter_app.errors.ParameterError: unknown parameter 'treshold'; known: threshold, ...
    """
    checked = {}
    for name, value in values.items():
        spec = SPECS_BY_NAME.get(name)
        if spec is None:
            known = ", ".join(SPECS_BY_NAME)
            raise ParameterError(f"unknown parameter {name!r}; known: {known}")
        checked[name] = spec.check(value)
    return checked


def clean_number(value: Any) -> Any:
    """NaN and infinities become None (JSON null); other values pass through."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass
class Defaults:
    """The settings every image of the project uses unless it overrides them.

    ``params`` holds only the post-processing parameters the user set (image
    pixels); the others come from the model.  ``size`` is the expected cell
    diameter setting, a free mapping (``{"value": 14, "unit": "um"}``).
    ``correction_radius`` (px) decides when a correction point and a detection
    are the same cell (see :mod:`.corrections`).  ``markers`` is the marker
    setup, a free mapping (``{"detect_channel": 0, "markers": [{"name": "Cy3",
    "channel": 1, "rule": "auto", "measure": "mean"}]}``; see the GUI's
    markers panel and `cellcounter_app.markers`).
    """

    model: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    read: ReadOptions = field(default_factory=ReadOptions)
    pixel_size_um: float | None = None
    size: dict[str, Any] = field(default_factory=dict)
    correction_radius: float = DEFAULT_CORRECTION_RADIUS
    markers: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.model, str):
            raise ParameterError(f"model must be a model name (text), got {self.model!r}")
        if not isinstance(self.size, Mapping):
            raise ParameterError(f"size must be a mapping such as {{'value': 14, 'unit': 'um'}}, got {self.size!r}")
        self.size = dict(self.size)
        if not isinstance(self.markers, Mapping):
            raise ParameterError(f"markers must be a mapping such as {{'markers': [...]}}, got {self.markers!r}")
        self.markers = dict(self.markers)
        self.params = check_params(self.params)
        if self.pixel_size_um is not None and not (
            isinstance(self.pixel_size_um, (int, float)) and 0 < self.pixel_size_um < math.inf
        ):
            raise ParameterError(f"pixel_size_um must be None or a positive number, got {self.pixel_size_um!r}")
        if not (isinstance(self.correction_radius, (int, float)) and 0 < self.correction_radius < math.inf):
            raise ParameterError(f"correction_radius must be a positive number of pixels, got {self.correction_radius!r}")


@dataclass(frozen=True)
class Corrected:
    """The corrected count of an image: ``count`` = detected - removed + added."""

    count: int
    n_detected: int
    n_added: int
    n_removed: int


@dataclass
class ImageEntry:
    """One image of a project, with its result and corrections.

    ``path`` is absolute in memory.  ``state`` is ``new``, ``counted``,
    ``error`` or ``stale`` (counted, but the parameters changed since);
    ``missing`` is True when the file was not found.  ``summary`` has the
    `~cellcounter_app.results.SUMMARY_KEYS` with None where undefined;
    ``labels_file`` is the label image, relative to the project folder.
    """

    id: str
    path: Path
    group: str = ""
    param_overrides: dict[str, Any] = field(default_factory=dict)
    state: str = NEW
    missing: bool = False
    error: str = ""
    summary: dict[str, float | None] = field(default_factory=dict)
    model: ModelInfo | None = None
    params_used: dict[str, Any] = field(default_factory=dict)
    timestamp: str = ""
    labels_file: str = ""
    corrections: Corrections = field(default_factory=Corrections)
    regions: tuple[Region, ...] = ()
    corrected: Corrected | None = None

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if self.state not in STATES:
            raise ParameterError(f"image state must be one of {', '.join(STATES)}, got {self.state!r}")
        if not self.group:
            self.group = self.path.parent.name
        self.param_overrides = check_params(self.param_overrides)
        self.regions = tuple(self.regions)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def status(self) -> str:
        """``missing`` when the file is not found, else the stored state."""
        return MISSING if self.missing else self.state

    @property
    def count(self) -> int | None:
        """The detected count (None when not counted)."""
        value = self.summary.get("count") if self.state in (COUNTED, STALE) else None
        return int(value) if value is not None else None

    @property
    def corrected_count(self) -> int | None:
        """Detections kept (inside regions) - removed + added, or the plain count."""
        return self.corrected.count if self.corrected is not None else self.count

    @property
    def is_corrected(self) -> bool:
        """Whether corrections or regions change this image's count."""
        return not self.corrections.is_empty or bool(self.regions)
