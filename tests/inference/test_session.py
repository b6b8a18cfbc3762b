from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from cellcounter_app.errors import ModelError
from cellcounter_app.inference import session as session_module
from cellcounter_app.inference.onnx_model import OnnxModel
from cellcounter_app.inference.session import CPU, CUDA, choose_session, read_properties, session_options

REAL_SESSION = ort.InferenceSession


class FakeCudaSession:
    """A real CPU session that claims to run on CUDA and can be told to fail."""

    def __init__(self, path: str, *, run_fails: bool, **kwargs):
        self._real = REAL_SESSION(path, sess_options=kwargs.get("sess_options"), providers=[CPU])
        self._run_fails = run_fails

    def get_providers(self) -> list[str]:
        return [CUDA, CPU]

    def run(self, *args, **kwargs):
        if self._run_fails:
            raise RuntimeError("CUDA failure: no kernel image is available for execution on the device")
        return self._real.run(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._real, name)


@pytest.fixture
def cuda_listed(monkeypatch):
    monkeypatch.setattr(ort, "get_available_providers", lambda: [CUDA, CPU])


def _record_sessions(monkeypatch, factory) -> list[list[str]]:
    calls: list[list[str]] = []

    def fake(path, sess_options=None, providers=None):
        calls.append(list(providers))
        return factory(path, sess_options=sess_options, providers=providers)

    monkeypatch.setattr(ort, "InferenceSession", fake)
    return calls


def test_cpu_session_options():
    options = session_options(3)
    assert options.intra_op_num_threads == 3 and options.inter_op_num_threads == 1
    assert options.log_severity_level == 3
    assert options.graph_optimization_level == ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    with pytest.raises(ModelError, match="threads must be an integer from 1 to 256 or None, got 0"):
        session_options(0)
    with pytest.raises(ModelError, match="threads must be an integer from 1 to 256 or None, got 100000"):
        session_options(100000)


def test_cpu_when_gpu_not_wanted(make_model, monkeypatch, cuda_listed):
    calls = _record_sessions(monkeypatch, REAL_SESSION)
    session = choose_session(make_model(), use_gpu=False, threads=1)
    assert session.get_providers() == [CPU]
    assert calls == [[CPU]]


def test_cpu_when_cuda_is_not_listed(make_model, monkeypatch):
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["AzureExecutionProvider", CPU])
    calls = _record_sessions(monkeypatch, REAL_SESSION)
    assert choose_session(make_model()).get_providers()[0] == CPU
    assert calls == [[CPU]]


def test_cuda_listed_but_unusable_falls_back_with_a_warning(make_model, cuda_listed, caplog):
    with caplog.at_level(logging.WARNING, logger=session_module.__name__):
        session = choose_session(make_model(), threads=1)
    assert session.get_providers() == [CPU]
    assert any("CUDA is installed but unusable" in r.getMessage() for r in caplog.records)


def test_cuda_not_first_gives_a_cpu_only_session(make_model, monkeypatch, cuda_listed, caplog):
    class CudaSecond(FakeCudaSession):
        def get_providers(self) -> list[str]:
            return [CPU, CUDA]

    def factory(path, sess_options=None, providers=None):
        if providers[0] == CUDA:
            return CudaSecond(path, run_fails=False, sess_options=sess_options)
        return REAL_SESSION(path, sess_options=sess_options, providers=providers)

    calls = _record_sessions(monkeypatch, factory)
    with caplog.at_level(logging.WARNING):
        session = choose_session(make_model(), threads=1)
    assert calls == [[CUDA, CPU], [CPU]]
    assert session.get_providers() == [CPU]
    assert "unusable" in caplog.text


def test_cuda_session_error_falls_back(make_model, monkeypatch, cuda_listed, caplog):
    def factory(path, sess_options=None, providers=None):
        if providers[0] == CUDA:
            raise RuntimeError("libcudnn.so.9: cannot open shared object file")
        return REAL_SESSION(path, sess_options=sess_options, providers=providers)

    calls = _record_sessions(monkeypatch, factory)
    with caplog.at_level(logging.WARNING):
        session = choose_session(make_model(), threads=1)
    assert calls == [[CUDA, CPU], [CPU]] and session.get_providers() == [CPU]
    assert "libcudnn" in caplog.text


def test_working_cuda_is_kept(make_model, monkeypatch, cuda_listed):
    def factory(path, sess_options=None, providers=None):
        return FakeCudaSession(path, run_fails=False, sess_options=sess_options)

    _record_sessions(monkeypatch, factory)
    model = OnnxModel(make_model(), threads=1)
    assert model.provider == CUDA and model.providers == [CUDA, CPU]
    assert model.predict(np.ones((20, 20))).shape == (20, 20)


def test_cuda_that_fails_to_run_falls_back_to_cpu(make_model, monkeypatch, cuda_listed, caplog):
    def factory(path, sess_options=None, providers=None):
        if providers[0] == CUDA:
            return FakeCudaSession(path, run_fails=True, sess_options=sess_options)
        return REAL_SESSION(path, sess_options=sess_options, providers=providers)

    _record_sessions(monkeypatch, factory)
    with caplog.at_level(logging.WARNING):
        model = OnnxModel(make_model(), threads=1)
    assert model.provider == CPU
    assert "fails to run" in caplog.text
    assert model.predict(np.ones((20, 20))).shape == (20, 20)


def test_cuda_that_fails_while_counting_goes_on_on_the_cpu(make_model, monkeypatch, cuda_listed, caplog):
    """CUDA passed the probe at start-up, then fails on a tile (out of memory, a lost device)."""
    class FailsLater(FakeCudaSession):
        runs = 0

        def run(self, *args, **kwargs):
            FailsLater.runs += 1
            if FailsLater.runs > 1:
                raise RuntimeError("CUDA failure 2: out of memory\nsecond line")
            return self._real.run(*args, **kwargs)

    def factory(path, sess_options=None, providers=None):
        if providers[0] == CUDA:
            return FailsLater(path, run_fails=False, sess_options=sess_options)
        return REAL_SESSION(path, sess_options=sess_options, providers=providers)

    calls = _record_sessions(monkeypatch, factory)
    model = OnnxModel(make_model(), threads=1)
    assert model.provider == CUDA
    expected = OnnxModel(make_model(), use_gpu=False, threads=1).predict(np.ones((20, 20)))
    with caplog.at_level(logging.WARNING):
        probability = model.predict(np.ones((20, 20)))
    assert np.allclose(probability, expected)
    assert model.provider == CPU and calls[-1] == [CPU]
    assert "failed on a" in caplog.text and "out of memory" in caplog.text and "going on on the CPU" in caplog.text


def test_a_cpu_failure_is_a_model_error_naming_the_file(make_model, monkeypatch):
    model = OnnxModel(make_model(), use_gpu=False, threads=1)
    monkeypatch.setattr(model._session, "run", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("bad")),
                        raising=False)
    with pytest.raises(ModelError, match=r"\.onnx: inference failed on a .* tile: bad"):
        model.predict(np.ones((20, 20)))


def test_missing_file_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match=r"missing\.onnx: no such model file"):
        choose_session(tmp_path / "missing.onnx")


@pytest.mark.parametrize("content", [b"", b"this is not a protobuf \x00\xff\x13" * 20])
def test_corrupt_file_is_a_model_error_naming_it(tmp_path, content):
    path = tmp_path / "broken.onnx"
    path.write_bytes(content)
    with pytest.raises(ModelError, match=r"broken\.onnx: cannot load the ONNX model"):
        choose_session(path, use_gpu=False)


def test_read_properties(make_model):
    path = make_model(props={"cellcounter.name": '"nuclei"', "author": "someone"})
    assert read_properties(path) == {"cellcounter.name": '"nuclei"', "author": "someone"}


def test_truncated_model_names_the_file(make_model):
    path: Path = make_model(kernel=3, weight=np.ones((1, 1, 3, 3)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match=r"model\.onnx"):
        OnnxModel(path)


def test_importing_the_engine_quiets_onnx_runtime_before_any_session(monkeypatch):
    import importlib

    from cellcounter_app.inference import session as session_module

    levels = []
    monkeypatch.setattr(ort, "set_default_logger_severity", levels.append)
    importlib.reload(session_module)
    assert levels == [session_module.QUIET] and session_module.QUIET == 3
