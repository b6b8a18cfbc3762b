"""Training CellCounter's networks: data, c-ResUnet, losses, loop, export, calibration.

The only package that imports torch, and only in the modules that need it:
importing this package (or its numpy-only modules ``synthetic``, ``augment``,
``data``, ``config``, ``calibrate``) does not import torch.  The names below
are loaded on first use.

* `TrainConfig` (``config``): settings of a run, with bounds.
* `train` (``loop``): the training generator of `StepReport` /
  `EpochReport` / `FinishedReport`.
* `CResUnet` (``networks``), `make_loss` / `LOSS_PRESETS` (``losses``).
* `load_model` (``checkpoint``), then ``export_onnx.export_onnx``: checkpoint
  to an ONNX model the engine loads.
* `predict_probability` (``validate``) and ``calibrate.calibrate``: pick the
  threshold and minimum size on validation images.

(``export_onnx`` and ``calibrate`` are not lazy names here: they are also the
names of their modules.)
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "TrainConfig": "config",
    "LossOptions": "config",
    "LOSS_TERMS": "config",
    "train": "loop",
    "StepReport": "loop",
    "EpochReport": "loop",
    "FinishedReport": "loop",
    "CResUnet": "networks",
    "make_loss": "losses",
    "LOSS_PRESETS": "losses",
    "load_model": "checkpoint",
    "load_checkpoint": "checkpoint",
    "predict_probability": "validate",
    "Calibration": "calibrate",
    "pick_device": "device",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
