"""The real-data benchmark on a two-image subset: held-out rows, seen rows, negative controls (blank, flat and
camera-noise fields have no cell; an out-of-focus haze is reported, and flagged for checking elsewhere)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def benchmark_main(bench_module):
    return bench_module("benchmark").main


def test_two_images_give_held_out_and_seen_rows_and_phantom_free_controls(shared_data, tmp_path, benchmark_main):
    out, rows = tmp_path / "bench.md", tmp_path / "bench.json"
    assert benchmark_main(["--data", str(shared_data), "--sources", "dsb2018,stardist-sample", "--per-source", "1",
                           "--models", "nuclei,classical", "--modes", "default,truth", "--threads", "1",
                           "--out", str(out), "--json", str(rows)]) == 0
    record = json.loads(rows.read_text())
    seen = {(r["source"], r["model"]): r["seen"] for r in record["rows"]}
    assert seen[("dsb2018", "nuclei")] and not seen[("stardist-sample", "nuclei")]
    assert not seen[("dsb2018", "classical")]
    assert all(0.0 <= r["f1"] <= 1.0 and r["n_images"] == 1 for r in record["rows"])
    for model in record["controls"].values():
        assert all(n == 0 for name, control in model.items() if name != "out of focus" for n in control.values())
    text = out.read_text()
    assert "| dsb2018 | 1 | nuclei (seen) | default |" in text
    assert "Held-out means" in text and "Negative controls" in text
