from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from cellcounter_app.errors import CellCounterError
from cellcounter_app.io.options import ReadOptions
from cellcounter_app.project import Project, ProjectError, Region, load_project, save_project
from cellcounter_app.project.files import read_labels
from cellcounter_app.results import STATUS_ERROR, ImageResult


@pytest.fixture
def full_project(tmp_path, make_images, disc_labels, counted) -> Project:
    """A project with every kind of content: results, errors, overrides, corrections, regions."""
    project = Project(tmp_path / "exp", name="Hippocampus")
    ids = project.add_images(make_images(("a01.tif", "a02.tif", "a03.tif", "b01.tif")))
    project.add_images(make_images(("c01.tif",), folder="raw/day2"))
    project.set_defaults(model="classical", read=ReadOptions(channel="DAPI", z=2), pixel_size_um=0.65,
                         size={"value": 14, "unit": "um"})
    project.set_params({"threshold": 0.5, "min_size": 20})
    project.set_params({"split_touching": False}, image_id=ids[1])
    project.set_group([ids[3]], "control")
    project.set_group_settings("control", {"colour": "#ff0000"})
    project.record_result(ids[0], counted(disc_labels()))
    project.record_result(ids[1], counted(disc_labels(centres=((20, 20),))))
    project.record_result(ids[2], ImageResult(project.images[2].path, "a03.tif", STATUS_ERROR, "truncated TIFF"))
    project.set_params({"threshold": 0.7}, image_id=ids[1])
    project.add_point(ids[0], (5.5, 55.25))
    project.remove_cell(ids[0], (60.0, 15.0))
    project.add_region(ids[0], Region(((0, 0), (79, 40)), kind="rectangle"))
    project.add_region(ids[3], Region(((1, 1), (30, 2), (15, 40))))
    return project


def test_round_trip_restores_everything(full_project, disc_labels):
    path = save_project(full_project)
    assert path == full_project.folder / "project.cellcounter.json"
    assert not full_project.dirty and not full_project.pending_labels()
    loaded = load_project(full_project.folder)
    assert loaded == full_project
    assert [e.status for e in loaded.images] == ["counted", "stale", "error", "new", "new"]
    first = loaded.images[0]
    assert first.count == 3 and first.corrected_count == 1
    assert (first.corrected.n_detected, first.corrected.n_removed, first.corrected.n_added) == (2, 1, 0)
    assert np.array_equal(read_labels(loaded.folder / first.labels_file), disc_labels())
    assert loaded.correction_result(first.id).kept_ids.tolist() == [1]
    assert not loaded.dirty


def test_project_file_is_readable_json(full_project):
    text = save_project(full_project).read_text(encoding="utf-8")
    data = json.loads(text)
    assert text.startswith("{\n  ") and "NaN" not in text
    assert data["schema_version"] == 1 and data["app_version"] == "0.1.0"
    assert data["created"] and data["modified"] >= data["created"]
    assert [img["path"] for img in data["images"]] == [
        "images/a01.tif", "images/a02.tif", "images/a03.tif", "images/b01.tif", "../raw/day2/c01.tif"]
    assert data["images"][0]["summary"]["density_per_mm2"] is None
    assert list(data["images"][0]) == sorted(data["images"][0])
    assert data["images"][0]["labels_file"].startswith("results/")
    assert data["defaults"]["read"] == {"channel": "DAPI", "z": 2}


def test_moved_project_folder_finds_its_images(full_project, tmp_path):
    save_project(full_project)
    moved = tmp_path / "elsewhere" / "exp-copy"
    shutil.copytree(full_project.folder, moved)
    shutil.rmtree(full_project.folder)
    loaded = load_project(moved / "project.cellcounter.json")
    assert all(not e.missing for e in loaded.images)
    assert loaded.images[0].path == moved / "images" / "a01.tif"
    assert loaded.detections(loaded.images[0].id) is not None


def test_images_beside_the_folder_are_found_when_moved_together(tmp_path, make_images):
    project = Project(tmp_path / "study" / "counts")
    project.add_images(make_images(("x.tif",), folder="study/raw"))
    save_project(project)
    assert json.loads((project.folder / "project.cellcounter.json").read_text())["images"][0]["path"] == "../raw/x.tif"
    shutil.move(tmp_path / "study", tmp_path / "moved")
    loaded = load_project(tmp_path / "moved" / "counts")
    assert loaded.images[0].path == tmp_path / "moved" / "raw" / "x.tif" and not loaded.images[0].missing


def test_project_moved_alone_uses_the_absolute_path(tmp_path, make_images):
    project = Project(tmp_path / "counts")
    (image,) = make_images(("x.tif",), folder="raw")
    project.add_images([image])
    save_project(project)
    shutil.move(tmp_path / "counts", tmp_path / "deep" / "counts")
    loaded = load_project(tmp_path / "deep" / "counts")
    assert loaded.images[0].path == image and not loaded.images[0].missing


def test_missing_image_is_flagged_not_fatal(full_project):
    save_project(full_project)
    full_project.images[0].path.unlink()
    loaded = load_project(full_project.folder)
    assert loaded.images[0].status == "missing" and loaded.images[0].count == 3
    assert [e.status for e in loaded.images[1:]] == ["stale", "error", "new", "new"]
    save_project(loaded)
    data = json.loads((loaded.folder / "project.cellcounter.json").read_text())
    assert data["images"][0]["status"] == "counted"


def test_damaged_file_offers_the_backup(full_project):
    path = save_project(full_project)
    full_project.set_params({"threshold": 0.9})
    save_project(full_project)
    path.write_text('{"schema_version": 1, "images": [', encoding="utf-8")
    with pytest.raises(ProjectError, match="damaged") as info:
        load_project(full_project.folder)
    assert info.value.backup_available and info.value.path == path
    assert "backup of the previous save is available" in str(info.value)
    restored = load_project(full_project.folder, from_backup=True)
    assert restored.defaults.params["threshold"] == 0.5 and restored.dirty
    save_project(restored)
    assert load_project(full_project.folder).defaults.params["threshold"] == 0.5


def test_damaged_file_does_not_overwrite_a_good_backup(full_project):
    path = save_project(full_project)
    save_project(full_project)
    good_backup = (path.parent / (path.name + ".bak")).read_bytes()
    path.write_bytes(b"\x00\x00garbage")
    save_project(full_project)
    assert (path.parent / (path.name + ".bak")).read_bytes() == good_backup


def test_damaged_file_without_backup(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "project.cellcounter.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ProjectError, match="not a project") as info:
        load_project(folder)
    assert not info.value.backup_available
    with pytest.raises(ProjectError, match="there is no backup"):
        load_project(folder, from_backup=True)
    with pytest.raises(ProjectError, match="does not exist"):
        load_project(tmp_path / "nothing-here")


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(images={}), "images must be a list"),
    (lambda d: d["images"][0].update(status="done"), r"image 1 \(images/a01.tif\): image state must be one of"),
    (lambda d: d["images"][1].update(param_overrides={"threshold": 7}), "threshold must be between"),
    (lambda d: d["images"][1].update(id=d["images"][0]["id"]), "is used twice"),
    (lambda d: d["images"][0].pop("path"), "path is missing"),
    (lambda d: d["images"][0].update(labels_file="../../etc/passwd"), "labels_file must be a file in results/"),
    (lambda d: d.update(schema_version="1"), "schema_version must be an integer"),
])
def test_invalid_content_is_a_clear_error(full_project, change, message):
    path = save_project(full_project)
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ProjectError, match=message):
        load_project(path)


def test_newer_schema_is_rejected(full_project):
    path = save_project(full_project)
    data = json.loads(path.read_text())
    data["schema_version"] = 99
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ProjectError, match="made by a newer CellCounter .*schema version 99"):
        load_project(path)


def test_crash_while_writing_leaves_the_old_file_intact(full_project, monkeypatch):
    path = save_project(full_project)
    before = path.read_bytes()
    full_project.set_params({"threshold": 0.9})

    def power_cut(self: Path, data: bytes) -> int:
        with open(self, "wb") as handle:
            handle.write(data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", power_cut)
    with pytest.raises(CellCounterError, match="No space left on device"):
        save_project(full_project)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert not [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert full_project.dirty
    assert load_project(path).defaults.params["threshold"] == 0.5


def test_recount_replaces_labels_and_unused_files_go(full_project, disc_labels, counted):
    save_project(full_project)
    image_id = full_project.images[0].id
    first_file = full_project.images[0].labels_file
    full_project.record_result(image_id, counted(disc_labels(centres=((30, 30),))))
    save_project(full_project)
    second_file = full_project.images[0].labels_file
    assert second_file != first_file
    assert (full_project.folder / first_file).is_file(), "the backup still refers to it"
    save_project(full_project)
    assert not (full_project.folder / first_file).exists()
    assert read_labels(full_project.folder / second_file).max() == 1
    full_project.remove_images([image_id])
    save_project(full_project)
    save_project(full_project)
    names = sorted(p.name for p in (full_project.folder / "results").iterdir())
    assert names == [Path(full_project.images[0].labels_file).name]


def test_save_as_moves_the_project_with_its_labels(full_project, tmp_path):
    save_project(full_project)
    full_project.set_group_settings("treated", {"dose": 2})
    events: list[tuple[str, object]] = []
    full_project.subscribe(lambda event, payload: events.append((event, payload)))
    path = save_project(full_project, tmp_path / "copy")
    assert events == [("saved", path), ("dirty", False)]
    save_project(full_project)
    assert events[2:] == [("saved", path)]
    loaded = load_project(tmp_path / "copy")
    assert loaded.folder == tmp_path / "copy" and loaded == full_project
    assert loaded.images[0].path == full_project.images[0].path
    assert loaded.detections(loaded.images[0].id) is not None


def test_save_as_carries_imported_annotations_and_trained_models(full_project, tmp_path):
    save_project(full_project)
    for name, content in (("annotations/abc.points.csv", "x,y\n1,2\n"), ("models/mine-v1.onnx", "model")):
        (full_project.folder / name).parent.mkdir(parents=True, exist_ok=True)
        (full_project.folder / name).write_text(content)
    save_project(full_project, tmp_path / "moved")
    assert (tmp_path / "moved" / "annotations" / "abc.points.csv").read_text() == "x,y\n1,2\n"
    assert (tmp_path / "moved" / "models" / "mine-v1.onnx").read_text() == "model"
