"""Bundled-model recipes: crowded images weigh more, the split does not move, the start weights exist."""

from __future__ import annotations

from pathlib import Path

import numpy as np

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
