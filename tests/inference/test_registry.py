from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import pytest

import cellcounter_app
from cellcounter_app.errors import ModelError
from cellcounter_app.inference import (
    ClassicalModel,
    ModelEntry,
    OnnxModel,
    list_models,
    load_model,
    model_dirs,
    registry,
)
from cellcounter_app.inference.metadata import ModelMeta


@pytest.fixture
def models_env(tmp_path, monkeypatch):
    """Two model folders in CELLCOUNTER_MODELS_DIR; empty user and bundled folders."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    monkeypatch.setenv(registry.ENV_VAR, os.pathsep.join([str(first), str(second)]))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(registry, "bundled_models_dir", lambda: tmp_path / "bundled")
    return first, second


def test_model_dirs_order(models_env, tmp_path, monkeypatch):
    first, second = models_env
    monkeypatch.setattr(sys, "platform", "linux")
    assert model_dirs() == [first, second, tmp_path / "xdg" / "cellcounter" / "models", tmp_path / "bundled"]


def test_model_dirs_without_env(monkeypatch, tmp_path):
    monkeypatch.delenv(registry.ENV_VAR, raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    assert model_dirs() == [
        tmp_path / ".local" / "share" / "cellcounter" / "models",
        Path(cellcounter_app.__file__).parents[1] / "models",
    ]


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("win32", Path("appdata") / "CellCounter" / "models"),
        ("darwin", Path("home") / "Library" / "Application Support" / "CellCounter" / "models"),
    ],
)
def test_user_folder_per_platform(monkeypatch, tmp_path, platform, expected):
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setenv("APPDATA", str(tmp_path / "appdata"))
    monkeypatch.setattr(Path, "home", lambda: tmp_path / "home")
    assert registry.user_models_dir() == tmp_path / expected


def test_bundled_folder_when_frozen(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert registry.bundled_models_dir() == tmp_path / "models"


def test_list_models_classical_first_then_files(models_env, make_model, caplog):
    first, second = models_env
    make_model("b_nuclei", folder=first, meta=ModelMeta(name="nuclei", version="2.0.0", description="newer"))
    make_model("a_nuclei", folder=second, meta=ModelMeta(name="nuclei", version="1.0.0"))
    make_model("cells", folder=second, meta=ModelMeta(name="cells", version="0.3.0"))
    make_model("unnamed", folder=second)
    (first / "broken.onnx").write_bytes(b"\x00garbage")
    with caplog.at_level(logging.WARNING, logger=registry.__name__):
        entries = list_models()
    assert [(e.name, e.version, e.source) for e in entries] == [
        ("classical", "1", "builtin"),
        ("nuclei", "2.0.0", "user"),
        ("cells", "0.3.0", "user"),
        ("unnamed", "0.0.0", "user"),
    ]
    assert entries[1] == ModelEntry("nuclei", "2.0.0", "newer", first / "b_nuclei.onnx", "user")
    assert "broken.onnx" in caplog.text


def test_bundled_models_are_marked(models_env, make_model, tmp_path):
    make_model("nuclei", folder=tmp_path / "bundled", meta=ModelMeta(name="nuclei"))
    assert [(e.name, e.source) for e in list_models()][1:] == [("nuclei", "bundled")]


def test_read_entry_for_a_picked_file(make_model):
    path = make_model("mine", meta=ModelMeta(name="mine", version="0.1.0", description="lab model"))
    assert registry.read_entry(path) == ModelEntry("mine", "0.1.0", "lab model", path, "file")
    with pytest.raises(ModelError, match="source must be one of"):
        registry.read_entry(path, "somewhere")


def test_load_model_by_name_path_and_builtin(models_env, make_model):
    first, _ = models_env
    path = make_model("n", folder=first, meta=ModelMeta(name="nuclei", version="2.0.0"))
    assert isinstance(load_model("classical"), ClassicalModel)
    by_name = load_model("nuclei", use_gpu=False, threads=1)
    by_path = load_model(path, use_gpu=False)
    by_text = load_model(str(path), use_gpu=False)
    assert isinstance(by_name, OnnxModel) and by_name.path == path
    assert by_path.sha256 == by_text.sha256 == by_name.sha256


def test_unknown_model_lists_the_available_ones(models_env, make_model):
    make_model("n", folder=models_env[0], meta=ModelMeta(name="nuclei"))
    with pytest.raises(ModelError, match=r"no model named 'cytoplasm'; available: classical, nuclei"):
        load_model("cytoplasm")


def test_missing_model_file(tmp_path):
    with pytest.raises(ModelError, match=r"absent\.onnx: no such model file"):
        load_model(tmp_path / "absent.onnx")
    with pytest.raises(ModelError, match=r"absent\.onnx: no such model file"):
        load_model(str(tmp_path / "absent.onnx"))


def test_corrupt_file_by_path_names_it(tmp_path):
    path = tmp_path / "corrupt.onnx"
    path.write_bytes(b"not a model")
    with pytest.raises(ModelError, match=r"corrupt\.onnx"):
        load_model(path, use_gpu=False)
