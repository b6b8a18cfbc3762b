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


def test_a_lab_that_counts_only_stained_cells_gets_a_stain_floor_from_its_own_annotations():
    from cellcounter_app.inference import load_model
    from cellcounter_app.training.data import make_sample
    from cellcounter_app.training.finetune import stain_floor

    rows, cols = np.mgrid[:160, :160]
    image = np.full((160, 160), 20.0)
    labels = np.zeros((160, 160), np.int32)
    for i, (r, c) in enumerate([(30, 30), (30, 110), (110, 30), (110, 110), (70, 70)]):
        disc = (rows - r) ** 2 + (cols - c) ** 2 <= 100
        if i < 3:  # stained and annotated
            image[disc] = 200.0
            labels[disc] = i + 1
        else:  # unstained: visible, not annotated
            image[disc] = 32.0
    image += np.random.default_rng(0).normal(0, 2.0, image.shape)
    sample = make_sample(image[None], labels, "lab/a", "lab")
    floor = stain_floor(load_model("nuclei", use_gpu=False), [sample], 20.0)
    assert floor is not None and floor >= 6.0  # the unstained discs stand ~5.7 noise units above the background
    assert stain_floor(load_model("classical"), [], 20.0) is None
