"""``cellcounter fit``: a project's minimum stain set from the cells its lab marked."""

from __future__ import annotations

from synthetic_images import MOSTLY_FAINT, stained_disc_labels, stained_discs

from cellcounter_app.cli import main
from cellcounter_app.project import Project, load_project, save_project
from cellcounter_app.training.annotation_store import import_annotation


def _project(tmp_path, annotate: bool = True) -> Project:
    """A classical-model project of one image of 16 discs: 4 clearly stained, 12 faint; the lab marked the 4."""
    path = stained_discs(tmp_path / "images" / "faint.png", MOSTLY_FAINT)
    project = Project(tmp_path / "project")
    project.set_defaults(model="classical")
    image_id = project.add_images([path])[0]
    if annotate:
        import_annotation(project, image_id, stained_disc_labels(tmp_path / "faint_labels.tif", range(4)))
    save_project(project)
    return project


def test_fit_stain_saves_the_floor_that_counts_only_the_marked_cells(tmp_path, capsys):
    project = _project(tmp_path)
    assert main(["fit", str(project.folder), "-q", "--dry-run"]) == 0
    assert "min_stain" not in load_project(project.folder).defaults.params  # a dry run changes nothing
    assert main(["fit", str(project.folder), "-q"]) == 0
    out = capsys.readouterr().out
    assert "fits the 1 annotated image (4 cells) best: F1 1.00" in out and "<- fitted" in out
    floor = load_project(project.folder).defaults.params["min_stain"]
    assert 5.5 < floor < 12.0 and f"Saved min_stain {floor:g}" in out
    assert main(["count", str(tmp_path / "images"), "--model", "classical", "--min-stain", str(floor),
                 "--out", str(tmp_path / "counts.xlsx")]) == 0
    assert "4 cells in total" in capsys.readouterr().out


def test_a_project_with_nothing_annotated_is_told_what_to_do(tmp_path, capsys):
    project = _project(tmp_path, annotate=False)
    assert main(["fit", str(project.folder), "-q"]) == 2
    assert "annotate a few images first" in capsys.readouterr().err


def test_outlined_cells_set_the_projects_cell_diameter(tmp_path, capsys):
    from synthetic_images import big_textured_somata

    big_textured_somata(tmp_path / "big.tif", tmp_path / "big_labels.tif")
    project = Project(tmp_path / "project")
    project.set_defaults(model="classical")
    import_annotation(project, project.add_images([tmp_path / "big.tif"])[0], tmp_path / "big_labels.tif")
    save_project(project)
    assert main(["fit", str(project.folder)]) == 0
    out = capsys.readouterr().out
    size = load_project(project.folder).defaults.size
    assert size["unit"] == "px" and 60 < size["value"] < 75
    assert f"Saved cell diameter {size['value']:g}px" in out and "cell size tried: model F1" in out
