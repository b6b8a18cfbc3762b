"""Train or fine-tune a model on a lab's own annotated images, headless.

`finetune` is a generator: it yields the training loop's reports, then one
`FineTuneResult` after calibrating the threshold on the validation images,
exporting the ONNX model (with its metadata, a ``.pt`` weights file for
further fine-tuning and a JSON card) and scoring the base model on the same
images.  ``cellcounter train`` drains it; the GUI's training panel will too.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from ..atomic import atomic_write_bytes
from ..errors import ModelError, ParameterError
from ..inference import ModelMeta, Normalization, OnnxModel, load_model
from ..postprocess import PostprocessParams
from ..postprocess.size import derive_params
from .calibrate import calibrate, calibrate_network, search_grid
from .checkpoint import load_checkpoint, load_model as load_network, save_checkpoint
from .config import MULTICLASS_LOSSES, TrainConfig
from .data import Sample, rescale_to_diameter
from .export_onnx import export_onnx
from .loop import FinishedReport, train
from .recalibrate import set_postprocess
from .scale_calibration import array_image
from .stain_calibration import FLOORS, best_floor, detections, f1_at
from .validate import predict_probability, validation_params

DEFAULT_DIAMETER = 20.0


@dataclass(frozen=True)
class FineTuneRequest:
    """Everything a training job needs, frozen before it starts."""

    train: tuple[Sample, ...]
    val: tuple[Sample, ...]
    out: Path
    name: str = ""
    base: str = ""
    """A model name or .onnx path whose ``<stem>.pt`` weights start the training; empty: from scratch."""
    network: str = "c-resunet-small"
    channels: int = 1
    width: int = 16
    loss: str = ""
    epochs: int = 50
    minutes: float = 0.0
    diameter_px: float = 0.0
    """Canonical cell diameter; 0: the base model's, else 20 px."""
    crop_size: int = 192
    batch_size: int = 8
    seed: int = 0
    device: str = "auto"
    split_record: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FineTuneResult:
    model_path: Path
    weights_path: Path
    card_path: Path
    finished: FinishedReport
    f1: float
    base_f1: float | None
    threshold: float


def base_weights(base: str) -> tuple[Path, ModelMeta]:
    """The ``.pt`` weights next to a base model, and its metadata; `ModelError` when missing."""
    model = load_model(base, use_gpu=False)
    if model.path is None:
        raise ModelError(f"{base!r} has no network to fine-tune; choose a bundled or trained model")
    weights = Path(model.path).with_suffix(".pt")
    if not weights.is_file():
        raise ModelError(f"cannot fine-tune {model.path.name}: its weights file {weights} is missing")
    return weights, model.meta


def _base_loss(checkpoint: Any) -> str:
    """The loss the base was trained with, if it suits its network's output (else the default's)."""
    if checkpoint is None:
        return ""
    multiclass = int(checkpoint.network.get("n_classes", 1)) > 1
    return checkpoint.config.loss if (checkpoint.config.loss in MULTICLASS_LOSSES) == multiclass else ""


def _start_params(diameter: float, base_meta: ModelMeta | None) -> PostprocessParams:
    """Post-processing to calibrate from: `validation_params`, with the base model's seed distance
    (scaled to ``diameter``) and border rule."""
    params = validation_params(diameter)
    if base_meta is None:
        return params
    base = derive_params(base_meta.default_params(), (base_meta.diameter_px or diameter) / diameter)
    return params.replace(peak_min_distance=base.peak_min_distance, border_min_fraction=base.border_min_fraction)


AFTER_TRAINING_VALIDATIONS = 10.0
"""What follows training (the last validation, calibration, the base's score, the stain floor, the engine's
scores, saving) took about this many validation passes when measured (c-Fos, 1024², CPU): training stops that
much before the time budget."""
AFTER_TRAINING_SECONDS = 3.0
"""And this much more, whatever the images' size (export, loading the model into the engine)."""


def finetune(request: FineTuneRequest, *, cancel: Callable[[], bool] | None = None) -> Iterator[Any]:
    """Train, calibrate, export; yields loop reports then a `FineTuneResult`."""
    if len(request.train) == 0 or len(request.val) == 0:
        raise ParameterError("training needs at least one training and one validation image")
    weights, base_meta = base_weights(request.base) if request.base else (None, None)
    base_checkpoint = load_checkpoint(weights) if weights else None
    network: dict[str, Any] = base_checkpoint.network if base_checkpoint else {}
    # a base trained on distance maps keeps learning distance maps, and with its own loss unless told
    target = base_checkpoint.config.target if base_checkpoint else "mask"
    loss = request.loss or _base_loss(base_checkpoint)
    diameter = request.diameter_px or (base_meta.diameter_px if base_meta else 0.0) or DEFAULT_DIAMETER
    channels = int(network.get("in_channels", request.channels))
    train_set = [_canonical(s, diameter) for s in request.train]
    val_set = [_canonical(s, diameter) for s in request.val]
    run_dir = request.out.parent / f".{request.out.stem}-run"
    config = TrainConfig.from_dict({
        "output_dir": str(run_dir), "in_channels": channels,
        "network": "c-resunet-small" if network.get("small", request.network == "c-resunet-small") else "c-resunet",
        "base": int(network.get("base", request.width)), "n_classes": int(network.get("n_classes", 1)),
        "epochs": request.epochs, "max_minutes": request.minutes, "seed": request.seed,
        "crop_size": request.crop_size, "batch_size": request.batch_size, "device": request.device,
        "match_distance": diameter / 2, "learning_rate": 5e-4 if weights else 1e-3, "target": target,
        **({"loss": loss} if loss else {}),
    })
    finished = None
    for report in train(config, train_set, val_set, initial_weights=weights, cancel=cancel,
                        reserve_validations=AFTER_TRAINING_VALIDATIONS, reserve_seconds=AFTER_TRAINING_SECONDS):
        if isinstance(report, FinishedReport):
            finished = report
        yield report
    if finished is None or finished.best_checkpoint is None:
        raise ModelError("training stopped before any validation; nothing to export")
    net = load_network(finished.best_checkpoint)
    truths = [s.labels for s in val_set]
    probabilities = [predict_probability(net, s.image) for s in val_set]
    cal = calibrate_network(probabilities, truths, _start_params(diameter, base_meta), net.n_classes, target,
                            max_distance=diameter / 2, **search_grid(diameter, shape=False))
    base_f1 = None
    if weights:
        base_net = load_network(weights)
        base_f1 = calibrate([predict_probability(base_net, s.image) for s in val_set], truths,
                            base_meta.default_params(), max_distance=diameter / 2,
                            thresholds=[base_meta.default_params().threshold], min_size_fractions=(0.15,)).f1
    name = request.name or request.out.stem
    meta = ModelMeta(
        name=name, version=datetime.now(timezone.utc).strftime("%Y%m%d.%H%M%S"),
        description=f"Trained on {len(train_set)} image(s)" + (f", fine-tuned from {base_meta.name} "
                                                                f"{base_meta.version}" if base_meta else ""),
        architecture=config.network, input_channels=channels, normalization=Normalization(),
        diameter_px=diameter, postprocess=cal.params.to_dict(),
        training_data=json.dumps({"train": [s.name for s in request.train], "val": [s.name for s in request.val]}),
        metrics={"validation_f1": cal.f1, "base_validation_f1": base_f1},
    )
    model_path = export_onnx(net, meta, request.out)
    weights_path = request.out.with_suffix(".pt")
    best = load_checkpoint(finished.best_checkpoint)
    save_checkpoint(weights_path, dataclasses.replace(best, optimizer={}, scheduler=None, scaler=None))
    card = {
        "name": name, "version": meta.version, "base": request.base or None, "diameter_px": diameter,
        "train_images": [s.name for s in request.train], "val_images": [s.name for s in request.val],
        "split": request.split_record, "training": {"steps": finished.steps, "minutes": finished.seconds / 60,
                                                    "stop": finished.reason},
        "calibration": {"threshold": cal.threshold_best_f1, "min_size": cal.min_size, "f1": cal.f1,
                        "precision": cal.precision, "recall": cal.recall},
        "base_validation_f1": base_f1, "config": config.to_dict(),
    }
    card_path = request.out.with_suffix(".json")
    atomic_write_bytes(card_path, json.dumps(card, indent=2, default=str).encode())
    floor = stain_floor(OnnxModel(model_path, use_gpu=False), [*request.train, *request.val], diameter)
    if floor is not None and floor != cal.params.min_stain:
        set_postprocess(model_path, {"min_stain": floor},
                        "chosen on the annotated images this model was trained and validated on (best F1)")
    OnnxModel(model_path, use_gpu=False)  # the engine reads it back
    yield FineTuneResult(model_path, weights_path, card_path, finished, cal.f1, base_f1, cal.threshold_best_f1)


STAIN_IMAGES = 30
"""At most this many annotated images choose a trained model's ``min_stain``."""


def stain_floor(model: OnnxModel, samples: list[Sample], diameter: float) -> float | None:
    """The ``min_stain`` with the best F1 on the lab's own annotated images (None when there are none).

    What counts as clearly stained is the lab's rule, not the model's: every
    real annotated image (train and validation, at most `STAIN_IMAGES`; the
    generated ones do not speak for the lab) is counted once through the
    engine at its labels' diameter and the floor is chosen on all of them
    (`stain_calibration`).
    """
    # the training images come repeated (epoch_repeats fills an epoch with copies): count each once
    unique = list({id(s): s for s in samples}.values())
    real = [s for s in unique if not s.source.startswith("synthetic")][:STAIN_IMAGES]
    if not real:
        return None
    pairs = [(array_image(np.moveaxis(s.image, 0, -1).squeeze(-1) if s.image.shape[0] == 1
                          else np.moveaxis(s.image, 0, -1), s.name), s.labels) for s in real]
    found = detections(model, pairs)
    return best_floor({"lab": {t: f1_at(found, t) for t in FLOORS}}, prefer=model.meta.default_params().min_stain)


def _canonical(sample: Sample, diameter: float) -> Sample:
    if not np.isfinite(sample.diameter_px) or sample.diameter_px <= 0:
        return sample
    return rescale_to_diameter(sample, diameter)
