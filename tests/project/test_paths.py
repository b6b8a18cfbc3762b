from __future__ import annotations

from pathlib import Path

from cellcounter_app.project.paths import backup_file, new_image_id, project_file, resolve_path, stored_path


def test_paths_inside_and_beside_the_folder_are_relative(tmp_path):
    folder = tmp_path / "exp"
    assert stored_path(folder / "images" / "a.tif", folder) == "images/a.tif"
    assert stored_path(tmp_path / "raw" / "b.tif", folder) == "../raw/b.tif"


def test_resolve_tries_relative_then_absolute(tmp_path):
    folder = tmp_path / "exp"
    image = tmp_path / "raw" / "b.tif"
    image.parent.mkdir()
    image.write_bytes(b"x")
    assert resolve_path("../raw/b.tif", folder) == (image, True)
    assert resolve_path("gone/b.tif", folder, str(image)) == (image, True)
    assert resolve_path("gone/b.tif", folder, str(tmp_path / "nope.tif")) == (folder / "gone" / "b.tif", False)


def test_project_file_of_a_folder_and_of_a_file(tmp_path):
    assert project_file(tmp_path) == tmp_path / "project.cellcounter.json"
    assert project_file(tmp_path / "x.json") == tmp_path / "x.json"
    assert backup_file(tmp_path / "p.json") == Path(tmp_path / "p.json.bak")


def test_new_ids_are_short_and_unique():
    taken: set[str] = set()
    for _ in range(200):
        taken.add(new_image_id(taken))
    assert len(taken) == 200 and all(len(i) == 12 for i in taken)
