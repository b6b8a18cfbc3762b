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
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from ..errors import ModelError
from ..postprocess.params import PostprocessParams

PREFIX = "cellcounter."
SCHEMA_VERSION = 1
OUTPUT_KINDS = ("sigmoid", "logits", "softmax")
NORMALIZATION_KINDS = ("percentile", "scale", "none")


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
        if self.kind not in NORMALIZATION_KINDS:
            raise ModelError(f"normalization kind must be one of {NORMALIZATION_KINDS}, got {self.kind!r}")
        if self.kind == "percentile" and not (0.0 <= self.low < self.high <= 100.0):
            raise ModelError(f"percentiles must satisfy 0 <= low < high <= 100, got {self.low}, {self.high}")
        if self.kind == "scale" and not self.divisor > 0:
            raise ModelError(f"normalization divisor must be positive, got {self.divisor}")


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
        if not self.name:
            raise ModelError("model metadata needs a non-empty name")
        if self.input_channels not in (1, 3):
            raise ModelError(f"input_channels must be 1 or 3, got {self.input_channels}")
        if self.output not in OUTPUT_KINDS:
            raise ModelError(f"output must be one of {OUTPUT_KINDS}, got {self.output!r}")
        if self.input_multiple < 1 or self.tile_size < self.input_multiple:
            raise ModelError(
                f"tile_size ({self.tile_size}) must be at least input_multiple ({self.input_multiple}) >= 1"
            )
        if not (0 <= self.tile_overlap < self.tile_size // 2):
            raise ModelError(f"tile_overlap must be in [0, tile_size/2), got {self.tile_overlap}")
        if self.diameter_px < 0:
            raise ModelError(f"diameter_px must be >= 0, got {self.diameter_px}")
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
        if not isinstance(schema, int) or schema > SCHEMA_VERSION:
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
