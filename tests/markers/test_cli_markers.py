"""``cellcounter count`` with markers: the options, the workbook columns and the messages."""

from __future__ import annotations

import numpy as np
import pytest

from cellcounter_app.cli import main
from cellcounter_app.export import read_workbook
from cellcounter_app.markers.measures import MEASURE_COLUMNS
from synthetic_images import write_tiff


@pytest.fixture
def folder(tmp_path, marker_image):
    """img0 (40 % positive), none.tif (no positive cell), all.tif (every cell positive)."""
    root = tmp_path / "images"
    samples = {"img0.tif": marker_image(0), "none.tif": marker_image(1, positive_fraction=0.0),
               "all.tif": marker_image(2, positive_fraction=1.0)}
    for name, sample in samples.items():
        write_tiff(root / name, np.moveaxis(sample.image, -1, 0), metadata={"axes": "CYX"})
    return root, samples


def test_marker_columns_are_written_and_read_back(folder, tmp_path, f1, capsys):
    root, samples = folder
    out = tmp_path / "x.xlsx"
    code = main(["count", str(root), "--detect-channel", "0", "--marker", "Cy3=1", "--positive", "auto",
                 "--out", str(out), "-q"])
    assert code == 0
    book = read_workbook(out)
    images = {row["image"]: row for row in book["Images"]}
    img0 = images["img0.tif"]
    cells = [row for row in book["Cells"] if row["image"] == "img0.tif"]
    positive = np.array([row["Cy3_positive"] for row in cells], dtype=bool)
    sample = samples["img0.tif"]
    truth = sample.truth(np.array([sample.labels[round(row["y"]), round(row["x"])] for row in cells]))
    assert f1(positive, truth) >= 0.95
    assert img0["Cy3_positive"] == positive.sum() and img0["Cy3_negative"] == (~positive).sum()
    assert img0["Cy3_percent_positive"] == pytest.approx(100 * positive.mean())
    assert img0["Cy3_flag"] is None and img0["Cy3_threshold"] > 0
    assert img0["Cy3_rule"] == "mixture on corrected" and img0["Cy3_source"] == "channel 1"
    above = [row["Cy3_corrected"] >= img0["Cy3_threshold"] for row in cells]
    assert above == positive.tolist()
    assert all(f"Cy3_{key}" in cells[0] for key in MEASURE_COLUMNS)
    assert (images["none.tif"]["Cy3_positive"], images["none.tif"]["Cy3_flag"]) == (
        0, "one population: all negative")
    assert images["none.tif"]["Cy3_threshold"] is None
    assert (images["all.tif"]["Cy3_positive"], images["all.tif"]["Cy3_flag"]) == (
        63, "one population: all positive")
    out_text = capsys.readouterr().out
    assert "Cy3+" in out_text and "none.tif" in out_text and "Cy3: one population: all negative" in out_text


def test_two_markers_with_their_own_rules_and_combinations(folder, tmp_path):
    root, _ = folder
    out = tmp_path / "x.xlsx"
    assert main(["count", str(root), "--model", "classical", "--detect-channel", "0", "--marker", "Cy3=1",
                 "--marker", "Nuc=0", "--positive", "Cy3=otsu", "--positive", "Nuc=1", "--marker-measure",
                 "Nuc=mean", "--out", str(out), "-q"]) == 0
    row = {r["image"]: r for r in read_workbook(out)["Images"]}["img0.tif"]
    assert row["Nuc_positive"] == row["count"] and row["Nuc_rule"] == "mean >= 1"
    assert row["Cy3_rule"] == "otsu on corrected"
    assert row["Cy3+Nuc+"] == row["Cy3_positive"] and row["Cy3-Nuc-"] == 0
    assert row["Cy3+Nuc+_percent"] == pytest.approx(row["Cy3_percent_positive"])


def test_pair_option_counts_sibling_files(tmp_path, marker_image, capsys):
    sample = marker_image(0)
    write_tiff(tmp_path / "a_DAPI_1.tif", sample.image[..., 0])
    write_tiff(tmp_path / "a_Cy3_1.tif", sample.image[..., 1])
    write_tiff(tmp_path / "b_Cy3_1.tif", sample.image[..., 1])
    out = tmp_path / "x.xlsx"
    assert main(["count", str(tmp_path), "--model", "classical", "--pair", "DAPI=Cy3", "--out", str(out),
                 "-q"]) == 0
    rows = read_workbook(out)["Images"]
    assert [(r["image"], r["Cy3_positive"]) for r in rows] == [("a_DAPI_1.tif", len(sample.positive_ids))]
    assert "skipped" in (err := capsys.readouterr().err) and "b_Cy3_1.tif" in err
    assert "a Cy3 file without its DAPI file 'b_DAPI_1.tif'" in err


@pytest.mark.parametrize("args, message", [
    (["--marker", "Cy3=1"], "need the channel to find cells in"),
    (["--detect-channel", "0", "--marker", "Cy3"], "--marker needs NAME=CHANNEL"),
    (["--detect-channel", "0", "--marker", "Cy3=1", "--positive", "GFP=otsu"], "names marker 'GFP'"),
    (["--detect-channel", "0", "--marker", "Cy3=1", "--positive", "high"], "got 'high'"),
    (["--detect-channel", "0", "--positive", "auto"], "need a marker"),
    (["--detect-channel", "0", "--marker", "Cy3=1", "--marker-measure", "area"], "one of corrected, mean"),
])
def test_bad_marker_options_exit_2_with_a_message(folder, args, message, capsys):
    root, _ = folder
    assert main(["count", str(root), "--model", "classical", "-q", *args]) == 2
    assert message in capsys.readouterr().err


def test_a_bad_pair_pattern_is_a_usage_error(folder, capsys):
    root, _ = folder
    with pytest.raises(SystemExit) as stop:
        main(["count", str(root), "--pair", "DAPI"])
    assert stop.value.code == 2
    assert "pair pattern must be DETECT=MARKER" in capsys.readouterr().err
