"""Turn an image into a cell-probability map.

``load_model(name_or_path)`` returns a `Predictor`: an `OnnxModel` (a network
in an ONNX file that carries the CellCounter metadata contract, run with ONNX
Runtime on CUDA or the CPU) or the built-in `ClassicalModel`.  Its
``predict(image)`` fits the channels (`adapt_channels`), normalises the
intensities (`normalize`) and runs large images tile by tile with blended
seams (`predict_tiled`).  This package never imports Qt, torch or onnx.
"""

from __future__ import annotations

from .channels import adapt_channels
from .classical import ClassicalModel, classical_probability
from .metadata import ModelMeta, Normalization
from .normalize import NormStats, compute_stats, normalize
from .onnx_model import OnnxModel, to_probability
from .predictor import CancelCallback, CancelledError, Predictor, TileCallback
from .registry import ModelEntry, list_models, load_model, model_dirs, read_entry
from .session import choose_session
from .tiling import predict_tiled

__all__ = [
    "CancelCallback",
    "CancelledError",
    "ClassicalModel",
    "ModelEntry",
    "ModelMeta",
    "NormStats",
    "Normalization",
    "OnnxModel",
    "Predictor",
    "TileCallback",
    "adapt_channels",
    "choose_session",
    "classical_probability",
    "compute_stats",
    "list_models",
    "load_model",
    "model_dirs",
    "normalize",
    "predict_tiled",
    "read_entry",
    "to_probability",
]
