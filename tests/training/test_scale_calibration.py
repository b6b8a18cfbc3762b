"""Cell-size calibration: the factor with the best validation F1, the count error breaking ties."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from synthetic_images import disc_image, grid_centres

from cellcounter_app.errors import ParameterError
from cellcounter_app.inference import load_model
from cellcounter_app.training import scale_calibration
from cellcounter_app.training.scale_calibration import array_image, calibrate_scale


def truth_and_image(seed: int = 0):
    image, labels = disc_image((128, 160), grid_centres(12), radius=8, value=200, background=10, noise=5,
                               seed=seed)
    return array_image(image, f"discs{seed}.png"), labels


def fake_counter(monkeypatch, spec: dict[float, list[tuple[int, int]]]):
    """count_image stand-in: at factor f, image i comes out with ``spec[f][i]`` = (true cells found, extra objects)."""
    def count_image(image, model, size):
        found, extra = spec[round(size.value / image.diameter, 3)][image.index]
        truth = image.truth
        labels = np.where(np.isin(truth, np.unique(truth)[1:found + 1]), truth, 0)
        for k in range(extra):
            labels[2 + 3 * k: 4 + 3 * k, 0:2] = 1000 + k
        return SimpleNamespace(labels=labels)

    monkeypatch.setattr(scale_calibration, "count_image", count_image)


def pairs_for_fake(n=2):
    """Two images of 12 cells each."""
    pairs = []
    for index in range(n):
        _, truth = truth_and_image(index)
        pairs.append((SimpleNamespace(truth=truth, diameter=scale_calibration.median_diameter([truth]),
                                      index=index), truth))
    return pairs


def test_the_factor_with_the_best_f1_is_chosen_and_declared_as_a_diameter(monkeypatch):
    fake_counter(monkeypatch, {0.8: [(12, 0), (12, 0)], 1.0: [(9, 0), (9, 0)], 1.2: [(6, 0), (6, 0)]})
    cal = calibrate_scale(None, pairs_for_fake(), factors=(0.8, 1.0, 1.2))
    assert cal.factor == 0.8 and cal.f1 == 1.0 and cal.mpe == 0.0
    assert [row["factor"] for row in cal.table] == [0.8, 1.0, 1.2]
    assert cal.table[1]["recall"] == pytest.approx(0.75)
    assert cal.diameter_px(20.0) == 25.0


def test_within_the_f1_tie_the_smaller_count_error_wins(monkeypatch):
    # 0.9: every cell plus one extra object per image: F1 48/50 = 0.960, MPE -8.3 %
    # 1.0: one cell missed in image 0, one extra in image 1: F1 46/48 = 0.958, MPE 0 %
    fake_counter(monkeypatch, {0.9: [(12, 1), (12, 1)], 1.0: [(11, 0), (12, 1)]})
    assert calibrate_scale(None, pairs_for_fake(), factors=(0.9, 1.0)).factor == 1.0
    monkeypatch.setattr(scale_calibration, "F1_TIE", 0.001)  # no longer a tie: the better F1 wins
    assert calibrate_scale(None, pairs_for_fake(), factors=(0.9, 1.0)).factor == 0.9


def test_real_engine_on_discs_and_refusals():
    model = load_model("classical")
    cal = calibrate_scale(model, [truth_and_image(s) for s in range(2)], factors=(0.8, 1.0, 1.25))
    assert cal.factor in (0.8, 1.0, 1.25) and cal.f1 >= 0.95
    with pytest.raises(ParameterError, match="size factors must lie in"):
        calibrate_scale(model, [truth_and_image()], factors=(0.1,))
    empty = (array_image(np.zeros((32, 32), np.uint8), "empty.png"), np.zeros((32, 32), np.int32))
    with pytest.raises(ParameterError, match="with annotated cells, got none"):
        calibrate_scale(model, [empty])
