"""The typed, bounded settings of a training run, and the named loss presets.

Torch-free, so that the CLI and the GUI can build, show and store a training
configuration without importing torch.  Each numeric setting is declared once
(a `ParamSpec`: default, range, unit, title, help); the choice settings list
their allowed values in :data:`CHOICES`.  Loss presets follow seed 000
(``SCIENCE.md``, *Training*).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..errors import ParameterError
from ..postprocess.params import ParamSpec, PostprocessParams

__all__ = [
    "CHOICES", "DEFAULT_LOSS", "DEFAULT_MULTICLASS_LOSS", "LOSS_OPTION_SPECS", "LOSS_TERMS",
    "TRAIN_SPECS", "LossOptions", "TrainConfig",
]

LOSS_TERMS: dict[str, tuple[tuple[str, float], ...]] = {
    "bce": (("bce", 1.0),),
    "dice": (("dice", 1.0),),
    "focal": (("focal", 1.0),),
    "focal_tversky": (("focal_tversky", 1.0),),
    "bce_dice": (("bce", 0.5), ("dice", 0.5)),
    "bce_dice_focal": (("bce", 0.3), ("dice", 0.3), ("focal", 0.4)),
    "bce_dice_focal_overcrowd": (("bce", 0.2), ("dice", 0.5), ("focal", 0.3)),
    "bce_dice_focal_cellvit": (("bce", 0.5), ("dice", 0.3), ("focal", 0.5)),
    "bce_dice_ft": (("bce", 0.3), ("dice", 0.3), ("focal_tversky", 0.4)),
    "bce_dice_ft_overcrowd": (("bce", 0.2), ("dice", 0.5), ("focal_tversky", 0.3)),
    "bce_dice_ft_cellvit": (("bce", 0.5), ("dice", 0.3), ("focal_tversky", 0.5)),
    "ce": (("ce", 1.0),),
    "ce_dice": (("ce", 0.5), ("dice", 0.5)),
}
"""Each preset as ``(term, λ)`` pairs.  ``*_focal`` / ``*_ft`` are seed 000's
CombinedLoss / CombinedFTLoss with its "balanced" λ = (0.3, 0.3, 0.4),
"overcrowd" (0.2, 0.5, 0.3) and "CellViT" (0.5, 0.3, 0.5).  ``ce`` and
``ce_dice`` are for 3-class networks (the Dice term then scores the cell class)."""

MULTICLASS_LOSSES = frozenset({"ce", "ce_dice"})
DEFAULT_LOSS = "focal_tversky"
"""Focal Tversky was the best single loss of seed 000 (F1 0.781 / 0.897 on FNC v2)."""
DEFAULT_MULTICLASS_LOSS = "ce"

CHOICES: dict[str, tuple[str, ...]] = {
    "network": ("c-resunet", "c-resunet-small"),
    "schedule": ("plateau", "onecycle", "constant"),
    "device": ("auto", "cuda", "mps", "cpu"),
    "loss": tuple(LOSS_TERMS),
    "target": ("mask", "distance"),
}

LOSS_OPTION_SPECS: tuple[ParamSpec, ...] = (
    ParamSpec("w_cell", "Cell weight (BCE)", float, 1.0, 0.01, 1000.0,
              help="Weight of cell pixels in the binary cross-entropy (seed 000 used 50-200 on sparse neurons)."),
    ParamSpec("focal_alpha", "Focal alpha", float, 0.25, 0.0, 1.0,
              help="Focal loss weight of the cell class; the background gets 1 - alpha (Lin et al.: 0.25)."),
    ParamSpec("focal_gamma", "Focal gamma", float, 2.0, 0.0, 10.0,
              help="Focal loss focusing exponent: higher puts more weight on badly classified pixels."),
    ParamSpec("tversky_alpha", "Tversky alpha (missed cells)", float, 0.7, 0.0, 1.0,
              help="Focal Tversky weight of false negatives (cell pixels predicted as background)."),
    ParamSpec("tversky_beta", "Tversky beta (false cells)", float, 0.3, 0.0, 1.0,
              help="Focal Tversky weight of false positives (background predicted as cell)."),
    ParamSpec("tversky_gamma", "Focal Tversky exponent", float, 2.0, 0.1, 10.0,
              help="Loss = (1 - Tversky index) ** exponent; seed 000 used 2 (Abraham & Khan: 0.75)."),
    ParamSpec("smooth", "Dice/Tversky smoothing", float, 1.0, 0.0, 1000.0,
              help="Added to numerator and denominator of the Dice and Tversky ratios."),
)

TRAIN_SPECS: tuple[ParamSpec, ...] = (
    ParamSpec("in_channels", "Input channels", int, 1, 1, 3, help="1 for grey images, 3 for RGB."),
    ParamSpec("n_classes", "Output classes", int, 1, 1, 3,
              help="1: cell probability (sigmoid); 3: background / cell / boundary (softmax)."),
    ParamSpec("base", "Network width", int, 16, 4, 128, help="Channels of the first level (16: ~1.9M parameters)."),
    ParamSpec("learning_rate", "Learning rate", float, 1e-3, 1e-6, 1.0, help="Adam's (peak) learning rate."),
    ParamSpec("weight_decay", "Weight decay", float, 0.0, 0.0, 1.0, help="Adam's L2 weight decay."),
    ParamSpec("patience", "Plateau patience", int, 5, 1, 1000, "epochs",
              help="With the plateau schedule: halve the learning rate after this many epochs"
                   " without a better validation F1."),
    ParamSpec("batch_size", "Batch size", int, 8, 1, 512, help="Crops per optimisation step."),
    ParamSpec("crop_size", "Crop size", int, 256, 32, 4096, "px",
              help="Side of the square training crops (a multiple of 16)."),
    ParamSpec("crops_per_image", "Crops per image and epoch", int, 4, 1, 10_000,
              help="Random crops drawn from each training image in one epoch."),
    ParamSpec("epochs", "Epochs", int, 50, 1, 100_000,
              help="Training stops after this many epochs (in all, counting resumed ones)."),
    ParamSpec("max_steps", "Maximum steps", int, 0, 0, 1_000_000_000,
              help="Stop after this many optimisation steps; 0: no limit."),
    ParamSpec("max_minutes", "Time budget", float, 0.0, 0.0, 100_000.0, "min",
              help="Stop (and validate) after this much wall-clock time; 0: no limit."),
    ParamSpec("match_distance", "Matching distance", float, 0.0, 0.0, 10_000.0, "px",
              help="Validation centroid matching radius; 0: the median cell diameter of the validation images."),
    ParamSpec("num_workers", "Data loader workers", int, 0, 0, 64,
              help="Background processes preparing crops; 0: none."),
    ParamSpec("seed", "Random seed", int, 0, 0, 2**31 - 1, help="Seeds torch, numpy and Python's random."),
    ParamSpec("augment", "Augment", bool, True, help="Random geometric and intensity augmentation of the crops."),
    ParamSpec("p_zoom", "Zoom probability", float, 0.5, 0.0, 1.0,
              help="Share of the crops zoomed by a random factor between the smallest and the largest zoom."),
    ParamSpec("zoom_min", "Smallest zoom", float, 0.7, 0.1, 1.0, "×",
              help="Cells shrink down to this factor (0.5: half their size in the images)."),
    ParamSpec("zoom_max", "Largest zoom", float, 1.4, 1.0, 10.0, "×",
              help="Cells grow up to this factor (2: twice their size): a model meets cells from"
                   " zoom_min to zoom_max times its working size."),
    ParamSpec("p_acquisition", "Acquisition augmentation", float, 0.0, 0.0, 1.0,
              help="Share of the crops given an uneven background, and (each drawn on its own) photon noise"
                   " of a dim exposure; half as many get saturated cells: what differs between microscopes"
                   " and labs. 0: off."),
    ParamSpec("use_weight_map", "Weight maps", bool, True,
              help="Weight the loss per pixel with the weight map of the targets (more weight between close cells)."),
    ParamSpec("mixed_precision", "Mixed precision", bool, True, help="Use autocast (bfloat16/float16) on CUDA."),
    ParamSpec("channels_last", "Channels-last memory", bool, True,
              help="NHWC tensors on CPU and CUDA (faster convolutions)."),
)


def _check_specs(record: Any, specs: tuple[ParamSpec, ...]) -> None:
    for spec in specs:
        object.__setattr__(record, spec.name, spec.check(getattr(record, spec.name)))


@dataclass(frozen=True)
class LossOptions:
    """Parameters of the loss terms, validated on creation (see `LOSS_OPTION_SPECS`).

    Examples
    --------
    >>> LossOptions(tversky_alpha=0.8).tversky_beta
    0.3
    """

    w_cell: float = 1.0
    focal_alpha: float = 0.25
    focal_gamma: float = 2.0
    tversky_alpha: float = 0.7
    tversky_beta: float = 0.3
    tversky_gamma: float = 2.0
    smooth: float = 1.0
    class_weights: tuple[float, ...] = (1.0, 1.0, 5.0)
    """Cross-entropy weight of background, cell and boundary (3-class networks)."""

    def __post_init__(self) -> None:
        _check_specs(self, LOSS_OPTION_SPECS)
        weights = tuple(float(w) for w in self.class_weights)
        if not weights or not all(math.isfinite(w) and w >= 0 for w in weights) or not any(weights):
            raise ParameterError(f"class_weights must be finite, >= 0 and not all 0, got {self.class_weights!r}")
        object.__setattr__(self, "class_weights", weights)


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs besides its data, validated on creation.

    ``loss`` empty means `DEFAULT_LOSS` (`DEFAULT_MULTICLASS_LOSS` for 3 classes);
    ``val_params`` None means post-processing derived from the median cell
    diameter of the validation images (see `loop.validation_params`).

    Examples
    --------
    >>> cfg = TrainConfig(output_dir="runs/a", n_classes=3)
    >>> cfg.loss, cfg.steps_per_epoch(10)
    ('ce', 5)
    >>> TrainConfig(output_dir="runs/a", crop_size=100)
    Traceback (most recent call last):
    ...
    cellcounter_app.errors.ParameterError: crop_size must be a multiple of 16, got 100
    """

    output_dir: str
    network: str = "c-resunet"
    in_channels: int = 1
    n_classes: int = 1
    base: int = 16
    loss: str = ""
    loss_options: LossOptions = field(default_factory=LossOptions)
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    schedule: str = "plateau"
    patience: int = 5
    batch_size: int = 8
    crop_size: int = 256
    crops_per_image: int = 4
    epochs: int = 50
    max_steps: int = 0
    max_minutes: float = 0.0
    match_distance: float = 0.0
    val_params: PostprocessParams | None = None
    device: str = "auto"
    num_workers: int = 0
    seed: int = 0
    augment: bool = True
    p_zoom: float = 0.5
    zoom_min: float = 0.7
    zoom_max: float = 1.4
    p_acquisition: float = 0.0
    use_weight_map: bool = True
    target: str = "mask"
    """What a binary network learns: ``mask`` (cells with cut contacts) or ``distance`` (each cell's
    distance to its outline, 1 at its centre: touching cells meet in a valley; see `targets.make_targets`)."""
    mixed_precision: bool = True
    channels_last: bool = True

    def __post_init__(self) -> None:
        if not str(self.output_dir):
            raise ParameterError("output_dir must name the folder for checkpoints, got an empty string")
        object.__setattr__(self, "output_dir", str(self.output_dir))
        _check_specs(self, TRAIN_SPECS)
        if not self.loss:
            object.__setattr__(self, "loss", DEFAULT_LOSS if self.n_classes == 1 else DEFAULT_MULTICLASS_LOSS)
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ParameterError(f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}")
        if self.in_channels == 2 or self.n_classes == 2:
            raise ParameterError(
                f"in_channels and n_classes must be 1 or 3, got {self.in_channels} and {self.n_classes}"
            )
        if (self.loss in MULTICLASS_LOSSES) != (self.n_classes > 1):
            kind = "a 3-class loss (ce, ce_dice)" if self.n_classes > 1 else "a binary loss"
            raise ParameterError(f"n_classes={self.n_classes} needs {kind}, got loss {self.loss!r}")
        if self.target == "distance" and self.n_classes != 1:
            raise ParameterError(f"the distance target needs n_classes=1, got {self.n_classes}")
        if self.crop_size % 16:
            raise ParameterError(f"crop_size must be a multiple of 16, got {self.crop_size}")
        if isinstance(self.loss_options, Mapping):
            object.__setattr__(self, "loss_options", LossOptions(**self.loss_options))
        if isinstance(self.val_params, Mapping):
            object.__setattr__(self, "val_params", PostprocessParams.from_dict(self.val_params))
        if self.n_classes > 1 and len(self.loss_options.class_weights) != self.n_classes:
            raise ParameterError(
                f"class_weights needs {self.n_classes} values, got {len(self.loss_options.class_weights)}"
            )

    def network_config(self) -> dict[str, Any]:
        """Keyword arguments of `networks.CResUnet` for this run."""
        return {
            "in_channels": self.in_channels, "n_classes": self.n_classes, "base": self.base,
            "depth": 4, "colour_channels": 1, "small": self.network == "c-resunet-small",
        }

    def steps_per_epoch(self, n_images: int) -> int:
        """Optimisation steps in one epoch over ``n_images`` training images."""
        return max(1, math.ceil(n_images * self.crops_per_image / self.batch_size))

    def replace(self, **changes: Any) -> "TrainConfig":
        """A copy with ``changes`` applied (validated)."""
        unknown = set(changes) - set(self.__dataclass_fields__)
        if unknown:
            raise ParameterError(f"unknown training setting(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready ``{name: value}`` mapping (nested records as dicts)."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values["loss_options"] = dataclasses.asdict(self.loss_options)
        values["loss_options"]["class_weights"] = list(self.loss_options.class_weights)
        values["val_params"] = None if self.val_params is None else self.val_params.to_dict()
        return values

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "TrainConfig":
        """Inverse of `to_dict`; unknown names raise `ParameterError`."""
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ParameterError(f"unknown training setting(s): {', '.join(sorted(unknown))}")
        values = dict(values)
        options = values.get("loss_options")
        if isinstance(options, Mapping):
            unknown = set(options) - set(LossOptions.__dataclass_fields__)
            if unknown:
                raise ParameterError(f"unknown loss option(s): {', '.join(sorted(unknown))}")
            values["loss_options"] = LossOptions(**options)
        try:
            return cls(**values)
        except TypeError as exc:
            raise ParameterError(f"incomplete training settings: {exc}") from exc
