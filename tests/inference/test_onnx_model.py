from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
from scipy import ndimage as ndi
from scipy import special

from cellcounter_app.errors import ModelError
from cellcounter_app.inference import CancelledError, OnnxModel, Predictor, normalize
from cellcounter_app.inference.metadata import ModelMeta, Normalization
from cellcounter_app.inference.onnx_model import to_probability

SCALE = Normalization(kind="scale", divisor=100.0)
KERNEL = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.float32) / 16


def _meta(**changes) -> ModelMeta:
    values = {"name": "nuclei", "version": "1.2.0", "normalization": SCALE, "tile_size": 64, "tile_overlap": 16}
    values.update(changes)
    return ModelMeta(**values)


def test_metadata_hash_and_provider(make_model):
    meta = _meta(diameter_px=18.5, postprocess={"threshold": 0.8, "min_size": 40}, metrics={"f1": 0.81})
    path = make_model(meta=meta)
    model = OnnxModel(path, use_gpu=False, threads=1)
    assert model.meta == meta
    assert model.meta.default_params().threshold == 0.8
    assert model.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert model.provider == "CPUExecutionProvider" and model.providers == ["CPUExecutionProvider"]
    assert model.path == path and model.input_name == "x"
    assert isinstance(model, Predictor)


def test_file_without_metadata_is_named_after_its_stem(make_model):
    model = OnnxModel(make_model("plain"), use_gpu=False)
    assert model.meta.name == "plain" and model.meta.output == "sigmoid"


def test_broken_metadata_names_the_file(make_model):
    path = make_model(props={"cellcounter.tile_size": "{not json"})
    with pytest.raises(ModelError, match=r"model\.onnx: model metadata 'cellcounter.tile_size' is not valid JSON"):
        OnnxModel(path)
    path = make_model("bad", props={"cellcounter.input_channels": "2"})
    with pytest.raises(ModelError, match=r"bad\.onnx: input_channels must be 1 or 3, got 2"):
        OnnxModel(path)


def test_graph_channels_must_match_the_metadata(make_model):
    path = make_model(meta=_meta(input_channels=3))
    with pytest.raises(ModelError, match="the graph reads 1 channels but its metadata says input_channels=3"):
        OnnxModel(path)


def test_non_square_fixed_input_is_refused(make_model):
    with pytest.raises(ModelError, match="must be square, got 32x48"):
        OnnxModel(make_model(height=32, width=48))


def test_sigmoid_output_matches_the_formula(make_model):
    model = OnnxModel(make_model(meta=_meta(), weight=2.0, bias=-1.0), use_gpu=False)
    image = np.random.default_rng(0).integers(0, 200, size=(70, 90), dtype=np.uint8)
    expected = special.expit(2.0 * image / 100.0 - 1.0)
    out = model.predict(image)
    assert out.dtype == np.float32 and out.shape == image.shape
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_logits_output_gets_a_sigmoid(make_model):
    model = OnnxModel(make_model(meta=_meta(output="logits"), weight=3.0, activation=None), use_gpu=False)
    image = np.linspace(0, 200, 40 * 30).reshape(40, 30)
    np.testing.assert_allclose(model.predict(image), special.expit(3.0 * image / 100.0), atol=1e-5)


def test_softmax_output_takes_the_foreground_channel(make_model):
    weight = np.array([1.0, -1.0], dtype=np.float32).reshape(2, 1, 1, 1)
    meta = _meta(output="softmax", foreground_channel=1)
    model = OnnxModel(make_model(meta=meta, weight=weight, out_channels=2, activation=None), use_gpu=False)
    image = np.linspace(-100, 100, 20 * 20).reshape(20, 20)
    x = image / 100.0
    np.testing.assert_allclose(model.predict(image), special.expit(-2 * x), atol=1e-5)


def test_foreground_channel_beyond_the_output_is_a_model_error(make_model):
    model = OnnxModel(make_model(meta=_meta(foreground_channel=2)), use_gpu=False)
    with pytest.raises(ModelError, match=r"model\.onnx: foreground_channel must be in \[0, 0\].*got 2"):
        model.predict(np.zeros((8, 8)))


def test_to_probability_handles_bad_values():
    out = to_probability(np.array([[[[np.nan, np.inf], [-np.inf, 0.3]]]]), "sigmoid", 0)
    np.testing.assert_allclose(out, [[0, 1], [0, 0.3]], atol=1e-7)
    logits = to_probability(np.array([[[np.inf, -np.inf]]]), "logits", 0)
    np.testing.assert_allclose(logits, [[1, 0]])
    with pytest.raises(ModelError, match=r"must be \(1, C, H, W\), got shape \(2, 1, 3, 3\)"):
        to_probability(np.zeros((2, 1, 3, 3)), "sigmoid", 0)


def test_rgb_model_reads_a_grey_image_replicated(make_model):
    weight = np.array([1.0, 2.0, -1.0], dtype=np.float32).reshape(1, 3, 1, 1)
    model = OnnxModel(make_model(meta=_meta(input_channels=3), weight=weight, in_channels=3), use_gpu=False)
    image = np.linspace(0, 100, 24 * 24).reshape(24, 24)
    np.testing.assert_allclose(model.predict(image), special.expit(2 * image / 100), atol=1e-5)


def test_percentile_normalisation_uses_the_whole_image(make_model):
    meta = _meta(normalization=Normalization(low=0, high=100), tile_size=32, tile_overlap=8)
    model = OnnxModel(make_model(meta=meta), use_gpu=False)
    image = np.arange(100 * 120, dtype=np.uint16).reshape(100, 120)
    expected = special.expit(normalize(image, meta.normalization))
    np.testing.assert_allclose(model.predict(image), expected, atol=1e-5)


def test_tiled_prediction_equals_untiled_for_a_3x3_network(make_model):
    options = {"kernel": 3, "weight": KERNEL.reshape(1, 1, 3, 3) * 4, "bias": -1.0}
    tiled = OnnxModel(make_model("tiled", meta=_meta(), **options), use_gpu=False)
    whole = OnnxModel(make_model("whole", meta=_meta(tile_size=512), **options), use_gpu=False)
    image = np.random.default_rng(1).integers(0, 255, size=(160, 208), dtype=np.uint8)
    np.testing.assert_allclose(tiled.predict(image), whole.predict(image), atol=1e-5)
    expected = special.expit(ndi.correlate(image / 100.0, KERNEL * 4, mode="constant") - 1.0)
    np.testing.assert_allclose(tiled.predict(image), expected, atol=1e-5)
    odd = image[:101, :157]
    np.testing.assert_allclose(tiled.predict(odd)[:-1, :-1], whole.predict(odd)[:-1, :-1], atol=1e-5)


@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (13, 1), (3, 5, 2)])
def test_tiny_images(make_model, shape):
    model = OnnxModel(make_model(meta=_meta()), use_gpu=False)
    out = model.predict(np.full(shape, 7, dtype=np.uint8))
    assert out.shape == shape[:2]
    np.testing.assert_allclose(out, special.expit(0.07), atol=1e-6)


def test_fixed_size_graph_is_tiled_at_its_size(make_model):
    model = OnnxModel(make_model(meta=_meta(tile_size=512, tile_overlap=64), height=32, width=32), use_gpu=False)
    assert (model.tile_size, model.input_multiple, model.tile_overlap) == (32, 32, 15)
    image = np.linspace(0, 100, 50 * 70).reshape(50, 70)
    np.testing.assert_allclose(model.predict(image), special.expit(image / 100), atol=1e-5)


def test_small_images_run_in_one_piece(make_model):
    model = OnnxModel(make_model(meta=_meta(tile_size=32, tile_overlap=8)), use_gpu=False)
    seen: list[tuple[int, int]] = []
    model.predict(np.zeros((50, 70), dtype=np.uint8), on_tile=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 1)]
    assert model.tile_for((4096, 4096)) == 32


def test_progress_and_cancel(make_model):
    model = OnnxModel(make_model(meta=_meta(tile_size=32, tile_overlap=8)), use_gpu=False)
    model.single_tile_pixels = 0
    image = np.zeros((50, 50), dtype=np.uint8)
    seen: list[tuple[int, int]] = []
    model.predict(image, on_tile=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    with pytest.raises(CancelledError):
        model.predict(image, cancel=lambda: len(seen) >= 6, on_tile=lambda d, t: seen.append((d, t)))
    assert len(seen) == 6


def test_large_image_is_memory_bounded(make_model):
    model = OnnxModel(make_model(meta=_meta(tile_size=512, tile_overlap=64)), use_gpu=False)
    image = np.random.default_rng(2).integers(0, 4000, size=(4096, 4096), dtype=np.uint16)
    tracemalloc.start()
    try:
        out = model.predict(image)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.shape == image.shape
    assert peak < out.nbytes + 48 * 2**20  # output + tiles + statistics sample, no full float copy


def test_inference_imports_neither_onnx_nor_qt_nor_torch():
    code = (
        "import sys, json, cellcounter_app.inference;"
        "print(json.dumps([m for m in ('onnx', 'torch', 'PySide6', 'pyqtgraph') if m in sys.modules]))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []


def test_after_a_very_large_image_the_runtime_memory_pool_is_released(make_model, monkeypatch):
    import cellcounter_app.inference.maps as maps

    model = OnnxModel(make_model("pool", meta=_meta()), use_gpu=False)
    released = []
    real = model.release_pool
    monkeypatch.setattr(model, "release_pool", lambda: released.append(True) or real())
    image = np.random.default_rng(0).random((96, 80)).astype(np.float32)
    small = model.predict(image)
    assert released == [] and small.dtype == np.float32
    monkeypatch.setattr(maps, "HALF_MAP_PIXELS", 1000)
    large = model.predict(image)
    assert released == [True] and large.dtype == np.float16
    np.testing.assert_allclose(large, small, atol=1e-3)
