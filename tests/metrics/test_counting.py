"""Tests of the counting metrics."""

from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.metrics import counting_metrics


def test_hand_computed_case():
    m = counting_metrics([10, 20, 30], [12, 18, 30])
    assert m["n_images"] == 3
    assert m["mae"] == pytest.approx(4 / 3)
    assert m["median_ae"] == pytest.approx(2.0)
    assert m["mpe"] == pytest.approx(np.mean([-2 / 10, 2 / 20, 0]) * 100)
    assert m["mpe"] == pytest.approx(-10 / 3)
    assert m["r2"] == pytest.approx(1 - 8 / 200)


def test_over_counting_gives_negative_mpe_and_zero_truth_divides_by_one():
    m = counting_metrics([0, 4], [2, 4])
    assert m["mpe"] == pytest.approx(-100.0)


def test_perfect_and_constant_truth():
    assert counting_metrics([3, 5], [3, 5])["r2"] == 1.0
    m = counting_metrics([7, 7, 7], [6, 7, 9])
    assert np.isnan(m["r2"])
    assert m["mae"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("n_true", "n_pred", "message"),
    [
        ([1, 2], [1], "same length"),
        ([], [], "at least one image"),
        ([1, -1], [1, 1], "counts >= 0"),
        ([1, float("nan")], [1, 1], "finite"),
        ([[1, 2]], [[1, 2]], "1-D"),
    ],
)
def test_bad_input_is_refused(n_true, n_pred, message):
    with pytest.raises(ParameterError, match=message):
        counting_metrics(n_true, n_pred)
