"""The Summary says how many images its µm means come from (issue 18, item 13)."""

from __future__ import annotations

from cellcounter_app.export import summary_rows
from cellcounter_app.export.read_back import read_workbook
from cellcounter_app.export.workbook import write_workbook


def test_summary_counts_the_calibrated_images_behind_the_um_means(results):
    header, rows = summary_rows(results)
    assert header[-1] == "n_calibrated"
    table = {row[0]: dict(zip(header, row)) for row in rows}
    assert {name: row["n_calibrated"] for name, row in table.items()} == {".": 0, "day1": 1, "day2": 0, "All": 1}
    everything = table["All"]
    assert (everything["n_counted"], everything["n_calibrated"]) == (3, 1)
    assert everything["mean_density_per_mm2"] == 468.75 and everything["mean_area_um2"] == 25.0


def test_the_workbook_summary_has_the_column(results, tmp_path):
    out = tmp_path / "r.xlsx"
    write_workbook(results, out)
    everything = read_workbook(out)["Summary"][-1]
    assert (everything["group"], everything["n_counted"], everything["n_calibrated"]) == ("All", 3, 1)
