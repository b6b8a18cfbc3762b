"""ONNX export: numerical round trip, metadata contract, engine compatibility."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from cellcounter_app.errors import ModelError  # noqa: E402
from cellcounter_app.inference.metadata import ModelMeta  # noqa: E402
from cellcounter_app.inference.onnx_model import OnnxModel  # noqa: E402
from cellcounter_app.training import export_onnx as export_module  # noqa: E402
from cellcounter_app.training.export_onnx import export_onnx, weights_sha256  # noqa: E402
from cellcounter_app.training.networks import CResUnet  # noqa: E402


def trained_like(**kwargs) -> CResUnet:
    """A small network with non-trivial batch-norm statistics."""
    torch.manual_seed(0)
    net = CResUnet(base=4, **kwargs)
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.randn(2, net.in_channels, 32, 32) * 2 + 0.5)
    return net


def test_binary_round_trip_within_tolerance_and_metadata_read_back(tmp_path):
    net = trained_like(in_channels=1)
    meta = ModelMeta(name="nuclei", version="1.2.0", diameter_px=20.0, output="logits",
                     postprocess={"threshold": 0.8, "min_size": 40})
    path = export_onnx(net, meta, tmp_path / "nuclei.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])

    x = np.random.default_rng(1).normal(size=(3, 1, 48, 96)).astype(np.float32)
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    net.eval()
    with torch.no_grad():
        expected = torch.sigmoid(net(torch.from_numpy(x))).numpy()
    assert got.shape == (3, 1, 48, 96)
    assert np.max(np.abs(got - expected)) <= 1e-4

    read = ModelMeta.from_props(session.get_modelmeta().custom_metadata_map)
    assert read.name == "nuclei" and read.version == "1.2.0" and read.diameter_px == 20.0
    assert read.output == "sigmoid" and read.input_channels == 1 and read.input_multiple == 16
    assert read.default_params().threshold == 0.8
    assert read.weights_sha256 == weights_sha256(net) and len(read.weights_sha256) == 64
    assert read.created.endswith("Z")
    batch, _, height, width = session.get_inputs()[0].shape
    assert all(isinstance(d, str) for d in (batch, height, width))


def test_three_class_network_exports_scores_for_the_engine_softmax(tmp_path):
    net = trained_like(in_channels=3, n_classes=3)
    path = export_onnx(net, ModelMeta(name="rgb3"), tmp_path / "rgb3.onnx")
    model = OnnxModel(path, use_gpu=False, threads=1)
    assert (model.meta.output, model.meta.foreground_channel, model.meta.boundary_channel) == ("softmax", 1, 2)
    assert model.meta.input_channels == 3
    probability = model.predict(np.random.default_rng(0).integers(0, 255, (40, 50), dtype=np.uint8))
    assert probability.shape == (40, 50)
    assert 0.0 <= probability.min() and probability.max() <= 1.0


def test_caller_model_is_left_unchanged(tmp_path):
    net = trained_like(in_channels=1).to(memory_format=torch.channels_last)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    export_onnx(net, ModelMeta(name="m"), tmp_path / "m.onnx")
    assert net.training
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_mismatch_raises_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(export_module, "_check_runtime", lambda *args: 0.5)
    target = tmp_path / "bad.onnx"
    with pytest.raises(ModelError, match="differ by 0.5, more than the allowed 0.0001"):
        export_onnx(trained_like(in_channels=1), ModelMeta(name="bad"), target)
    assert list(tmp_path.iterdir()) == []


def test_existing_file_is_replaced_without_leftovers(tmp_path):
    target = tmp_path / "m.onnx"
    target.write_bytes(b"old")
    export_onnx(trained_like(in_channels=1), ModelMeta(name="m"), target, check=False)
    assert target.read_bytes()[:4] != b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


def test_bad_opset_is_refused(tmp_path):
    with pytest.raises(ValueError, match="opset must be between 13 and 20, got 9"):
        export_onnx(trained_like(in_channels=1), ModelMeta(name="m"), tmp_path / "m.onnx", opset=9)
