"""Bundled-model recipes: crowded images weigh more, the split does not move, the start weights exist."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cellcounter_app.training.data import make_sample
from cellcounter_app.training.recipes import RECIPES, repeat_by_cells

ROOT = Path(__file__).resolve().parents[2]


def sample_with(n_cells: int, name: str):
    labels = np.zeros((64, 64), np.int32)
    for i in range(n_cells):
        labels[(i // 8) * 8:(i // 8) * 8 + 4, (i % 8) * 8:(i % 8) * 8 + 4] = i + 1
    return make_sample(np.zeros((1, 64, 64), np.float32), labels, name, "test")


def test_images_with_many_cells_are_drawn_more_often_up_to_the_cap():
    samples = [sample_with(n, f"s{n}") for n in (4, 8, 8, 16, 40)]
    names = [s.name for s in repeat_by_cells(samples, 3)]
    assert names == ["s4", "s8", "s8", "s16", "s16", "s40", "s40", "s40"]
    assert repeat_by_cells(samples, 1) == samples
    assert repeat_by_cells([], 4) == []


def test_recipes_that_start_from_weights_name_a_file_in_the_repository():
    for recipe in RECIPES.values():
        if recipe.init_from:
            assert (ROOT / recipe.init_from).is_file(), recipe.init_from


def test_the_start_weights_of_each_recipe_fit_its_network():
    pytest.importorskip("torch")
    from cellcounter_app.training.checkpoint import adapt_input_channels, adapt_output_classes, load_checkpoint

    for recipe in RECIPES.values():
        if recipe.init_from:
            weights = adapt_input_channels(load_checkpoint(ROOT / recipe.init_from).model, recipe.in_channels)
            head = adapt_output_classes(weights, recipe.n_classes)["head.weight"]
            assert head.shape[0] == recipe.n_classes, recipe.name


def test_prepare_adds_each_synthetic_group_with_its_own_training_and_validation_seeds(monkeypatch, tmp_path):
    from cellcounter_app.training import recipes
    from cellcounter_app.training.recipes import Recipe, prepare

    real = [sample_with(4 + i, f"set/train/img{i}") for i in range(10)]
    read = []
    monkeypatch.setattr(recipes, "load_shared_sets", lambda root, sets, channels: read.append(sets) or list(real))
    recipe = Recipe(
        name="t", version="0", description="", in_channels=3, canonical_diameter=8.0, val_fraction=0.2,
        sets=("set",),
        synthetic=({"n": 2, "n_val": 1, "kind": "cells", "shape": (64, 64), "diameter_px": (10, 14)},
                   {"n": 1, "n_val": 1, "kind": "mixed", "shape": (64, 64), "diameter_px": (10, 14)}),
    )
    data = prepare(recipe, tmp_path)
    train = sorted(s.name for s in data.train if s.name.startswith("synthetic"))
    val = sorted(s.name for s in data.val if s.name.startswith("synthetic"))
    assert train == ["synthetic-cells-1-0000", "synthetic-cells-1-0001", "synthetic-mixed-3-0000"]
    assert val == ["synthetic-cells-2-0000", "synthetic-mixed-4-0000"]
    assert (data.split_record["synthetic_train"], data.split_record["synthetic_val"]) == (3, 2)
    assert len([s for s in data.val if not s.name.startswith("synthetic")]) == 2
    assert all(s.image.shape[0] == 3 for s in data.train + data.val if s.name.startswith("synthetic"))
    assert read == [("set",)]  # the recipe's sets are the ones read


def test_a_recipe_zoom_reaches_its_training_configuration(tmp_path):
    import dataclasses

    from cellcounter_app.training.config import TrainConfig

    recipe = dataclasses.replace(RECIPES["cells"], zoom=(0.6, 1.8), p_zoom=0.8)
    cfg = TrainConfig.from_dict(recipe.train_config(tmp_path))
    assert (cfg.p_zoom, cfg.zoom_min, cfg.zoom_max) == (0.8, 0.6, 1.8)
