"""Threshold and minimum-size calibration on synthetic probability maps."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")  # like all of tests/training: runs with the train extra

from cellcounter_app.errors import ParameterError  # noqa: E402
from cellcounter_app.postprocess import PostprocessParams  # noqa: E402
from cellcounter_app.training.calibrate import Calibration, calibrate  # noqa: E402

THRESHOLDS = [0.2, 0.3, 0.5, 0.7, 0.9]
BASE = PostprocessParams(min_size=0, max_hole_size=0, peak_min_distance=8)


def case(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Cells at 0.8, faint false blobs at 0.4, bright 2x2 specks at 0.95."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[:96, :96]
    truth = np.zeros((96, 96), np.int32)
    prob = np.full((96, 96), 0.05)
    for i, (r, c) in enumerate([(20, 20), (20, 70), (70, 45)], start=1):
        truth[(rows - r) ** 2 + (cols - c) ** 2 <= 64] = i
    prob[truth > 0] = 0.8
    prob[(rows - 70) ** 2 + (cols - 80) ** 2 <= 49] = 0.4
    for r, c in rng.integers(40, 56, size=(3, 2)):
        prob[r:r + 2, c:c + 2] = 0.95
    return prob, truth


def test_best_threshold_and_min_size_remove_the_false_objects():
    probs, truths = zip(*(case(s) for s in range(2)))
    cal = calibrate(probs, truths, BASE, max_distance=10, thresholds=THRESHOLDS)
    assert isinstance(cal, Calibration)
    assert cal.f1 == 1.0 and cal.precision == 1.0 and cal.recall == 1.0
    assert 0.4 < cal.threshold_best_f1 <= 0.8
    assert 4 < cal.min_size < 200  # above a speck, below a cell (area ~197)
    assert cal.params.threshold == cal.threshold_best_f1 and cal.params.min_size == cal.min_size
    assert cal.params.peak_min_distance == 8


def test_without_size_filter_specks_cost_precision():
    probs, truths = zip(*(case(s) for s in range(2)))
    cal = calibrate(probs, truths, BASE, max_distance=10, thresholds=THRESHOLDS, min_size_fractions=[0.0])
    assert cal.min_size == 0
    assert cal.precision == pytest.approx(6 / 12)
    assert cal.recall == 1.0


def test_table_has_one_row_per_size_and_threshold():
    probs, truths = zip(*(case(s) for s in range(2)))
    cal = calibrate(probs, truths, BASE, max_distance=10, thresholds=THRESHOLDS, min_size_fractions=[0.0, 0.5])
    assert len(cal.table) == 2 * len(THRESHOLDS)
    assert set(cal.sweeps) == {(row["min_size"], 8, 1.0) for row in cal.table}
    assert set(cal.table[0]) == {"min_size", "peak_min_distance", "border_min_fraction", "threshold", "precision",
                                 "recall", "f1", "count"}
    assert cal.threshold_knee in THRESHOLDS


def test_seed_distances_and_border_fractions_are_tried_in_every_combination():
    probs, truths = zip(*(case(s) for s in range(2)))
    cal = calibrate(probs, truths, BASE, max_distance=10, thresholds=THRESHOLDS, min_size_fractions=[0.5],
                    peak_min_distances=[4, 8, 12], border_min_fractions=[1.0, 0.5])
    assert len(cal.table) == 3 * 2 * len(THRESHOLDS) and len(cal.sweeps) == 6
    # nothing touches the border and the cells are apart: every combination ties, the base's values win
    assert cal.f1 == 1.0
    assert cal.params.peak_min_distance == 8 and cal.params.border_min_fraction == 1.0
    with pytest.raises(ParameterError, match="border_min_fraction must be between 0 and 1"):
        calibrate(probs, truths, BASE, max_distance=10, border_min_fractions=[2.0])


def test_nuclei_cut_by_the_border_are_kept_when_the_border_fraction_is_calibrated():
    probs, truths = [], []
    rows, cols = np.mgrid[:96, :96]
    for seed in range(2):
        prob, truth = case(seed)
        cut = (rows - 48) ** 2 + (cols + 3) ** 2 <= 64  # a cell of ~200 px², 32 px² of it in the image
        truth[cut], prob[cut] = 9, 0.8
        probs.append(prob), truths.append(truth)
    same_rule = calibrate(probs, truths, BASE, max_distance=10, thresholds=THRESHOLDS, min_size_fractions=[0.5])
    assert same_rule.recall == pytest.approx(6 / 8)  # the size filter that removes the specks removes the cut cells
    cal = calibrate(probs, truths, BASE, max_distance=10, thresholds=THRESHOLDS, min_size_fractions=[0.5],
                    border_min_fractions=[1.0, 0.25])
    assert cal.f1 == 1.0 and cal.params.border_min_fraction == 0.25 and cal.min_size > 4


def test_max_size_is_kept_at_least_the_min_size():
    probs, truths = zip(*(case(s) for s in range(1)))
    base = BASE.replace(max_size=10)
    cal = calibrate(probs, truths, base, max_distance=10, thresholds=THRESHOLDS, min_size_fractions=[0.5])
    assert cal.params.max_size >= cal.params.min_size


def test_bad_fractions_are_refused():
    prob, truth = case(0)
    with pytest.raises(ParameterError, match="between 0 and 1, got"):
        calibrate([prob], [truth], BASE, max_distance=10, min_size_fractions=[1.5])


def test_thresholds_outside_the_parameter_range_are_refused():
    prob, truth = case(0)
    with pytest.raises(ParameterError, match="between 0.01 and 0.99, got values from 0 to 0.5"):
        calibrate([prob], [truth], BASE, max_distance=10, thresholds=[0.0, 0.5])


def test_grow_is_chosen_so_the_cores_found_get_the_cells_median_area():
    from cellcounter_app.training.calibrate import calibrate_grow

    yy, xx = np.mgrid[:64, :96]
    truth = np.zeros((64, 96), np.int32)
    core = np.zeros((64, 96))
    for index, (r, c) in enumerate([(20, 20), (20, 50), (44, 30), (44, 70)], start=1):
        truth[(yy - r) ** 2 + (xx - c) ** 2 <= 81] = index
        core[(yy - r) ** 2 + (xx - c) ** 2 <= 25] = 0.9
    grow, table = calibrate_grow([core], [truth], PostprocessParams(min_size=0, split_touching=False))
    assert grow == 4
    assert [row["grow"] for row in table][:5] == [0, 1, 2, 3, 4]
    assert table[0]["area_ratio"] < 0.4 and abs(table[grow]["area_ratio"] - 1.0) < 0.1


def test_networks_that_find_cores_get_their_growth_and_a_minimum_size_for_whole_cells():
    from cellcounter_app.training.calibrate import calibrate_network

    yy, xx = np.mgrid[:64, :96]
    truth = np.zeros((64, 96), np.int32)
    core = np.full((64, 96), 0.05)
    cells = [((16, 16), 10), ((16, 50), 10), ((44, 24), 10), ((44, 60), 6)]  # the last one is small
    for index, ((r, c), radius) in enumerate(cells, start=1):
        truth[(yy - r) ** 2 + (xx - c) ** 2 <= radius**2] = index
        core[(yy - r) ** 2 + (xx - c) ** 2 <= (radius - 3) ** 2] = 0.9
    core[30:32, 84:86] = 0.9  # a speck
    grid = {"thresholds": [0.5], "min_size_fractions": (0.3,)}
    base = PostprocessParams(split_touching=False, max_hole_size=0)
    cal = calibrate_network([core], [truth], base, 3, max_distance=8, **grid)
    assert cal.params.grow == 3 and cal.f1 == 1.0  # the small cell's core (16 px²) is kept, the speck is not
    binary = calibrate_network([core], [truth], base, 1, max_distance=8, **grid)
    assert binary.params.grow == 0 and binary.recall == 0.75
    assert calibrate_network([core], [truth], base, 1, "distance", max_distance=8, **grid).params.grow == 3
