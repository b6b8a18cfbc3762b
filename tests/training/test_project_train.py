"""Training on a project: a versioned model in the project, scored against its base; failures end in a message."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from cellcounter_app.cli import main  # noqa: E402
from cellcounter_app.errors import CellCounterError, ModelError  # noqa: E402
from cellcounter_app.inference import list_models, load_model  # noqa: E402
from cellcounter_app.io import read_image  # noqa: E402
from cellcounter_app.pipeline import count_image  # noqa: E402
from cellcounter_app.project import Project, save_project  # noqa: E402
from cellcounter_app.training import project_train, resilience  # noqa: E402
from cellcounter_app.training.loop import EpochReport, FinishedReport, StepReport  # noqa: E402
from cellcounter_app.training.project_models import reserve_model_path  # noqa: E402
from cellcounter_app.training.project_train import (  # noqa: E402
    ProjectTrainRequest, ProjectTrainResult, TrainingNotice, TrainingStarted, train_project,
)
from synthetic_images import disc_image, grid_centres, write_png  # noqa: E402

import numpy as np  # noqa: E402

from cellcounter_app.postprocess import PostprocessParams  # noqa: E402
from cellcounter_app.training.data import make_sample  # noqa: E402

SHAPE = (112, 112)
FAST = dict(epochs=1, width=4, crop_size=64, device="cpu")


def make_project(folder, n_images=3, corrected=True):
    """Disc images counted with ``classical``; each gets one added point (a 10th cell) when ``corrected``."""
    project = Project(folder)
    paths = []
    for i in range(n_images):
        image, _ = disc_image(shape=SHAPE, centres=grid_centres(9, shape=SHAPE, spacing=30), radius=7, seed=i)
        paths.append(write_png(folder / "images" / f"a{i}.png", image))
    classical = load_model("classical")
    for image_id, path in zip(project.add_images(paths), paths):
        project.record_result(image_id, count_image(read_image(path), classical))
        if corrected:
            project.add_point(image_id, (100.0, 100.0))
    save_project(project)
    return project


def drain(request, **kwargs):
    reports = list(train_project(request, **kwargs))
    assert isinstance(reports[-1], ProjectTrainResult)
    assert sum(isinstance(r, ProjectTrainResult) for r in reports) == 1
    return reports, reports[-1]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("exp"))
    reports, result = drain(ProjectTrainRequest.from_project(project, **FAST))
    return project, reports, result


def test_a_project_run_reports_progress_and_writes_a_versioned_model(trained):
    project, reports, result = trained
    started = next(r for r in reports if isinstance(r, TrainingStarted))
    assert started.model_name == "model-v1" and started.train_cells + started.val_cells == 30
    assert any(isinstance(r, StepReport) for r in reports) and any(isinstance(r, EpochReport) for r in reports)
    assert result.ok and result.stop == "completed" and result.reference == "classical"
    assert result.model_path == project.folder / "models" / "model-v1.onnx" and result.model_path.is_file()
    assert 0.0 <= result.f1 <= 1.0 and result.base_f1 > 0.9
    assert f"validation F1 {result.f1:.3f}" in result.message
    card = json.loads(result.card_path.read_text())
    assert card["base"] is None and card["project"] == str(project.folder)
    assert sorted(card["train_images"] + card["val_images"]) == ["images/a0.png", "images/a1.png", "images/a2.png"]
    assert card["evaluation"]["reference"]["f1"] == result.base_f1 == card["base_validation_f1"]
    assert card["annotations"]["images/a0.png"] == {"kind": "corrected", "cells": 10}
    assert "| classical |" in result.card_path.with_suffix(".md").read_text()


def test_the_project_model_is_found_by_name_and_counts(trained):
    project, _, _ = trained
    models = project.folder / "models"
    assert ("model-v1", "project") in [(e.name, e.source) for e in list_models(extra_dirs=[models])]
    model = load_model("model-v1", use_gpu=False, extra_dirs=[models])
    image = read_image(project.images[0].path)
    assert count_image(image, model).labels.shape == SHAPE


def test_cli_fine_tunes_the_project_model_into_the_next_version(trained, capsys):
    project, _, first = trained
    before = first.model_path.read_bytes()
    code = main(["train", "--project", str(project.folder), "--base", "model-v1", "--epochs", "1", "--crop", "64",
                 "--cpu", "--threads", "1", "--val-images", "a0.png"])
    out, err = capsys.readouterr()
    assert code == 0, err
    second = project.folder / "models" / "model-v2.onnx"
    assert second.is_file() and first.model_path.read_bytes() == before
    assert "model-v2: validation F1" in out and "model-v1 (" in out and "validating on 1" in err
    card = json.loads(second.with_suffix(".json").read_text())
    assert card["base"]["name"] == "model-v1" and card["val_images"] == ["images/a0.png"]


def test_too_few_annotations_end_with_a_message_and_no_model(tmp_path, capsys):
    project = make_project(tmp_path / "exp", n_images=1, corrected=False)
    reports, result = drain(ProjectTrainRequest.from_project(project, **FAST))
    assert not result.ok and result.stop == "not enough annotations"
    assert "at least 10 annotated cells" in result.message
    assert not (project.folder / "models").exists()
    assert main(["train", "--project", str(project.folder), "--epochs", "1"]) == 2
    assert "Correct the counts of more images" in capsys.readouterr().err


def test_out_of_memory_retries_with_a_smaller_batch(tmp_path, monkeypatch):
    real = project_train.finetune

    def flaky(request, *, cancel=None):
        if request.batch_size > 4:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        yield from real(request, cancel=cancel)

    monkeypatch.setattr(project_train, "finetune", flaky)
    project = make_project(tmp_path / "exp")
    reports, result = drain(ProjectTrainRequest.from_project(project, **FAST))
    notices = [r.message for r in reports if isinstance(r, TrainingNotice)]
    assert notices == ["Out of memory on the CPU with batch 8: retrying with batch 4."]
    assert result.ok and json.loads(result.card_path.read_text())["config"]["batch_size"] == 4


def test_cancel_keeps_the_best_model_so_far(tmp_path):
    project = make_project(tmp_path / "exp")
    steps = []

    def cancel():
        return len(steps) > 0

    request = ProjectTrainRequest.from_project(project, **{**FAST, "epochs": 5})
    reports = []
    for report in train_project(request, cancel=cancel):
        reports.append(report)
        if isinstance(report, StepReport):
            steps.append(report)
    result = reports[-1]
    assert result.ok and result.stop == "cancelled" and result.model_path.is_file() and len(steps) == 1
    assert any(isinstance(r, TrainingNotice) and r.kind == "cancelled" for r in reports)


def test_nan_loss_before_any_checkpoint_ends_with_a_message(tmp_path, monkeypatch):
    def diverging(request, *, cancel=None):
        yield FinishedReport(None, 0.0, 3, 0.5, "nan")
        raise ModelError("training stopped before any validation; nothing to export")

    monkeypatch.setattr(project_train, "finetune", diverging)
    project = make_project(tmp_path / "exp")
    _, result = drain(ProjectTrainRequest.from_project(project, **FAST))
    assert not result.ok and result.stop == "nan" and "NaN at step 3" in result.message
    assert list((project.folder / "models").iterdir()) == []


def test_a_base_without_a_network_is_refused(tmp_path):
    project = make_project(tmp_path / "exp")
    _, result = drain(ProjectTrainRequest.from_project(project, base="classical", **FAST))
    assert not result.ok and "no network to fine-tune" in result.message


def test_out_of_memory_on_the_gpu_moves_to_the_cpu(monkeypatch):
    monkeypatch.setattr(resilience, "pick_device", lambda preference: torch.device("cuda"))
    retry = resilience.OutOfMemoryRetry(2, "auto")
    assert retry.next(MemoryError()) == "Out of memory on the GPU with batch 2: retrying with batch 1."
    assert "training on the CPU instead" in retry.next(MemoryError())
    assert (retry.batch_size, retry.device) == (2, "cpu")
    retry.next(MemoryError())
    with pytest.raises(CellCounterError, match="even with batch 1"):
        retry.next(MemoryError())


def test_fit_in_memory_turns_device_errors_into_memory_errors():
    def failing(exc):
        yield 1
        raise exc

    with pytest.raises(MemoryError):
        list(resilience.fit_in_memory(failing(RuntimeError("MPS backend out of memory"))))
    with pytest.raises(RuntimeError, match="shape mismatch"):
        list(resilience.fit_in_memory(failing(RuntimeError("shape mismatch"))))


def test_versions_only_grow(tmp_path):
    (tmp_path / "nuclei-v1.onnx").write_bytes(b"")
    (tmp_path / "nuclei-v3.json").write_bytes(b"")
    out, run_dir = reserve_model_path(tmp_path, "nuclei")
    assert out.name == "nuclei-v4.onnx" and run_dir.is_dir()
    assert reserve_model_path(tmp_path, "nuclei")[0].name == "nuclei-v5.onnx"
    with pytest.raises(CellCounterError, match="model name must be"):
        reserve_model_path(tmp_path, "../evil")


def test_requests_check_their_bounds(tmp_path):
    with pytest.raises(CellCounterError, match="val_fraction must be between 0 and 1"):
        ProjectTrainRequest(tmp_path, (), val_fraction=1.0)
    with pytest.raises(CellCounterError, match="point_shape must be one of disc, gaussian"):
        ProjectTrainRequest(tmp_path, (), point_shape="square")
    with pytest.raises(CellCounterError, match="crop_size must be a multiple of 16, got 100"):
        ProjectTrainRequest(tmp_path, (), crop_size=100)


def test_the_whole_job_keeps_the_time_budget_the_user_gave(tmp_path):
    """Training stops early enough that calibration, the stain floor and export fit in the budget too."""
    import time

    project = make_project(tmp_path / "p")
    request = ProjectTrainRequest.from_project(project, **{**FAST, "epochs": 100_000, "minutes": 0.25})
    started = time.perf_counter()
    reports, result = drain(request)
    seconds = time.perf_counter() - started
    assert result.ok and result.stop == "time budget"
    assert 0.5 * 15 < seconds <= 1.1 * 15, seconds


def test_the_stain_floor_counts_each_annotated_image_once(monkeypatch):
    """The training set repeats its images to fill an epoch; the floor was chosen counting every copy."""
    from cellcounter_app.training import finetune

    counted = []
    monkeypatch.setattr(finetune, "detections", lambda model, pairs: counted.extend(pairs) or [])
    monkeypatch.setattr(finetune, "best_floor", lambda table, prefer: prefer)

    class Meta:
        def default_params(self):
            return PostprocessParams()

    class Model:
        meta = Meta()

    one, two = (make_sample(np.zeros((1, 8, 8), np.float32), np.zeros((8, 8), np.int32), name, "lab") for name in "ab")
    assert finetune.stain_floor(Model(), [one, two] * 10 + [two], 20.0) == PostprocessParams().min_stain
    assert len(counted) == 2
