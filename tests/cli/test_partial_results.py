"""Nothing counted is lost: outputs checked before counting, partial results written on every way out."""

from __future__ import annotations

import os

import pytest

from cellcounter_app.cli import count as count_command
from cellcounter_app.cli import main
from cellcounter_app.cli import outputs
from cellcounter_app.errors import CellCounterError
from cellcounter_app.export import read_workbook
from cellcounter_app.pipeline import ImageCounted, count_batch
from synthetic_images import make_folder

COUNT = ["--model", "classical", "-q"]


@pytest.fixture
def images(tmp_path):
    root = tmp_path / "images"
    return root, make_folder(root)


def stop_after(monkeypatch, counted: int, error: BaseException):
    """Make the batch raise ``error`` (KeyboardInterrupt = Ctrl+C) once ``counted`` images are counted."""

    def batch(request, **kwargs):
        done = 0
        for event in count_batch(request, **kwargs):
            yield event
            if isinstance(event, ImageCounted):
                done += 1
                if done == counted:
                    raise error

    monkeypatch.setattr(count_command, "count_batch", batch)


def info(book) -> dict:
    return {row["key"]: row["value"] for row in book["Info"]}


def full_run(root, out) -> list[str]:
    assert main(["count", str(root), "--out", str(out), *COUNT]) == 0
    return [row["image"] for row in read_workbook(out)["Images"]]


def test_ctrl_c_writes_the_images_counted_so_far_and_marks_the_workbook_partial(images, tmp_path, monkeypatch,
                                                                                capsys):
    root, _ = images
    order = full_run(root, tmp_path / "full.xlsx")
    stop_after(monkeypatch, 2, KeyboardInterrupt())
    out, csv = tmp_path / "partial.xlsx", tmp_path / "csv"
    assert main(["count", str(root), "--out", str(out), "--csv", str(csv), *COUNT]) == 130
    book = read_workbook(out)
    assert [row["image"] for row in book["Images"]] == order[:2]
    assert info(book)["status"] == "cancelled after 2 of 3 images"
    assert len((csv / "images.csv").read_text().splitlines()) == 1 + 2
    err = capsys.readouterr().err
    assert "cancelled after 2 of 3 images; writing the images counted so far" in err


def test_a_cancelled_run_never_replaces_an_existing_workbook_even_with_force(images, tmp_path, monkeypatch, capsys):
    root, _ = images
    out, csv = tmp_path / "results.xlsx", tmp_path / "csv"
    assert main(["count", str(root), "--out", str(out), "--csv", str(csv), *COUNT]) == 0
    before, csv_before = out.read_bytes(), (csv / "images.csv").read_bytes()
    capsys.readouterr()
    stop_after(monkeypatch, 1, KeyboardInterrupt())
    assert main(["count", str(root), "--out", str(out), "--csv", str(csv), "--force", *COUNT]) == 130
    assert out.read_bytes() == before and (csv / "images.csv").read_bytes() == csv_before
    partial = read_workbook(tmp_path / "results.partial.xlsx")
    assert len(partial["Images"]) == 1 and info(partial)["status"] == "cancelled after 1 of 3 images"
    assert len((tmp_path / "csv.partial" / "images.csv").read_text().splitlines()) == 1 + 1
    err = capsys.readouterr().err
    assert f"{out} is kept as it was" in err and str(tmp_path / "results.partial.xlsx") in err
    stop_after(monkeypatch, 1, KeyboardInterrupt())
    assert main(["count", str(root), "--out", str(out), "--force", *COUNT]) == 130
    assert (tmp_path / "results.partial-2.xlsx").is_file() and out.read_bytes() == before


def test_a_complete_run_with_force_replaces_the_workbook(images, tmp_path):
    root, _ = images
    out = tmp_path / "results.xlsx"
    out.write_bytes(b"old")
    assert main(["count", str(root), "--out", str(out), "--force", *COUNT]) == 0
    assert info(read_workbook(out))["status"] == "complete"
    assert not (tmp_path / "results.partial.xlsx").exists()


def test_an_error_during_the_batch_writes_what_was_counted(images, tmp_path, monkeypatch, capsys):
    root, _ = images
    stop_after(monkeypatch, 2, CellCounterError("the image server went away"))
    out = tmp_path / "r.xlsx"
    assert main(["count", str(root), "--out", str(out), *COUNT]) == 2
    book = read_workbook(out)
    assert len(book["Images"]) == 2
    assert info(book)["status"] == "stopped by an error after 2 of 3 images"
    assert capsys.readouterr().err.count("the image server went away") == 1


def test_a_bug_during_the_batch_still_writes_what_was_counted(images, tmp_path, monkeypatch):
    root, _ = images
    stop_after(monkeypatch, 1, RuntimeError("a bug"))
    out = tmp_path / "r.xlsx"
    with pytest.raises(RuntimeError, match="a bug"):
        main(["count", str(root), "--out", str(out), *COUNT])
    assert len(read_workbook(out)["Images"]) == 1


def test_an_early_ctrl_c_with_force_keeps_the_existing_workbook(images, tmp_path, monkeypatch, capsys):
    root, _ = images
    out = tmp_path / "r.xlsx"
    full_run(root, out)
    before = out.read_bytes()

    def batch(request, **kwargs):
        raise KeyboardInterrupt
        yield  # a generator, as count_batch is

    monkeypatch.setattr(count_command, "count_batch", batch)
    assert main(["count", str(root), "--out", str(out), "--force", *COUNT]) == 130
    assert out.read_bytes() == before
    assert not (tmp_path / "r.partial.xlsx").exists()
    assert "no image was counted; no table written" in capsys.readouterr().err


@pytest.mark.parametrize("setup, option, message", [
    (lambda t: (t / "csv").mkdir() or (t / "csv" / "cells.csv").write_text("old"), ["--csv", "csv"],
     "cells.csv already exists; use --force"),
    (lambda t: (t / "csv").write_text("a file"), ["--csv", "csv"], "a file of that name is in the way"),
    (lambda t: (t / "labels").mkdir() or (t / "labels" / "img0_labels.tif").write_text("old"),
     ["--labels", "labels"], "img0_labels.tif"),
    (lambda t: (t / "ov").write_text("a file"), ["--overlays", "ov"], "a file of that name is in the way"),
    (lambda t: (t / "rois").write_text("a file"), ["--rois", "rois"], "a file of that name is in the way"),
    (lambda t: (t / "rois").mkdir() or (t / "rois" / "img0_rois.zip").write_text("old"), ["--rois", "rois"],
     "img0_rois.zip already exist"),
    (lambda t: (t / "gj").mkdir() or (t / "gj" / "img2.geojson").write_text("old"), ["--geojson", "gj"],
     "img2.geojson already exist"),
    (lambda t: (t / "r.xlsx").write_text("old"), [], "r.xlsx already exists; use --force"),
])
def test_every_output_is_checked_before_counting(images, tmp_path, capsys, setup, option, message):
    root, _ = images
    setup(tmp_path)
    option = [str(tmp_path / value) if value[0] != "-" else value for value in option]
    out = tmp_path / "r.xlsx"
    before = out.read_bytes() if out.exists() else None
    assert main(["count", str(root), "--out", str(out), *option, *COUNT]) == 2
    err = capsys.readouterr().err
    assert message in err and "Counting" not in err
    assert (out.read_bytes() if out.exists() else None) == before


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a user that read-only folders stop")
def test_a_read_only_csv_folder_is_refused_before_counting(images, tmp_path, capsys):
    root, _ = images
    csv = tmp_path / "csv"
    csv.mkdir()
    csv.chmod(0o555)
    try:
        assert main(["count", str(root), "--out", str(tmp_path / "r.xlsx"), "--csv", str(csv), *COUNT]) == 2
    finally:
        csv.chmod(0o755)
    assert f"output folder {csv} is not writable" in capsys.readouterr().err
    assert not (tmp_path / "r.xlsx").exists()


def test_a_failed_csv_write_after_counting_keeps_the_workbook(images, tmp_path, monkeypatch, capsys):
    root, expected = images

    def full_disk(results, folder, *, force=False):
        raise CellCounterError(f"cannot write {folder / 'cells.csv'}: No space left on device")

    monkeypatch.setattr(outputs, "write_csv", full_disk)
    out = tmp_path / "r.xlsx"
    assert main(["count", str(root), "--out", str(out), "--csv", str(tmp_path / "csv"), *COUNT]) == 2
    rows = read_workbook(out)["Images"]
    assert {row["image"]: row["count"] for row in rows} == expected
    assert "cells.csv: No space left on device" in capsys.readouterr().err


def test_when_no_table_can_be_written_where_asked_it_goes_to_the_temporary_folder(images, tmp_path, monkeypatch,
                                                                                 capsys):
    root, expected = images
    out, rescue = tmp_path / "r.xlsx", tmp_path / "tmp"
    rescue.mkdir()
    real = outputs.write_workbook

    def full_disk(results, path, **kwargs):
        if path == out:
            raise CellCounterError(f"cannot write {out}: No space left on device")
        return real(results, path, **kwargs)

    monkeypatch.setattr(outputs, "write_workbook", full_disk)
    monkeypatch.setattr(outputs.tempfile, "gettempdir", lambda: str(rescue))
    assert main(["count", str(root), "--out", str(out), *COUNT]) == 2
    [saved] = rescue.glob("cellcounter-*.xlsx")
    assert {row["image"]: row["count"] for row in read_workbook(saved)["Images"]} == expected
    assert f"the results are saved in {saved} instead" in capsys.readouterr().err


def test_a_failed_roi_set_keeps_the_count(images, tmp_path, monkeypatch, capsys):
    root, expected = images
    real = count_command.options.shape_outputs

    def failing(args, result):
        if result.name == "img0.png":
            raise CellCounterError(f"cannot write {tmp_path / 'rois' / 'img0_rois.zip'}: No space left on device")
        return real(args, result)

    monkeypatch.setattr(count_command.options, "shape_outputs", failing)
    out = tmp_path / "r.xlsx"
    assert main(["count", str(root), "--out", str(out), "--rois", str(tmp_path / "rois"), *COUNT]) == 2
    assert {row["image"]: row["count"] for row in read_workbook(out)["Images"]} == expected
    assert "img0.png: counted, but its ROI set or GeoJSON could not be written" in capsys.readouterr().err
    assert (tmp_path / "rois" / "img2_rois.zip").is_file()


@pytest.mark.parametrize("value, message", [
    ("", "got an empty name"),
    ("  ", "got an empty name"),
])
def test_an_empty_out_is_a_usage_error(images, value, message, capsys):
    root, _ = images
    with pytest.raises(SystemExit) as stop:
        main(["count", str(root), "--out", value, *COUNT])
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("slash", ["", "/"])
def test_out_naming_a_folder_is_a_usage_error(images, tmp_path, slash, capsys):
    root, _ = images
    folder = tmp_path / "results"
    folder.mkdir()
    with pytest.raises(SystemExit) as stop:
        main(["count", str(root), "--out", f"{folder}{slash}", *COUNT])
    assert stop.value.code == 2
    assert f"is a folder; name the workbook to write, such as {folder / 'counts.xlsx'}" in capsys.readouterr().err
    assert not (tmp_path / "results.xlsx").exists()
