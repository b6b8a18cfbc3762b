"""The metadata contract between CellCounter and its ONNX models.

A model file carries its own settings in the ONNX ``metadata_props``
(``session.get_modelmeta().custom_metadata_map`` in ONNX Runtime).  Every key
starts with ``cellcounter.`` and every value is JSON text.  The contract is
documented for model authors in ``docs/model-metadata.md``; this module is
its single implementation: :meth:`ModelMeta.to_props` writes it (training
export) and :meth:`ModelMeta.from_props` reads and validates it (engine).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from ..errors import ModelError
from ..postprocess.params import PostprocessParams

PREFIX = "cellcounter."
SCHEMA_VERSION = 1
OUTPUT_KINDS = ("sigmoid", "logits", "softmax")
NORMALIZATION_KINDS = ("percentile", "scale", "none")
MAX_INPUT_MULTIPLE = 256
MAX_TILE_SIZE = 2048
"""A tile of 2048² runs in about 2 GB; 60000 would ask for tens of GB on any image."""
DIAMETER_RANGE = (2.0, 1000.0)
"""A model's cell diameter in px, as ``--diameter`` and the classical model accept (0 = unknown)."""
MAX_OUTPUT_CHANNEL = 63
STRING_FIELDS = ("name", "version", "description", "architecture", "training_data", "license",
                 "weights_sha256", "created")


@dataclass(frozen=True)
class Normalization:
    """How raw intensities become network input.

    ``percentile``: per channel (or jointly), map the ``low`` and ``high``
    percentiles to 0 and 1 (values outside are kept, not clipped, unless
    ``clip``).  ``scale``: divide by ``divisor``.  ``none``: feed as float32.
    """

    kind: str = "percentile"
    low: float = 1.0
    high: float = 99.8
    per_channel: bool = True
    clip: bool = False
    divisor: float = 255.0

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or self.kind not in NORMALIZATION_KINDS:
            raise _refused("normalization.kind", self.kind, f"one of {', '.join(NORMALIZATION_KINDS)}")
        for name in ("low", "high"):
            _check_number(f"normalization.{name}", getattr(self, name), 0.0, 100.0)
        if self.kind == "percentile" and not self.low < self.high:
            raise ModelError(f"normalization percentiles must satisfy 0 <= low < high <= 100,"
                             f" got low={self.low!r}, high={self.high!r}")
        for name in ("per_channel", "clip"):
            if not isinstance(getattr(self, name), bool):
                raise _refused(f"normalization.{name}", getattr(self, name), "true or false")
        _check_number("normalization.divisor", self.divisor, 0.0, math.inf, positive=True)


@dataclass(frozen=True)
class ModelMeta:
    """Settings a model declares about itself.

    Examples
    --------
    >>> meta = ModelMeta(name="nuclei", version="1.0.0", diameter_px=20.0)
    >>> ModelMeta.from_props(meta.to_props()) == meta
    True
    """

    name: str
    version: str = "0.0.0"
    description: str = ""
    architecture: str = ""
    input_channels: int = 1
    """1 (grey) or 3 (RGB). Images with other channel counts are adapted by the engine."""
    normalization: Normalization = field(default_factory=Normalization)
    output: str = "sigmoid"
    """``sigmoid``: the output already is a probability; ``logits``: apply a sigmoid;
    ``softmax``: raw class scores, softmax over the channel axis."""
    foreground_channel: int = 0
    """Output channel holding the cell (interior) probability."""
    boundary_channel: int | None = None
    """Output channel of the cell-boundary class of 3-class models, if any."""
    diameter_px: float = 0.0
    """Cell diameter (px) the engine resizes images to: the median equivalent diameter the model was trained
    at, or the size it counts best at, calibrated on validation images (`training.scale_calibration`); 0 = unknown."""
    input_multiple: int = 16
    """Height and width fed to the network are padded to a multiple of this."""
    tile_size: int = 512
    tile_overlap: int = 64
    postprocess: dict[str, Any] = field(default_factory=dict)
    """Default post-processing parameters (names of `PostprocessParams`), in model pixels."""
    training_data: str = ""
    license: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    weights_sha256: str = ""
    created: str = ""

    def __post_init__(self) -> None:
        for name in STRING_FIELDS:
            if not isinstance(getattr(self, name), str):
                raise _refused(name, getattr(self, name), "a string")
        if not self.name:
            raise ModelError("model metadata needs a non-empty name")
        if isinstance(self.input_channels, bool) or self.input_channels not in (1, 3):
            raise _refused("input_channels", self.input_channels, "1 or 3")
        if not isinstance(self.normalization, Normalization):
            raise _refused("normalization", self.normalization, "an object such as {\"kind\": \"percentile\"}")
        if not isinstance(self.output, str) or self.output not in OUTPUT_KINDS:
            raise _refused("output", self.output, f"one of {', '.join(OUTPUT_KINDS)}")
        _check_int("foreground_channel", self.foreground_channel, 0, MAX_OUTPUT_CHANNEL)
        if self.boundary_channel is not None:
            _check_int("boundary_channel", self.boundary_channel, 0, MAX_OUTPUT_CHANNEL)
        if self.diameter_px != 0:
            _check_number("diameter_px", self.diameter_px, *DIAMETER_RANGE, unknown="0 (unknown) or ")
        _check_int("input_multiple", self.input_multiple, 1, MAX_INPUT_MULTIPLE)
        _check_int("tile_size", self.tile_size, self.input_multiple, MAX_TILE_SIZE)
        _check_int("tile_overlap", self.tile_overlap, 0, self.tile_size // 2 - 1)
        for name in ("postprocess", "metrics"):
            if not isinstance(getattr(self, name), dict):
                raise _refused(name, getattr(self, name), "an object")
        self.default_params()  # validates the stored parameters

    def default_params(self) -> PostprocessParams:
        """The model's own post-processing defaults as a validated record."""
        try:
            return PostprocessParams.from_dict(self.postprocess)
        except Exception as exc:  # ParameterError: re-raise as a model problem
            raise ModelError(f"model {self.name!r} stores invalid post-processing defaults: {exc}") from exc

    def to_props(self) -> dict[str, str]:
        """The ``metadata_props`` key/value strings for an ONNX file."""
        props = {PREFIX + "schema": json.dumps(SCHEMA_VERSION)}
        for key, value in asdict(self).items():
            props[PREFIX + key] = json.dumps(value, sort_keys=True)
        return props

    @classmethod
    def from_props(cls, props: Mapping[str, str], fallback_name: str = "") -> "ModelMeta":
        """Read the contract back from ``metadata_props``; raise `ModelError` if it is broken.

        Unknown ``cellcounter.*`` keys are ignored (a newer writer), missing keys
        take their defaults; ``fallback_name`` names a model whose file has none.
        """
        values: dict[str, Any] = {}
        for key, text in props.items():
            if not key.startswith(PREFIX):
                continue
            try:
                values[key[len(PREFIX):]] = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ModelError(f"model metadata {key!r} is not valid JSON: {exc}") from exc
        schema = values.pop("schema", SCHEMA_VERSION)
        _check_int("schema", schema, 1, math.inf)
        if schema > SCHEMA_VERSION:
            raise ModelError(
                f"model metadata schema {schema!r} is newer than this CellCounter understands ({SCHEMA_VERSION})"
            )
        known = set(cls.__dataclass_fields__)
        values = {k: v for k, v in values.items() if k in known}
        values.setdefault("name", fallback_name)
        norm = values.get("normalization")
        try:
            if isinstance(norm, Mapping):
                values["normalization"] = Normalization(**{
                    k: v for k, v in norm.items() if k in Normalization.__dataclass_fields__
                })
            return cls(**values)
        except TypeError as exc:
            raise ModelError(f"model metadata has a value of the wrong type: {exc}") from exc


def has_metadata(props: Mapping[str, str]) -> bool:
    """Whether ``metadata_props`` hold any ``cellcounter.*`` key (else every default is used)."""
    return any(key.startswith(PREFIX) for key in props)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _refused(name: str, value: Any, allowed: str) -> ModelError:
    return ModelError(f"{name} must be {allowed}, got {_show(value)}")


def _check_int(name: str, value: Any, low: float, high: float) -> None:
    """Raise `ModelError` unless ``value`` is an int (not a bool) in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        allowed = f"an integer >= {low}" if high == math.inf else f"an integer from {low} to {high}"
        raise _refused(name, value, allowed)


def _check_number(name: str, value: Any, low: float, high: float, *, positive: bool = False,
                  unknown: str = "") -> None:
    """Raise `ModelError` unless ``value`` is a finite number in [low, high] (> low when ``positive``)."""
    number = not isinstance(value, bool) and isinstance(value, (int, float))
    if not number or not math.isfinite(value) or not (low < value if positive else low <= value) or value > high:
        if positive and high == math.inf:
            allowed = f"a finite number > {low:g}"
        else:
            allowed = f"a finite number from {low:g} to {high:g}"
        raise _refused(name, value, unknown + allowed)
