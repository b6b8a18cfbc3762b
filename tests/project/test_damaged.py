"""Damaged, hostile and newer project files: nothing is deleted or overwritten that could be recovered."""

from __future__ import annotations

import json

import pytest

from cellcounter_app.errors import CellCounterError
from cellcounter_app.project import Project, ProjectError, load_project, save_project


@pytest.fixture
def counted_project(tmp_path, make_images, disc_labels, counted) -> Project:
    project = Project(tmp_path / "exp")
    ids = project.add_images(make_images(("a01.tif", "a02.tif")))
    for image_id in ids:
        project.record_result(image_id, counted(disc_labels()))
    save_project(project)
    save_project(project)
    return project


def _results(project: Project) -> set[str]:
    return {p.name for p in (project.folder / "results").iterdir()}


def test_saving_the_backup_of_a_damaged_file_keeps_its_labels_and_the_damaged_file(
        counted_project, disc_labels, counted):
    project = counted_project
    project.record_result(project.images[1].id, counted(disc_labels(centres=((30, 30),))))
    path = save_project(project)
    only_in_damaged = project.images[1].labels_file.split("/")[-1]
    damaged = path.read_bytes()[:-40]
    path.write_bytes(damaged)

    restored = load_project(project.folder, from_backup=True)
    save_project(restored)
    save_project(restored)

    assert only_in_damaged in _results(project), "a label image only the damaged file named was deleted"
    kept = list(project.folder.glob("project.cellcounter.json.damaged-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == damaged
    assert len(restored.notices) == 1 and str(kept[0]) in restored.notices[0]
    assert load_project(project.folder).images[1].count == 3


def test_a_save_deletes_only_label_images_the_project_knows(counted_project, tmp_path):
    foreign = counted_project.folder / "results" / "0123456789ab-abcdef.tif"
    foreign.write_bytes(b"a label image of another copy of the project")
    counted_project.remove_images([counted_project.images[0].id])
    save_project(counted_project)
    save_project(counted_project)
    assert foreign.is_file()
    assert len(_results(counted_project)) == 2


def test_a_damaged_file_is_kept_aside_before_a_save_replaces_it(counted_project):
    path = save_project(counted_project)
    path.write_bytes(b"\x00garbage")
    save_project(counted_project)
    save_project(counted_project)
    kept = list(path.parent.glob(path.name + ".damaged-*"))
    assert [p.read_bytes() for p in kept] == [b"\x00garbage"]


def _make_newer(path, version=7, app_version="9.1.0"):
    data = json.loads(path.read_text())
    data.update(schema_version=version, app_version=app_version)
    path.write_text(json.dumps(data))
    return path.read_bytes()


def test_a_newer_project_says_which_version_it_needs_and_offers_no_backup(counted_project):
    path = save_project(counted_project)
    _make_newer(path)
    with pytest.raises(ProjectError, match=r"CellCounter 9\.1\.0 .*schema version 7.*install CellCounter "
                                           r"9\.1\.0 or later") as info:
        load_project(counted_project.folder)
    assert not info.value.backup_available, "saving the backup would overwrite the newer file"


def test_a_newer_project_file_is_never_overwritten(counted_project, tmp_path):
    path = save_project(counted_project)
    newer = _make_newer(path)
    labels_before = _results(counted_project)
    counted_project.set_params({"threshold": 0.9})
    with pytest.raises(CellCounterError, match="newer CellCounter 9.1.0.*does not overwrite it"):
        save_project(counted_project)
    assert path.read_bytes() == newer and _results(counted_project) == labels_before
    assert counted_project.dirty
    assert save_project(counted_project, tmp_path / "elsewhere").is_file()


@pytest.mark.parametrize("text, reason", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"schema_version": 1, "images": [], "name": ' + "7" * 5000 + "}", "digits"),
    ('{"schema_version": 1, "groups": ' + '{"a": ' * 5000 + "1" + "}" * 5001, "nested too deeply"),
    ('{"schema_version": 1, "images": [{"id": "x", "path": "a.tif", "summary": {"count": 1' + "0" * 400
     + "}}]}", "invalid"),
])
def test_hostile_json_is_a_project_error_not_a_crash(tmp_path, text, reason):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "project.cellcounter.json").write_text(text, encoding="utf-8")
    with pytest.raises(ProjectError, match=reason):
        load_project(folder)
