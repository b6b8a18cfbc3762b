"""The README's main command on a fresh clone: outputs into folders that do not exist yet."""

from __future__ import annotations

from cellcounter_app.cli import main
from cellcounter_app.export import read_workbook
from synthetic_images import disc_image, grid_centres, write_png


def test_out_into_a_missing_folder_creates_it(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    write_png(images / "a.png", disc_image((128, 160), grid_centres(9, (128, 160)))[0])
    out = tmp_path / "not" / "yet" / "counts.xlsx"
    assert main(["count", str(images), "--out", str(out), "--overlays", str(tmp_path / "not" / "ov"),
                 "--model", "classical", "-q"]) == 0
    rows = read_workbook(out)["Images"]
    assert [row["count"] for row in rows] == [9]
