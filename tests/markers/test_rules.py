"""Positivity rules on per-cell values: automatic recovery, hand thresholds, flags."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.markers import PositivityRule, apply_threshold, classify, measure_markers
from cellcounter_app.markers.mixture import fit_mixture, otsu_split
from cellcounter_app.markers.rules import FLAG_ALL_NEGATIVE, FLAG_ALL_POSITIVE, FLAG_OVERLAP

SEEDS = range(6)


def _measured(sample):
    ids = np.unique(sample.labels[sample.labels > 0])
    return measure_markers(sample.labels, sample.image[..., 1]), sample.truth(ids)


@pytest.mark.parametrize("method", ["auto", "otsu"])
@pytest.mark.parametrize("fraction", [0.2, 0.4, 0.7])
def test_automatic_rules_recover_the_positive_cells(marker_image, f1, method, fraction):
    scores = []
    for seed in SEEDS:
        columns, truth = _measured(marker_image(seed, positive_fraction=fraction))
        result = classify(columns, PositivityRule(method))
        assert result.flag == "", (seed, result.flag)
        scores.append(f1(result.positive, truth))
    assert min(scores) >= 0.95, scores


def test_automatic_threshold_lies_between_the_groups_in_the_measures_units(marker_image):
    columns, truth = _measured(marker_image(1))
    result = classify(columns, PositivityRule("mixture", "corrected"))
    corrected = columns["corrected"]
    assert corrected[~truth].max() < result.threshold < corrected[truth].min()
    assert result.separation >= 3
    np.testing.assert_array_equal(apply_threshold(corrected, result.threshold), result.positive)


@pytest.mark.parametrize("fraction, flag, positives", [(0.0, FLAG_ALL_NEGATIVE, 0), (1.0, FLAG_ALL_POSITIVE, 63)])
def test_one_population_is_flagged_and_not_split(marker_image, fraction, flag, positives):
    for seed in SEEDS:
        columns, _ = _measured(marker_image(seed, positive_fraction=fraction))
        for method in ("mixture", "otsu"):
            result = classify(columns, PositivityRule(method))
            assert (result.flag, result.n_positive) == (flag, positives), (seed, method)
            assert math.isnan(result.threshold)


def test_too_few_cells_are_flagged():
    columns = {"corrected": np.array([1.0, 500.0, 2.0]), "background_sd": np.full(3, 10.0)}
    result = classify(columns, PositivityRule())
    assert result.flag == "too few distinct cells (3) for an automatic threshold; all negative"
    assert result.n_positive == 0 and result.n_cells == 3


def test_hand_threshold_counts_exactly():
    columns = {"mean": np.array([100.0, 249.9, 250.0, 400.0, np.nan])}
    result = classify(columns, PositivityRule("manual", "mean", 250.0))
    assert list(result.positive) == [False, False, True, True, False]
    assert (result.n_positive, result.n_negative, result.percent_positive) == (2, 3, 40.0)
    assert result.flag == "" and result.threshold == 250.0


def test_background_rule_compares_each_cell_with_its_own_ring():
    columns = {"ratio": np.array([1.1, 1.9, 2.0, 6.0])}
    result = classify(columns, PositivityRule.parse("background"))
    assert list(result.positive) == [False, False, True, True]
    assert classify(columns, PositivityRule.parse("background:1.5")).n_positive == 3


@pytest.mark.parametrize("text, method, measure, threshold", [
    ("auto", "mixture", "corrected", None),
    ("OTSU", "otsu", "corrected", None),
    ("background", "background", "ratio", 2.0),
    ("background:3", "background", "ratio", 3.0),
    ("1e3", "manual", "corrected", 1000.0),
])
def test_rule_texts(text, method, measure, threshold):
    rule = PositivityRule.parse(text)
    assert (rule.method, rule.measure, rule.threshold) == (method, measure, threshold)


@pytest.mark.parametrize("make, message", [
    (lambda: PositivityRule.parse("bright"), "auto, mixture, otsu, background\\[:K\\] or a number; got 'bright'"),
    (lambda: PositivityRule.parse("background:0.5"), "background factor must be between 1 and 100, got 0.5"),
    (lambda: PositivityRule.parse("background", "mean"), "thresholds the 'ratio' measure, not 'mean'"),
    (lambda: PositivityRule("manual", "area"), "marker measure must be one of corrected, mean"),
    (lambda: PositivityRule("manual", "mean"), "threshold must be any finite number, got None"),
    (lambda: PositivityRule("mixture", min_separation=0.5), "min_separation must be between 1 and 20"),
    (lambda: PositivityRule.parse("nan"), "threshold must be any finite number, got nan"),
])
def test_bad_rules_name_the_value_and_the_range(make, message):
    with pytest.raises(ParameterError, match=message):
        make()


def test_a_missing_measure_is_named():
    with pytest.raises(ParameterError, match="no 'median' values for this marker; have mean"):
        classify({"mean": np.ones(3)}, PositivityRule("manual", "median", 1.0))


def test_mixture_and_otsu_on_plain_values():
    rng = np.random.default_rng(2)
    values = np.concatenate([rng.normal(0, 1, 200), rng.normal(8, 1, 50)])
    mixture = fit_mixture(values)
    assert mixture.means[0] == pytest.approx(0, abs=0.3) and mixture.means[1] == pytest.approx(8, abs=0.3)
    assert mixture.weights[1] == pytest.approx(0.2, abs=0.03)
    assert 3 < mixture.crossing() < 5 and 2 < otsu_split(values) < 6
    assert mixture.bic_gain > 100 and mixture.separation > 6
    with pytest.raises(ParameterError, match="values all equal to 1"):
        fit_mixture(np.ones(10))
    assert math.isnan(otsu_split(np.ones(5)))


def test_overlapping_groups_are_split_and_flagged():
    rng = np.random.default_rng(0)
    logged = np.concatenate([rng.normal(0, 0.5, 120), rng.normal(1.6, 0.5, 80)])  # 3.2 SDs apart
    columns = {"corrected": np.sinh(logged), "background_sd": np.ones(200)}  # asinh scale, cofactor 1
    result = classify(columns, PositivityRule())
    assert result.flag == FLAG_OVERLAP
    assert 70 <= result.n_positive <= 90
