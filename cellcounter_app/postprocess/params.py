"""The typed, bounded parameter record of the post-processing chain.

Each parameter is declared once, in :data:`PARAM_SPECS`, with its default,
range, unit, title and help text.  The CLI builds its options from it, the GUI
builds its controls from it and the project file stores it by name.  Defaults
follow ``SCIENCE.md`` (the FNC v2 code); every model overrides them with the
values calibrated on its validation data (see ``docs/model-metadata.md``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import ParameterError


@dataclass(frozen=True)
class ParamSpec:
    """Declaration of one parameter: what a control or option needs to show it."""

    name: str
    title: str
    kind: type
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    help: str = ""
    size_power: int = 0
    """How the value scales with cell diameter: 1 for lengths, 2 for areas, 0 for none."""

    def check(self, value: Any) -> Any:
        """Return ``value`` converted to the parameter's type, or raise `ParameterError`."""
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, (int, float)) and value in (0, 1):
                return bool(value)
            if isinstance(value, str) and value.lower() in {"true", "false", "yes", "no", "1", "0", "on", "off"}:
                return value.lower() in {"true", "yes", "1", "on"}
            raise ParameterError(f"{self.name} must be true or false, got {value!r}")
        try:
            if isinstance(value, bool):
                raise TypeError
            converted = self.kind(value)
            if self.kind is int and float(value) != converted:
                raise ValueError
        except (TypeError, ValueError):
            raise ParameterError(
                f"{self.name} must be {'an integer' if self.kind is int else 'a number'}, got {value!r}"
            ) from None
        if converted != converted:  # NaN
            raise ParameterError(f"{self.name} must be a number, got NaN")
        lo, hi = self.minimum, self.maximum
        if (lo is not None and converted < lo) or (hi is not None and converted > hi):
            raise ParameterError(
                f"{self.name} must be between {lo:g} and {hi:g}{(' ' + self.unit) if self.unit else ''},"
                f" got {converted!r}"
            )
        return converted


PARAM_SPECS: tuple[ParamSpec, ...] = (
    ParamSpec(
        "threshold", "Threshold", float, 0.5, 0.01, 0.99,
        help="Probability above which a pixel belongs to a cell. Higher: fewer, smaller cells.",
    ),
    ParamSpec(
        "max_hole_size", "Fill holes up to", int, 50, 0, 1_000_000, "px²",
        help="Holes inside a cell up to this area are filled. 0 fills none.", size_power=2,
    ),
    ParamSpec(
        "min_size", "Minimum cell area", int, 200, 0, 10_000_000, "px²",
        help="Objects smaller than this are discarded as noise or debris.", size_power=2,
    ),
    ParamSpec(
        "max_size", "Maximum cell area", int, 0, 0, 100_000_000, "px²",
        help="Objects larger than this are discarded (after splitting). 0 means no maximum.",
        size_power=2,
    ),
    ParamSpec(
        "split_touching", "Split touching cells", bool, True,
        help="Separate touching cells with a distance-transform watershed.",
    ),
    ParamSpec(
        "peak_min_distance", "Min distance between cell centres", int, 30, 1, 10_000, "px",
        help="Two cells are split only if their centres are at least this far apart.", size_power=1,
    ),
    ParamSpec(
        "grow", "Grow cells by", int, 0, 0, 1_000, "px",
        help="Enlarge every cell found by this many px into the background, never into a neighbour."
             " Models that find cell interiors (3-class) set it to give back the whole cell.",
        size_power=1,
    ),
    ParamSpec(
        "min_stain", "Minimum stain", float, 3.0, 0.0, 1000.0, "× noise",
        help="A cell counts when it is clearly stained: its mean signal stands above the background"
             " around it by at least this many times the image's pixel noise. Drops what the network"
             " finds in camera noise, haze and dim unstained cells. 0 keeps every cell.",
    ),
    ParamSpec(
        "exclude_border", "Drop cells touching the border", bool, False,
        help="Discard objects that touch the image border (or come within the border margin).",
    ),
    ParamSpec(
        "border_margin", "Border margin", int, 0, 0, 10_000, "px",
        help="With 'drop cells touching the border', also drop cells this close to the edge.",
        size_power=1,
    ),
    ParamSpec(
        "border_min_fraction", "Border cells need", float, 1.0, 0.0, 1.0, "× min area",
        help="A cell cut by the image border shows only part of its area: it is kept when it has at least"
             " this fraction of the minimum cell area. 1: the same rule as inside the image.",
    ),
)

SPECS_BY_NAME: dict[str, ParamSpec] = {spec.name: spec for spec in PARAM_SPECS}


@dataclass(frozen=True)
class PostprocessParams:
    """Parameters of the post-processing chain, validated on creation.

    All sizes are in pixels of the image being counted.

    Examples
    --------
    >>> p = PostprocessParams(threshold=0.7)
    >>> p.threshold, p.min_size
    (0.7, 200)
    >>> PostprocessParams(threshold=1.5)
    Traceback (most recent call last):
    ...
    cellcounter_app.errors.ParameterError: threshold must be between 0.01 and 0.99, got 1.5
    """

    threshold: float = 0.5
    max_hole_size: int = 50
    min_size: int = 200
    max_size: int = 0
    split_touching: bool = True
    peak_min_distance: int = 30
    grow: int = 0
    min_stain: float = 3.0
    exclude_border: bool = False
    border_margin: int = 0
    border_min_fraction: float = 1.0

    def __post_init__(self) -> None:
        for spec in PARAM_SPECS:
            object.__setattr__(self, spec.name, spec.check(getattr(self, spec.name)))
        if self.max_size and self.max_size < self.min_size:
            raise ParameterError(
                f"max_size must be 0 (no maximum) or at least min_size ({self.min_size}), got {self.max_size}"
            )

    def replace(self, **changes: Any) -> "PostprocessParams":
        """A copy with ``changes`` applied (validated)."""
        unknown = set(changes) - set(SPECS_BY_NAME)
        if unknown:
            raise ParameterError(f"unknown parameter(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain ``{name: value}`` mapping, in declaration order."""
        return {spec.name: getattr(self, spec.name) for spec in PARAM_SPECS}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], base: "PostprocessParams | None" = None) -> "PostprocessParams":
        """Build from a mapping; missing names keep ``base``'s (or the default) value.

        Unknown names raise `ParameterError` so that a typo never goes unnoticed.
        """
        start = base if base is not None else cls()
        return start.replace(**dict(values))
