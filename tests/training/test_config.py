"""TrainConfig and LossOptions: bounds, defaults, round trip through a dict."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("torch")  # like all of tests/training: runs with the train extra

from cellcounter_app.errors import ParameterError  # noqa: E402
from cellcounter_app.postprocess import PostprocessParams  # noqa: E402
from cellcounter_app.training.config import (  # noqa: E402
    DEFAULT_LOSS, LOSS_TERMS, TRAIN_SPECS, LossOptions, TrainConfig,
)


def test_defaults():
    cfg = TrainConfig(output_dir="runs/x")
    assert cfg.loss == DEFAULT_LOSS and cfg.network == "c-resunet" and cfg.crop_size == 256
    assert cfg.network_config() == {"in_channels": 1, "n_classes": 1, "base": 16, "depth": 4,
                                    "colour_channels": 1, "small": False}
    assert TrainConfig(output_dir="x", network="c-resunet-small").network_config()["small"] is True


def test_round_trip_through_json():
    cfg = TrainConfig(output_dir="runs/x", n_classes=3, loss_options=LossOptions(class_weights=(1, 2, 8)),
                      val_params=PostprocessParams(threshold=0.7, min_size=30), schedule="onecycle")
    again = TrainConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg


@pytest.mark.parametrize("changes, message", [
    ({"learning_rate": 2.0}, "learning_rate must be between 1e-06 and 1, got 2.0"),
    ({"batch_size": 0}, "batch_size must be between 1 and 512, got 0"),
    ({"crop_size": 200}, "crop_size must be a multiple of 16, got 200"),
    ({"schedule": "cosine"}, "schedule must be one of plateau, onecycle, constant, got 'cosine'"),
    ({"n_classes": 2}, "must be 1 or 3"),
    ({"n_classes": 3, "loss": "dice"}, "n_classes=3 needs a 3-class loss"),
    ({"loss": "ce"}, "n_classes=1 needs a binary loss"),
    ({"output_dir": ""}, "output_dir must name the folder"),
    ({"target": "edges"}, "target must be one of mask, distance, got 'edges'"),
    ({"target": "distance", "n_classes": 3}, "the distance target needs n_classes=1, got 3"),
])
def test_bad_values_are_refused_with_the_range(changes, message):
    values = {"output_dir": "runs/x", **changes}
    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        TrainConfig(**values)


def test_loss_options_are_checked():
    with pytest.raises(ParameterError, match="tversky_alpha must be between 0 and 1, got 1.5"):
        LossOptions(tversky_alpha=1.5)
    with pytest.raises(ParameterError, match="class_weights"):
        LossOptions(class_weights=(0, 0, 0))
    with pytest.raises(ParameterError, match="class_weights needs 3 values, got 2"):
        TrainConfig(output_dir="x", n_classes=3, loss_options=LossOptions(class_weights=(1, 2)))


def test_unknown_names_are_refused():
    with pytest.raises(ParameterError, match="unknown training setting"):
        TrainConfig.from_dict({"output_dir": "x", "lr": 0.1})
    with pytest.raises(ParameterError, match="unknown training setting"):
        TrainConfig(output_dir="x").replace(lr=0.1)


def test_every_spec_default_is_the_field_default():
    cfg = TrainConfig(output_dir="x")
    assert all(getattr(cfg, spec.name) == spec.default for spec in TRAIN_SPECS)


def test_seed_presets_are_declared():
    assert LOSS_TERMS["bce_dice_ft"] == (("bce", 0.3), ("dice", 0.3), ("focal_tversky", 0.4))
    assert LOSS_TERMS["bce_dice_focal_cellvit"] == (("bce", 0.5), ("dice", 0.3), ("focal", 0.5))


def test_config_and_package_import_without_torch():
    code = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] == 'torch': raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import cellcounter_app.training, cellcounter_app.training.config, cellcounter_app.training.calibrate\n"
        "print(cellcounter_app.training.TrainConfig(output_dir='x').loss)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == DEFAULT_LOSS
