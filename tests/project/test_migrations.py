from __future__ import annotations

import copy
import json

import pytest

from cellcounter_app.project import CURRENT_VERSION, MIGRATIONS, load_project, migrate, save_project
from cellcounter_app.project.migrations import NewerSchemaError

SCHEMA_0 = {"name": "old counts", "threshold": 0.62, "min_size": 150, "model": "nuclei",
            "files": ["images/a01.tif", "images/a02.tif"]}


def test_every_version_below_the_current_one_has_a_migration():
    assert set(MIGRATIONS) == set(range(CURRENT_VERSION))


def test_schema_0_becomes_schema_1_without_changing_its_input():
    original = copy.deepcopy(SCHEMA_0)
    data = migrate(SCHEMA_0)
    assert SCHEMA_0 == original
    assert data["schema_version"] == 1 and data["name"] == "old counts"
    assert data["defaults"] == {"model": "nuclei", "params": {"threshold": 0.62, "min_size": 150}}
    assert [img["path"] for img in data["images"]] == SCHEMA_0["files"]
    assert len({img["id"] for img in data["images"]}) == 2
    assert migrate(data) == data


def test_a_schema_0_project_file_opens_and_saves_as_schema_1(tmp_path, make_images):
    make_images(("a01.tif",), folder="old/images")
    (tmp_path / "old" / "project.cellcounter.json").write_text(json.dumps(SCHEMA_0), encoding="utf-8")
    project = load_project(tmp_path / "old")
    assert project.dirty, "a migrated project is saved again in the new schema"
    assert project.defaults.params == {"threshold": 0.62, "min_size": 150} and project.defaults.model == "nuclei"
    assert [e.status for e in project.images] == ["new", "missing"]
    assert project.images[0].path == tmp_path / "old" / "images" / "a01.tif"
    path = save_project(project)
    assert json.loads(path.read_text())["schema_version"] == CURRENT_VERSION
    assert json.loads((path.parent / (path.name + ".bak")).read_text()) == SCHEMA_0
    assert load_project(path) == project


def test_bad_and_newer_versions():
    with pytest.raises(NewerSchemaError, match="newer CellCounter"):
        migrate({"schema_version": CURRENT_VERSION + 1})
    with pytest.raises(ValueError, match="schema_version must be an integer >= 0, got -1"):
        migrate({"schema_version": -1})
    with pytest.raises(ValueError, match="files must be a list of paths"):
        migrate({"files": "a.tif"})
