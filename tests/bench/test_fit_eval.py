"""What "Fit to my annotations" gives a lab (bench/fit_eval.py): fitted on two of its images, scored on others."""

from __future__ import annotations

import numpy as np
import pytest

from tests.synthetic_images import big_textured_somata


@pytest.fixture
def fit_eval(bench_module):
    return bench_module("fit_eval")


def test_a_lab_whose_cells_are_far_from_the_models_size_is_counted_right_after_the_fit(tmp_path, fit_eval):
    # a lab's source laid out as ../shared/data lays out the 20x tissue sections: images/ and labels/
    folder = tmp_path / "data" / "nuclei-tissue-bitdepth" / "20x"
    for k in range(3):
        big_textured_somata(folder / "images" / f"slice{k}.tif", folder / "labels" / f"slice{k}.tif")
    out = tmp_path / "fit.md"
    assert fit_eval.main(["--data", str(tmp_path / "data"), "--models", "classical", "--sources", "tissue-20x",
                          "--annotate", "2", "--test", "1", "--out", str(out)]) == 0
    row = next(line for line in out.read_text().splitlines() if line.startswith("| tissue-20x |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    default, truth, fitted = float(cells[4]), float(cells[5]), float(cells[7].split()[0].strip("*"))
    assert cells[2:4] == ["2", "1"]  # two annotated images, the third one scored
    assert cells[6].startswith(("67", "68", "69")) and default < 0.6  # the fit found the somata's diameter
    assert fitted == pytest.approx(truth) and fitted == 1.0


def test_the_evaluation_runs_on_a_two_image_subset_of_the_real_sets(shared_data, tmp_path, fit_eval):
    out = tmp_path / "fit.md"
    assert fit_eval.main(["--data", str(shared_data), "--models", "classical", "--sources", "fnc", "tissue-63x-oil",
                          "--annotate", "1", "--test", "1", "--out", str(out)]) == 0
    text = out.read_text()
    assert "| fnc | classical | 1 | 1 |" in text and "| tissue-63x-oil | classical | 1 | 1 |" in text
    assert "- classical:" in text and np.isfinite(float(text.split("- classical: ")[1].split(" / ")[0]))
