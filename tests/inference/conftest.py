"""Tiny ONNX models built in code for the inference tests (onnx is a test-only dependency)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from cellcounter_app.inference.metadata import ModelMeta

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

ModelFactory = Callable[..., Path]


def build_conv_model(
    path: Path,
    *,
    meta: ModelMeta | None = None,
    props: dict[str, str] | None = None,
    weight: np.ndarray | float = 1.0,
    bias: np.ndarray | float = 0.0,
    in_channels: int = 1,
    out_channels: int = 1,
    kernel: int = 1,
    activation: str | None = "Sigmoid",
    height: int | str = "H",
    width: int | str = "W",
    graph_channels: int | None = None,
) -> Path:
    """Write a one-convolution network ``activation(conv(x))`` with ``kernel``x``kernel`` filters.

    ``weight`` is a full (out, in, k, k) array or one value for every tap;
    the convolution zero-pads so that the output has the input's size.
    """
    w = np.broadcast_to(np.asarray(weight, dtype=np.float32), (out_channels, in_channels, kernel, kernel))
    b = np.broadcast_to(np.asarray(bias, dtype=np.float32), (out_channels,))
    pad = kernel // 2
    channels = in_channels if graph_channels is None else graph_channels
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["conv"], pads=[pad] * 4, kernel_shape=[kernel, kernel])]
    if activation:
        nodes.append(helper.make_node(activation, ["conv"], ["y"]))
    else:
        nodes.append(helper.make_node("Identity", ["conv"], ["y"]))
    graph = helper.make_graph(
        nodes,
        "cellcounter-test",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", channels, height, width])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", out_channels, height, width])],
        initializer=[numpy_helper.from_array(np.ascontiguousarray(w), "w"), numpy_helper.from_array(b.copy(), "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    entries = dict(meta.to_props()) if meta is not None else {}
    entries.update(props or {})
    helper.set_model_props(model, entries)
    onnx.save(model, str(path))
    return path


@pytest.fixture
def make_model(tmp_path: Path) -> ModelFactory:
    """``make_model(name, folder=None, **build_conv_model options)`` -> path of a new .onnx file."""

    def make(name: str = "model", *, folder: Path | None = None, **options) -> Path:
        target = folder if folder is not None else tmp_path
        target.mkdir(parents=True, exist_ok=True)
        return build_conv_model(target / f"{name}.onnx", **options)

    return make
