"""The rescaling rule of ``auto``: each image takes the count its rule picks (bench/tune_auto_scale.py)."""

from __future__ import annotations

import math

import pytest

from cellcounter_app.metrics.matching import MatchResult


@pytest.fixture
def tune(bench_module):
    return bench_module("tune_auto_scale")


def test_a_rule_picks_the_rescaled_count_only_for_sure_estimates_far_from_the_model(tune):
    good, bad = MatchResult.from_counts(n_true=10, n_pred=10, tp=10), MatchResult.from_counts(n_true=10, n_pred=10, tp=0)
    rows = [(40.0, 0.9, bad, good, good),   # sure, 2x off: rescaled by 1.5x rules, not by 2.0x ones
            (22.0, 0.9, good, bad, good),   # 1.1x off: only "always" rescales it
            (60.0, 0.2, good, bad, good),   # unsure: rescaled only without a confidence floor
            (math.nan, 0.0, good, bad, good)]  # nothing found: never rescaled
    assert tune.rule_f1(rows, 20.0, (1.5, 0.5)) == 1.0
    assert tune.rule_f1(rows, 20.0, (2.0, 0.5)) == 0.75
    assert tune.rule_f1(rows, 20.0, (1.0, 0.0)) == 0.5
    assert tune.RULES[tune.SHIPPED] == (1.5, 0.5)


def test_the_tuning_runs_on_one_image_per_source(shared_data, tmp_path, tune):
    out = tmp_path / "auto.md"
    assert tune.main(["--data", str(shared_data), "--per-source", "1", "--models", "classical",
                      "--out", str(out)]) == 0
    text = out.read_text()
    assert "### classical, nuclei: rule chosen on all sources" in text and "| tissue-63x-oil |" in text
