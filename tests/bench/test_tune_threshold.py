"""A network's threshold chosen leave-one-lab-out (bench/tune_threshold.py)."""

from __future__ import annotations

import pytest

from cellcounter_app.inference import load_model
from tests.synthetic_images import disc_image, grid_centres, write_png


@pytest.fixture
def tune(bench_module):
    return bench_module("tune_threshold")


def test_every_threshold_is_scored_on_the_same_counted_images(tmp_path, tune):
    image, truth = disc_image(shape=(200, 200), centres=grid_centres(16, (200, 200), spacing=45), radius=10,
                              value=120, background=20, noise=6.0)
    path = write_png(tmp_path / "discs.png", image)
    table = tune.f1_by_threshold(load_model("nuclei", use_gpu=False, threads=1), [(path, truth)], (0.25, 0.99))
    assert set(table) == {0.25, 0.99}
    assert table[0.25] > 0.9  # sixteen bright discs are found at the shipped threshold
    assert table[0.99] < table[0.25]  # a threshold near 1 keeps only the surest pixels: cells are lost


def test_the_tuning_runs_on_one_image_per_source(shared_data, tmp_path, tune):
    out = tmp_path / "threshold.md"
    assert tune.main(["--data", str(shared_data), "--per-source", "1", "--models", "nuclei",
                      "--thresholds", "0.25", "0.5", "--out", str(out)]) == 0
    text = out.read_text()
    assert "chosen on all nuclei sources" in text and "| tissue-63x-oil |" in text
    assert "| bbbc039 (seen) |" in text  # nuclei 2.1.0 trained on it: not a held-out number
