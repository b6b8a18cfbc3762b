"""Export a trained network to an ONNX model file the engine can load.

The file follows ``docs/model-metadata.md``: one float32 NCHW input with
dynamic batch, height and width; the first output of the same height and
width; the `ModelMeta` contract in ``metadata_props``.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import io
import os
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

from ..atomic import atomic_write_bytes
from ..errors import ModelError, ParameterError
from ..inference.metadata import ModelMeta
from .networks import CResUnet

__all__ = ["CHECK_TOLERANCE", "export_onnx", "weights_sha256"]

CHECK_TOLERANCE = 1e-4
"""Largest allowed difference between ONNX Runtime's and torch's outputs."""


class _ProbabilityHead(nn.Module):
    """The network with a sigmoid appended for one-class networks."""

    def __init__(self, net: CResUnet):
        super().__init__()
        self.net = net
        self.sigmoid = net.n_classes == 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scores = self.net(x)
        return torch.sigmoid(scores) if self.sigmoid else scores


def weights_sha256(model: nn.Module) -> str:
    """SHA-256 of the state dict: each entry's name and raw tensor bytes, in order."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode("utf-8"))
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def _complete_meta(net: CResUnet, meta: ModelMeta) -> ModelMeta:
    """``meta`` with every field the network decides filled in from the network."""
    binary = net.n_classes == 1
    small = bool(getattr(net, "config", {}).get("small", False))
    return dataclasses.replace(
        meta,
        architecture=meta.architecture or ("c-ResUnet (small)" if small else "c-ResUnet"),
        input_channels=net.in_channels,
        output="sigmoid" if binary else "softmax",
        foreground_channel=0 if binary else 1,
        boundary_channel=None if binary or net.n_classes < 3 else 2,
        input_multiple=net.input_multiple,
        tile_size=max(meta.tile_size, net.input_multiple),
        weights_sha256=weights_sha256(net),
        created=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def _to_onnx(wrapper: nn.Module, in_channels: int, side: int, opset: int) -> onnx.ModelProto:
    buffer = io.BytesIO()
    dims = {0: "batch", 2: "height", 3: "width"}
    with warnings.catch_warnings():
        # torch announces the end of the TorchScript exporter it still ships; the
        # new exporter needs onnxscript, which CellCounter does not depend on.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            wrapper, (torch.zeros(1, in_channels, side, side),), buffer, dynamo=False, opset_version=opset,
            input_names=["image"], output_names=["output"], dynamic_axes={"image": dims, "output": dims},
        )
    return onnx.load_model_from_string(buffer.getvalue())


def _check_runtime(data: bytes, wrapper: nn.Module, in_channels: int, multiple: int) -> float:
    """Max abs difference between ONNX Runtime and torch on a random non-square batch of 2."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, in_channels, 3 * multiple, 5 * multiple)).astype(np.float32)
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    with torch.inference_mode():
        expected = wrapper(torch.from_numpy(x)).numpy()
    if got.shape != expected.shape:
        raise ModelError(f"ONNX output shape {got.shape} differs from torch's {expected.shape}")
    return float(np.max(np.abs(got - expected)))


def export_onnx(
    model: CResUnet, meta: ModelMeta, path: str | os.PathLike[str], *, opset: int = 17, check: bool = True
) -> Path:
    """Write ``model`` with ``meta`` to an ONNX file.

    One-class networks end with a Sigmoid (``output = "sigmoid"``: the output
    is the cell probability).  3-class networks output their raw class scores
    (``output = "softmax"``: the engine applies the softmax, as the contract
    defines it; a softmax inside the graph would be applied twice), with the
    cell class as ``foreground_channel`` 1 and the boundary as
    ``boundary_channel`` 2.  These fields, ``input_channels``,
    ``input_multiple``, ``weights_sha256`` (`weights_sha256`) and ``created``
    (UTC) are set from the network; the rest of ``meta`` is written as given.

    Parameters
    ----------
    model : CResUnet
        The trained network (not modified: a CPU float32 copy in eval mode is exported).
    meta : ModelMeta
        The model's settings (name, normalisation, diameter, post-processing, ...).
    path : path-like
        The ``.onnx`` file; written atomically (a temporary file moved into place).
    opset : int
        ONNX opset, 13 to 20 (17 is safe for the bundled ONNX Runtime).
    check : bool
        Run the file in ONNX Runtime and compare with torch on a random input;
        raise `ModelError` if they differ by more than :data:`CHECK_TOLERANCE`.

    Returns
    -------
    Path
        The written file.
    """
    if not 13 <= opset <= 20:
        raise ParameterError(f"opset must be between 13 and 20, got {opset}")
    if not isinstance(model, CResUnet):
        raise ParameterError(f"model must be a CResUnet, got {type(model).__name__}")
    net = copy.deepcopy(model).to("cpu", torch.float32, memory_format=torch.contiguous_format).eval()
    meta = _complete_meta(net, meta)
    wrapper = _ProbabilityHead(net).eval()
    proto = _to_onnx(wrapper, net.in_channels, 4 * net.input_multiple, opset)
    onnx.helper.set_model_props(proto, meta.to_props())
    onnx.checker.check_model(proto)
    data = proto.SerializeToString()
    if check:
        diff = _check_runtime(data, wrapper, net.in_channels, net.input_multiple)
        if not diff <= CHECK_TOLERANCE:
            raise ModelError(
                f"ONNX Runtime and torch outputs differ by {diff:.3g}, more than the allowed {CHECK_TOLERANCE:g}"
            )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data)
    return path
