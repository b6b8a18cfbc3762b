"""Copies of the bundled nuclei model with crafted metadata are refused when loaded (issue 18, item 9)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from cellcounter_app.cli import main
from cellcounter_app.errors import ModelError
from cellcounter_app.inference.onnx_model import OnnxModel
from cellcounter_app.inference.registry import load_model, read_entry

onnx = pytest.importorskip("onnx")
tifffile = pytest.importorskip("tifffile")

NUCLEI = Path(__file__).parents[2] / "models" / "nuclei.onnx"

pytestmark = pytest.mark.skipif(not NUCLEI.is_file(), reason="models/nuclei.onnx is not built")


def crafted(tmp_path: Path, stem: str = "crafted", drop: bool = False, **edits: object) -> Path:
    """A copy of nuclei.onnx whose ``cellcounter.<key>`` props are set to ``json.dumps(value)``
    (a ``str`` value given as ``RAW:...`` is written as is); ``drop`` removes every prop."""
    model = onnx.load(str(NUCLEI))
    props = {p.key: p.value for p in model.metadata_props}
    if drop:
        props = {}
    for key, value in edits.items():
        text = value[4:] if isinstance(value, str) and value.startswith("RAW:") else json.dumps(value)
        props["cellcounter." + key] = text
    del model.metadata_props[:]
    onnx.helper.set_model_props(model, props)
    path = tmp_path / f"{stem}.onnx"
    onnx.save(model, str(path))
    return path


NORM = {"kind": "percentile", "low": 1.0, "high": 99.8, "per_channel": True, "clip": False, "divisor": 255.0}

CRAFTED = [
    ("tile_size", 60000, r"tile_size must be an integer from 16 to 2048, got 60000"),
    ("tile_size", "512", r"tile_size must be an integer from 16 to 2048, got '512'"),
    ("input_multiple", 60000, r"input_multiple must be an integer from 1 to 256, got 60000"),
    ("input_multiple", 0, r"input_multiple must be an integer from 1 to 256, got 0"),
    ("diameter_px", "RAW:NaN", r"diameter_px must be 0 \(unknown\) or a finite number from 2 to 1000, got nan"),
    ("diameter_px", "RAW:Infinity", r"diameter_px must be .* from 2 to 1000, got inf"),
    ("diameter_px", 1e-300, r"diameter_px must be .* from 2 to 1000, got 1e-300"),
    ("diameter_px", -3, r"diameter_px must be .*, got -3"),
    ("diameter_px", "21", r"diameter_px must be .*, got '21'"),
    ("normalization", ["percentile", 1, 99.8], r"normalization must be an object .*, got \['percentile', 1, 99.8\]"),
    ("normalization", {**NORM, "low": "1"}, r"normalization.low must be a finite number from 0 to 100, got '1'"),
    ("normalization", {**NORM, "high": 1e300}, r"normalization.low|normalization.high must be .* got 1e\+300"),
    ("normalization", {**NORM, "kind": 3}, r"normalization.kind must be one of percentile, scale, none, got 3"),
    ("normalization", {**NORM, "clip": "no"}, r"normalization.clip must be true or false, got 'no'"),
    ("normalization", {**NORM, "kind": "scale", "divisor": "RAW:NaN"}, r"normalization.divisor must be a finite"),
    ("foreground_channel", "1", r"foreground_channel must be an integer from 0 to 63, got '1'"),
    ("foreground_channel", -1, r"foreground_channel must be an integer from 0 to 63, got -1"),
    ("foreground_channel", True, r"foreground_channel must be an integer from 0 to 63, got True"),
    ("boundary_channel", 2.5, r"boundary_channel must be an integer from 0 to 63, got 2.5"),
    ("version", {"major": 2}, r"version must be a string, got \{'major': 2\}"),
    ("name", 7, r"name must be a string, got 7"),
    ("description", ["x"] * 50, r"description must be a string, got \['x', .*\.\.\.$"),
    ("schema", "1", r"schema must be an integer >= 1, got '1'"),
    ("schema", 1.0, r"schema must be an integer >= 1, got 1.0"),
    ("input_channels", "1", r"input_channels must be 1 or 3, got '1'"),
    ("output", ["softmax"], r"output must be one of sigmoid, logits, softmax, got \['softmax'\]"),
    ("postprocess", [], r"postprocess must be an object, got \[\]"),
    ("metrics", "good", r"metrics must be an object, got 'good'"),
    ("tile_overlap", 300, r"tile_overlap must be an integer from 0 to 255, got 300"),
]


@pytest.mark.parametrize(("key", "value", "message"), CRAFTED, ids=[f"{k}={v!r}"[:40] for k, v, _ in CRAFTED])
def test_crafted_metadata_is_refused_at_load_with_field_value_and_range(tmp_path, key, value, message):
    path = crafted(tmp_path, **{key: value})
    with pytest.raises(ModelError, match=message) as info:
        OnnxModel(path, use_gpu=False)
    assert str(info.value).startswith(f"{path}: ")
    with pytest.raises(ModelError, match=message):
        read_entry(path)  # the model list skips it with the same reason


def test_foreground_channel_beyond_the_graph_output_is_refused_by_load_model(tmp_path):
    path = crafted(tmp_path, foreground_channel=3)
    with pytest.raises(ModelError, match=r"foreground_channel must be an integer from 0 to 2 \(the graph's output"
                                         r" has 3 channel\(s\)\), got 3"):
        load_model(path, use_gpu=False)
    with pytest.raises(ModelError, match=r"boundary_channel must be an integer from 0 to 2 .*, got 5"):
        load_model(crafted(tmp_path, "b", boundary_channel=5), use_gpu=False)


def test_the_bundled_model_and_sane_edits_still_load(tmp_path):
    model = load_model(crafted(tmp_path, tile_size=2048, diameter_px=0, schema=1), use_gpu=False)
    assert (model.tile_size, model.meta.diameter_px) == (2048, 0)
    assert load_model(NUCLEI, use_gpu=False).meta.name == "nuclei"


def test_a_model_without_metadata_says_it_uses_the_defaults(tmp_path, caplog):
    path = crafted(tmp_path, "bare", drop=True)
    with caplog.at_level(logging.WARNING, logger="cellcounter_app"):
        model = load_model(path, use_gpu=False)
    assert model.meta.name == "bare"
    assert "has no CellCounter metadata: it is named 'bare' and uses the default settings" in caplog.text
    with caplog.at_level(logging.WARNING, logger="cellcounter_app"):
        caplog.clear()
        load_model(NUCLEI, use_gpu=False)
    assert "no CellCounter metadata" not in caplog.text


@pytest.mark.parametrize(("key", "value", "message"), [
    ("tile_size", 60000, "tile_size must be an integer from 16 to 2048, got 60000"),
    ("version", {"major": 2}, "version must be a string, got {'major': 2}"),
    ("schema", "1", "schema must be an integer >= 1, got '1'"),
])
def test_count_refuses_a_crafted_model_before_counting_rc_2(tmp_path, capsys, key, value, message):
    images = tmp_path / "images"
    images.mkdir()
    tifffile.imwrite(images / "a.tif", np.zeros((64, 64), np.uint8))
    path = crafted(tmp_path, **{key: value})
    out = tmp_path / "out" / "results.xlsx"
    assert main(["count", str(images), "--out", str(out), "--model", str(path), "-q", "--cpu"]) == 2
    err = capsys.readouterr().err
    assert f"cellcounter: error: {path}: {message}" in err
    assert not out.exists()
