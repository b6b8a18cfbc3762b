"""Changing a built model's post-processing defaults keeps its network and records why."""

from __future__ import annotations

import json
import shutil

import numpy as np

from cellcounter_app.inference import OnnxModel
from cellcounter_app.training.recalibrate import main
from cellcounter_app.training.synthetic import generate


def test_a_new_default_is_read_by_the_engine_and_recorded_in_the_card(tmp_path):
    for suffix in (".onnx", ".json", ".md"):
        shutil.copy(f"models/nuclei{suffix}", tmp_path / f"nuclei{suffix}")
    before = OnnxModel(tmp_path / "nuclei.onnx", use_gpu=False)
    image = np.random.default_rng(0).random((64, 64)).astype(np.float32)
    assert main([str(tmp_path / "nuclei.onnx"), "--set", "min_stain=4.5", "--why", "measured"]) == 0
    after = OnnxModel(tmp_path / "nuclei.onnx", use_gpu=False)
    assert after.meta.default_params().min_stain == 4.5
    assert after.meta.default_params().threshold == before.meta.default_params().threshold
    assert np.array_equal(after.predict(image), before.predict(image))
    card = json.loads((tmp_path / "nuclei.json").read_text())
    assert card["postprocess"]["min_stain"] == 4.5
    assert card["calibration"]["changes"][-1]["why"] == "measured"
    assert "`min_stain` = 4.5: measured" in (tmp_path / "nuclei.md").read_text()


def test_unstained_somata_are_drawn_but_not_labelled():
    plain, plain_labels = generate(3, shape=(256, 256), kind="cells", colour="grey")
    image, labels = generate(3, shape=(256, 256), kind="cells", colour="grey", unstained=(0.5, 0.5))
    assert labels.max() < plain_labels.max()
    unlabelled = (plain_labels > 0) & (labels == 0)
    assert unlabelled.any()
    assert image[0][unlabelled].mean() < 0.5 * plain[0][unlabelled].mean()
    assert np.array_equal(np.unique(labels), np.arange(labels.max() + 1))
