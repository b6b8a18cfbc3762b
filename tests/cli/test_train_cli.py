"""``cellcounter train``: trains, exports a model the engine counts with, fine-tunes from it."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tifffile

pytest.importorskip("torch")

from cellcounter_app.cli import main  # noqa: E402
from cellcounter_app.inference import load_model  # noqa: E402
from synthetic_images import disc_image, grid_centres, write_png  # noqa: E402

FAST = ["--epochs", "1", "--width", "4", "--crop", "64", "--cpu", "--val-fraction", "0.34"]


@pytest.fixture(scope="module")
def annotated(tmp_path_factory):
    root = tmp_path_factory.mktemp("annotated")
    for i in range(6):
        image, labels = disc_image(shape=(96, 96), centres=grid_centres(4, shape=(96, 96), spacing=28), seed=i)
        write_png(root / "images" / f"a{i}.png", image)
        (root / "labels").mkdir(exist_ok=True)
        tifffile.imwrite(root / "labels" / f"a{i}.tif", labels.astype(np.uint16))
    return root


@pytest.fixture(scope="module")
def trained(annotated, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "mine.onnx"
    code = main(["train", "--images", str(annotated / "images"), "--labels", str(annotated / "labels"),
                 "--out", str(out), *FAST])
    assert code == 0
    return out


def test_training_writes_a_model_the_engine_uses(trained, annotated):
    assert trained.is_file() and trained.with_suffix(".pt").is_file()
    card = json.loads(trained.with_suffix(".json").read_text())
    assert card["name"] == "mine" and card["base"] is None and len(card["val_images"]) == 2
    model = load_model(trained, use_gpu=False)
    assert model.meta.name == "mine" and model.meta.diameter_px == 20.0
    image, _ = disc_image(shape=(96, 96), centres=grid_centres(4, shape=(96, 96), spacing=28), seed=9)
    assert model.predict(image).shape == image.shape


def test_refuses_to_overwrite_without_force(trained, annotated, capsys):
    code = main(["train", "--images", str(annotated / "images"), "--labels", str(annotated / "labels"),
                 "--out", str(trained), *FAST])
    assert code == 2 and "--force" in capsys.readouterr().err


def test_fine_tunes_from_a_base_model(trained, annotated, tmp_path, capsys):
    out = tmp_path / "tuned.onnx"
    code = main(["train", "--images", str(annotated / "images"), "--labels", str(annotated / "labels"),
                 "--base", str(trained), "--out", str(out), *FAST])
    assert code == 0
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["base"] == str(trained) and card["base_validation_f1"] is not None
    assert "base model" in capsys.readouterr().out


def test_fine_tunes_a_three_class_base(trained, annotated, tmp_path):
    import dataclasses

    from cellcounter_app.training.checkpoint import adapt_output_classes, load_checkpoint, save_checkpoint
    from cellcounter_app.training.export_onnx import export_onnx
    from cellcounter_app.training.networks import build_network

    binary = load_checkpoint(trained.with_suffix(".pt"))
    network = {**binary.network, "n_classes": 3}
    net = build_network(network)
    net.load_state_dict(adapt_output_classes(binary.model, 3))
    base = tmp_path / "three.onnx"
    export_onnx(net.eval(), load_model(trained, use_gpu=False).meta, base)
    save_checkpoint(base.with_suffix(".pt"), dataclasses.replace(binary, network=network, model=net.state_dict()))
    out = tmp_path / "three-tuned.onnx"
    code = main(["train", "--images", str(annotated / "images"), "--labels", str(annotated / "labels"),
                 "--base", str(base), "--out", str(out), *FAST])
    assert code == 0
    tuned = load_model(out, use_gpu=False)
    assert tuned.meta.output == "softmax" and tuned.meta.boundary_channel == 2
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["config"]["n_classes"] == 3 and card["config"]["loss"] == "ce"
    image, _ = disc_image(shape=(96, 96), centres=grid_centres(4, shape=(96, 96), spacing=28), seed=9)
    assert tuned.predict(image).shape == image.shape


def test_fine_tuning_keeps_the_base_models_border_rule_and_seed_spacing(trained, annotated, tmp_path):
    import dataclasses
    import shutil

    from cellcounter_app.training.checkpoint import load_model as load_network
    from cellcounter_app.training.export_onnx import export_onnx

    meta = load_model(trained, use_gpu=False).meta
    base = tmp_path / "ruled.onnx"
    post = {**meta.postprocess, "border_min_fraction": 0.25, "peak_min_distance": 7}
    export_onnx(load_network(trained.with_suffix(".pt")), dataclasses.replace(meta, postprocess=post), base)
    shutil.copy(trained.with_suffix(".pt"), base.with_suffix(".pt"))
    out = tmp_path / "ruled-tuned.onnx"
    assert main(["train", "--images", str(annotated / "images"), "--labels", str(annotated / "labels"),
                 "--base", str(base), "--out", str(out), *FAST]) == 0
    params = load_model(out, use_gpu=False).meta.default_params()
    assert params.border_min_fraction == 0.25 and params.peak_min_distance == 7  # same diameter: same spacing


def test_a_base_trained_on_distance_maps_is_fine_tuned_on_distance_maps(trained, annotated, tmp_path):
    import dataclasses
    import shutil

    from cellcounter_app.training.checkpoint import load_checkpoint, save_checkpoint

    base = tmp_path / "distance.onnx"
    shutil.copy(trained, base)
    checkpoint = load_checkpoint(trained.with_suffix(".pt"))
    save_checkpoint(base.with_suffix(".pt"),
                    dataclasses.replace(checkpoint, config=checkpoint.config.replace(target="distance", loss="bce")))
    out = tmp_path / "distance-tuned.onnx"
    code = main(["train", "--images", str(annotated / "images"), "--labels", str(annotated / "labels"),
                 "--base", str(base), "--out", str(out), *FAST])
    assert code == 0
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["config"]["target"] == "distance" and card["config"]["loss"] == "bce"   # the base's loss
    assert load_checkpoint(out.with_suffix(".pt")).config.target == "distance"


def test_a_base_without_weights_is_a_clear_error(trained, annotated, tmp_path, capsys):
    lonely = tmp_path / "lonely.onnx"
    lonely.write_bytes(trained.read_bytes())
    code = main(["train", "--images", str(annotated / "images"), "--labels", str(annotated / "labels"),
                 "--base", str(lonely), "--out", str(tmp_path / "x.onnx"), *FAST])
    assert code == 2 and "weights file" in capsys.readouterr().err


def test_missing_labels_folder(annotated, tmp_path, capsys):
    code = main(["train", "--images", str(annotated / "images"), "--labels", str(tmp_path / "nope"),
                 "--out", str(tmp_path / "x.onnx"), *FAST])
    assert code == 2 and "no such folder" in capsys.readouterr().err


def test_a_frozen_build_without_torch_points_to_the_training_build(monkeypatch, capsys, tmp_path):
    import builtins
    import sys

    from cellcounter_app.cli import main as cli_main

    real_import = builtins.__import__

    def no_training(name, *args, **kwargs):
        if name.endswith("training.threads"):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_training)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert cli_main(["train", "--project", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "training needs torch" in err and "training build" in err
