"""Model cards: the Markdown page says how the model was made and how accurate it is."""

from __future__ import annotations

import json

from cellcounter_app.training.model_card import markdown, write_card


def card(**changes):
    value = {
        "name": "nuclei", "version": "1.1.0", "description": "Fluorescent nuclei.", "canonical_diameter_px": 20.0,
        "recipe": {"network": "c-resunet-small", "in_channels": 1, "loss": "focal_tversky", "crop_size": 192,
                   "batch_size": 8},
        "training": {"steps": 100, "minutes": 2.0, "stop": "time budget", "hardware": "x86_64, 1 threads, CPU",
                     "total_minutes": 3.0},
        "split": {"seed": 0, "val_fraction": 0.1, "by_source": {"nuclei-dsb2018": {"train": 9, "val": 1}},
                  "held_out": ["nuclei-mnfinder/val/a"]},
        "command": "python -m cellcounter_app.training.build_model nuclei --data D --out models",
        "calibration": {"threshold_best_f1": 0.6, "threshold_knee": 0.55, "min_size": 40, "f1": 0.93,
                        "precision": 0.95, "recall": 0.91},
        "evaluation": {"held out: nuclei-mnfinder/val": {
            "model @ diameter truth": {"f1": 0.951, "mpe": -2.5, "n_images": 3},
            "classical @ diameter truth": {"f1": 0.874, "mpe": 11.0, "n_images": 3}}},
        "seconds_per_1200x1600_image": 1.25, "licence": "CC0 and MIT.",
    }
    value.update(changes)
    return value


def test_card_reports_accuracy_against_classical_and_the_recipe(tmp_path):
    text = markdown(card())
    assert "# Model card: `nuclei` 1.1.0" in text
    assert "| model @ diameter truth | 0.951 |" in text and "| classical @ diameter truth | 0.874 |" in text
    assert "nuclei-dsb2018: 9 train / 1 val" in text and "build_model nuclei" in text
    assert "1.25 s per 1200×1600 image" in text and "Started from" not in text
    json_path, md_path = write_card(card(), tmp_path)
    assert json.loads(json_path.read_text())["version"] == "1.1.0" and md_path.read_text() == text


def test_card_names_the_weights_a_continued_training_started_from():
    text = markdown(card(initial_weights={"file": "nuclei.pt", "sha256": "ab" * 32}))
    assert "Started from the weights `nuclei.pt` (sha256 `abababababababab…`), trained with the same seed" in text


def test_card_shows_the_calibrated_cell_size():
    value = card()
    value["calibration"] = {**value["calibration"], "size": {"factor": 0.8, "diameter_px": 25.0, "table": [
        {"factor": 0.8, "f1": 0.93, "mpe": -1.0}, {"factor": 1.0, "f1": 0.92, "mpe": 3.5}]}}
    text = markdown(value)
    assert "resizes each image so its cells are 25 px across (calibrated, see below)" in text
    assert "trained at 20 px, the model declares 25 px (size factor 0.8" in text
    assert "0.8: 0.930 (-1.0 %), 1: 0.920 (+3.5 %)" in text
    assert "cells are 20 px across." in markdown(card())


def test_card_says_a_three_class_network_finds_interiors_and_how_much_they_grow():
    value = card(postprocess={"threshold": 0.5, "grow": 1})
    value["recipe"] = {**value["recipe"], "n_classes": 3, "loss": "ce_dice"}
    text = markdown(value)
    assert "1 input channel(s), 3 classes (background / cell interior / boundary), loss `ce_dice`" in text
    assert "The cells found are grown by 1 px" in text
    plain = markdown(card())
    assert "3 classes" not in plain and "grown by" not in plain


def test_card_gives_the_calibrated_seed_distance_and_border_rule():
    text = markdown(card(postprocess={"threshold": 0.7, "min_size": 47, "split_touching": True,
                                      "peak_min_distance": 14, "border_min_fraction": 0.1}))
    assert "Touching cells are split with seeds at least 14 px apart." in text
    assert "Cells cut by the image border are kept down to 0.1 × the minimum size (5 px²)." in text
    plain = markdown(card(postprocess={"split_touching": False, "border_min_fraction": 1.0}))
    assert "seeds at least" not in plain and "cut by the image border" not in plain


def test_card_states_the_zoom_the_network_was_trained_with():
    value = card()
    value["recipe"] = {**value["recipe"], "zoom": [0.5, 2.0], "p_zoom": 0.7}
    assert "batch 8, 70 % of the crops zoomed 0.5–2× (cells of that many times the working size)." in markdown(value)
    assert "batch 8." in markdown(card())


def test_card_explains_the_model_size_rows():
    assert "assumed to be the model's own working size (`model`, the default of the CLI and the window" in markdown(card())


def test_card_lists_the_stages_that_made_the_starting_weights():
    value = card(initial_weights={"file": "stage.pt", "sha256": "cd" * 32})
    value["recipe"] = {**value["recipe"], "history": ["1.0.0: from scratch.", "3-class: 75 min."]}
    text = markdown(value)
    assert "- Earlier stage 1.0.0: from scratch.\n- Earlier stage 3-class: 75 min.\n- Started from" in text
