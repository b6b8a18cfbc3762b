"""The command line contract: exit codes, outputs, refusal to overwrite, clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tifffile

from cellcounter_app.cli import main
from cellcounter_app.export import read_workbook
from synthetic_images import disc_image, grid_centres, make_folder, write_png


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "images"
    expected = make_folder(root)
    (root / "broken.tif").write_bytes(b"II*\x00garbage")
    (root / "readme.txt").write_text("hello")
    return root, expected


def test_count_writes_the_workbook(folder, tmp_path, capsys):
    root, expected = folder
    out = tmp_path / "results.xlsx"
    assert main(["count", str(root), "--out", str(out), "--model", "classical", "-q"]) == 0
    book = read_workbook(out)
    images = {row["image"]: row for row in book["Images"]}
    assert set(images) == set(expected) | {"broken.tif"}
    assert {k: images[k]["count"] for k in expected} == expected
    assert images["broken.tif"]["status"] == "error" and images["broken.tif"]["error"]
    assert len(book["Cells"]) == sum(expected.values())
    assert {row["image"] for row in book["Cells"]} == set(expected)
    err = capsys.readouterr().err
    assert "readme.txt" in err and "skipped" in err


def test_count_refuses_to_overwrite_without_force(folder, tmp_path, capsys):
    root, _ = folder
    out = tmp_path / "results.xlsx"
    out.write_bytes(b"precious")
    assert main(["count", str(root), "--out", str(out), "--model", "classical", "-q"]) == 2
    assert "--force" in capsys.readouterr().err
    assert out.read_bytes() == b"precious"
    assert main(["count", str(root), "--out", str(out), "--model", "classical", "-q", "--force"]) == 0
    assert "Images" in read_workbook(out)


def test_exit_1_when_nothing_was_counted(tmp_path):
    (tmp_path / "a.tif").write_bytes(b"")
    (tmp_path / "b.png").write_text("text with an image extension")
    out = tmp_path / "r.xlsx"
    assert main(["count", str(tmp_path), "--out", str(out), "--model", "classical", "-q"]) == 1
    rows = read_workbook(out)["Images"]
    assert [r["status"] for r in rows] == ["error", "error"]


def test_invalid_parameter_is_a_usage_error(folder, tmp_path, capsys):
    root, _ = folder
    code = main(["count", str(root), "--threshold", "1.5", "--model", "classical", "-q"])
    assert code == 2
    assert "threshold must be between 0.01 and 0.99" in capsys.readouterr().err


def test_unknown_model_lists_the_available_ones(folder, capsys):
    root, _ = folder
    assert main(["count", str(root), "--model", "no-such-model", "-q"]) == 2
    assert "classical" in capsys.readouterr().err


def test_parameters_are_recorded(folder, tmp_path):
    root, _ = folder
    out = tmp_path / "r.xlsx"
    main(["count", str(root), "--out", str(out), "--model", "classical", "--min-size", "40",
          "--no-split-touching", "-q"])
    row = next(r for r in read_workbook(out)["Images"] if r["status"] == "ok")
    assert row["min_size"] == 40 and row["split_touching"] in (False, "False", 0)
    assert row["model"] == "classical"


def test_csv_labels_and_overlays(folder, tmp_path):
    root, expected = folder
    main(["count", str(root), "--model", "classical", "-q", "--csv", str(tmp_path / "csv"),
          "--labels", str(tmp_path / "labels"), "--overlays", str(tmp_path / "ov")])
    assert (tmp_path / "csv" / "images.csv").is_file() and (tmp_path / "csv" / "cells.csv").is_file()
    labels = tifffile.imread(tmp_path / "labels" / "img2_labels.tif")
    assert labels.max() == expected["img2.png"]
    assert (tmp_path / "ov" / "sub" / "img1_overlay.png").is_file()


def test_models_lists_classical(capsys):
    assert main(["models"]) == 0
    assert "classical" in capsys.readouterr().out


def test_evaluate_reports_metrics(tmp_path, capsys):
    images, truth = tmp_path / "images", tmp_path / "truth"
    for i, n in enumerate((3, 4)):
        image, labels = disc_image(centres=grid_centres(n), seed=i)
        write_png(images / f"s{i}.png", image)
        truth.mkdir(exist_ok=True)
        tifffile.imwrite(truth / f"s{i}.tif", labels.astype(np.uint16))
    assert main(["evaluate", str(images), "--truth", str(truth), "--model", "classical", "--json",
                 "--report", str(tmp_path / "report")]) == 0
    report = json.loads(capsys.readouterr().out)
    overall = report[0]["overall"]
    assert overall["f1"] == 1.0 and overall["tp"] == 7 and overall["mae"] == 0.0
    assert (tmp_path / "report" / "report.md").read_text().startswith("# Evaluation")


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--threads", "100000", "from 1 to 256"),
    ("--threads", "-1", "from 1 to 256"),
    ("--threads", "two", "from 1 to 256"),
    ("--pixel-size", "1e300", "from 0.01 to 100"),
    ("--pixel-size", "1e-300", "from 0.01 to 100"),
    ("--pixel-size", "0", "from 0.01 to 100"),
    ("--pixel-size", "-1", "from 0.01 to 100"),
    ("--pixel-size", "nan", "from 0.01 to 100"),
    ("--pixel-size", "inf", "from 0.01 to 100"),
])
def test_out_of_range_threads_and_pixel_sizes_are_usage_errors_for_every_model(folder, option, value, message,
                                                                              capsys):
    root, _ = folder
    for model in ("classical", "nuclei"):
        with pytest.raises(SystemExit) as stop:
            main(["count", str(root), "--model", model, "-q", option, value])
        assert stop.value.code == 2
        assert message in capsys.readouterr().err


def test_threads_0_means_all_cores_for_every_model(folder):
    root, _ = folder
    assert main(["count", str(root), "--model", "classical", "-q", "--threads", "0"]) == 0
