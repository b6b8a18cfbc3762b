"""Marker columns on a result, combinations, and re-scoring without the image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.io import LoadedImage
from cellcounter_app.markers import (MarkerSpec, PositivityRule, combinations, marker_planes, rescore,
                                     rescore_batch, score_image, scored_markers)
from cellcounter_app.results import ImageResult

LEVELS = (40.0, 120.0, 300.0, 700.0)  # marker A by cell; B is bright in cells 1 and 3


def _scored(rule_a=PositivityRule("manual", "mean", 200.0), rule_b=PositivityRule("manual", "mean", 200.0)):
    labels = np.zeros((40, 160), np.int32)
    a = np.full((40, 160), 10.0)
    b = np.full((40, 160), 10.0)
    for i, level in enumerate(LEVELS):
        labels[10:20, 10 + 40 * i:20 + 40 * i] = i + 1
        a[labels == i + 1] = level
        b[labels == i + 1] = 500.0 if i in (0, 2) else 20.0
    image = LoadedImage(Path("x.tif"), np.stack([a, a, b], axis=-1), ("DAPI", "A", "B"), None, 16, "CYX",
                        (3, 40, 160), False)
    markers = (MarkerSpec("A", "A", rule_a), MarkerSpec("B", 2, rule_b))
    result = ImageResult(Path("x.tif"), "x.tif", summary={"count": 4}, cells={"cell_id": np.arange(1, 5)})
    score_image(result, labels, marker_planes(image, markers), markers)
    return result


def test_hand_thresholds_give_exact_counts_and_combinations():
    result = _scored()
    assert list(result.cells["A_positive"]) == [False, False, True, True]
    assert list(result.cells["B_positive"]) == [True, False, True, False]
    s = result.summary
    assert (s["A_positive"], s["A_negative"], s["A_percent_positive"], s["A_threshold"]) == (2, 2, 50.0, 200.0)
    assert (s["A+B+"], s["A+B-"], s["A-B+"], s["A-B-"]) == (1, 1, 1, 1)
    assert s["A+B+_percent"] == 25.0 and s["A_flag"] == ""
    assert result.params["A_source"] == "channel A" and result.params["B_rule"] == "mean >= 200"
    assert scored_markers(result.cells) == ["A", "B"]
    assert result.cells["A_mean"].tolist() == list(LEVELS)


def test_three_marker_combinations():
    combos = combinations({"A": np.array([1, 1, 0, 0], bool), "B": np.array([1, 0, 1, 0], bool),
                           "C": np.array([1, 1, 1, 0], bool)})
    assert [k for k in combos if not k.endswith("_percent")] == [
        "A+B+C+", "A+B+C-", "A+B-C+", "A+B-C-", "A-B+C+", "A-B+C-", "A-B-C+", "A-B-C-"]
    assert combos["A+B+C+"] == 1 and combos["A-B-C-"] == 1 and combos["A-B+C+"] == 1
    assert sum(combos[k] for k in combos if not k.endswith("_percent")) == 4


def test_rescore_moves_the_threshold_without_the_image():
    result = _scored()
    positivity = rescore(result, "A", PositivityRule("manual", "mean", 100.0))
    assert positivity.n_positive == 3
    assert list(result.cells["A_positive"]) == [False, True, True, True]
    assert result.summary["A_positive"] == 3 and result.summary["A_threshold"] == 100.0
    assert result.summary["A+B-"] == 2 and result.params["A_rule"] == "mean >= 100"
    with pytest.raises(ParameterError, match="x.tif has no marker 'C'; it has A, B"):
        rescore(result, "C", PositivityRule())


def test_a_batch_threshold_judges_an_image_without_positives_against_the_others(marker_image):
    from cellcounter_app.markers import measure_markers
    results = []
    for seed, fraction in ((0, 0.4), (1, 0.4), (2, 0.0)):
        sample = marker_image(seed, positive_fraction=fraction)
        result = ImageResult(Path(f"{seed}.tif"), f"{seed}.tif", summary={"count": 63})
        measures = measure_markers(sample.labels, sample.image[..., 1])
        result.cells.update({f"M_{k}": v for k, v in measures.items()})
        result.cells["M_positive"] = np.zeros(63, bool)
        results.append((result, sample))
    pooled = rescore_batch([r for r, _ in results], "M", PositivityRule())
    assert pooled.flag == "" and pooled.n_cells == 189
    for result, sample in results:
        ids = np.unique(sample.labels[sample.labels > 0])
        truth = sample.truth(ids)
        assert np.count_nonzero(result.cells["M_positive"] != truth) <= 1
        assert result.summary["M_threshold"] == pooled.threshold
        assert result.params["M_rule"] == "mixture on corrected (batch)"
    assert results[2][0].summary["M_positive"] == 0 and results[2][0].summary["M_flag"] == ""


def test_marker_options_are_checked():
    with pytest.raises(ParameterError, match="marker name must be letters"):
        MarkerSpec("Cy3 bright", 1)
    with pytest.raises(ParameterError, match="marker Cy3 needs a channel"):
        MarkerSpec("Cy3")
    with pytest.raises(ParameterError, match="channel of marker Cy3 must be an index >= 0"):
        MarkerSpec("Cy3", -1)
