"""The minimum stain fitted to a lab's own annotations: only the cells it marked are counted afterwards."""

from __future__ import annotations

import math

import numpy as np
import pytest
import tifffile
from synthetic_images import big_textured_somata

from cellcounter_app.inference import load_model
from cellcounter_app.pipeline import count_image
from cellcounter_app.io import read_image
from cellcounter_app.project import Project
from cellcounter_app.training.annotation_store import import_annotation
from cellcounter_app.training.stain_fit import FitProgress, NothingToFit, AnnotationFit, fit_to_annotations, fit_request

CENTRES = [(40, 40), (40, 120), (40, 200), (120, 40), (120, 120), (120, 200), (200, 40), (200, 120), (200, 200),
           (40, 280), (120, 280), (200, 280)]


def _slice(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A field of 12 somata: the first 6 clearly stained and annotated, the other 6 dim (about 5x the
    noise over the tissue) and, by this lab's rule, not counted."""
    rows, cols = np.mgrid[:240, :320]
    image = np.full((240, 320), 30.0)
    labels = np.zeros((240, 320), np.uint16)
    for i, (r, c) in enumerate(CENTRES):
        disc = (rows - r) ** 2 + (cols - c) ** 2 <= 12 ** 2
        if i % 2 == 0:
            image[disc] = 230.0
            labels[disc] = i // 2 + 1
        else:
            image[disc] = 42.0
    image += np.random.default_rng(seed).normal(0, 2.0, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8), labels


@pytest.fixture
def annotated(tmp_path):
    project = Project(tmp_path / "project")
    paths = []
    for seed in range(2):
        image, labels = _slice(seed)
        paths.append(tmp_path / f"slice{seed}.tif")
        tifffile.imwrite(paths[-1], image)
        tifffile.imwrite(tmp_path / f"slice{seed}_labels.tif", labels)
    ids = project.add_images(paths)
    import_annotation(project, ids[0], tmp_path / "slice0_labels.tif")
    project.set_params({"min_stain": 1.0, "threshold": 0.05})  # classical finds the dim somata too
    return project, paths


def _run(project, model):
    reports = list(fit_to_annotations(fit_request(project), model))
    assert isinstance(reports[0], FitProgress) and isinstance(reports[-1], AnnotationFit)
    return reports[-1]


def test_the_fitted_floor_counts_only_the_stained_cells_on_images_not_annotated(annotated):
    project, paths = annotated
    model = load_model("classical")
    fit = _run(project, model)
    assert fit.images == 1 and fit.cells == 6
    assert fit.current == 1.0 and fit.f1_current < 0.75  # at 1.0 the dim somata count too
    assert 5.5 < fit.min_stain < 60.0 and fit.f1 == 1.0  # dim somata stand ~5 noise units out, stained ones ~60
    assert "fits the 1 annotated image (6 cells) best: F1 1.00" in fit.summary()
    # the other image, never annotated, now gives the lab's count
    before = count_image(read_image(paths[1]), model, {"min_stain": 1.0, "threshold": 0.05}).count
    after = count_image(read_image(paths[1]), model, {"min_stain": fit.min_stain, "threshold": 0.05}).count
    assert (before, after) == (12, 6)


def test_a_project_without_annotations_is_told_what_to_do(tmp_path):
    project = Project(tmp_path / "empty")
    image, _ = _slice(0)
    tifffile.imwrite(tmp_path / "a.tif", image)
    project.add_images([tmp_path / "a.tif"])
    with pytest.raises(NothingToFit, match="annotate a few images first"):
        fit_request(project)


def test_an_unreadable_annotated_image_is_named_and_the_others_still_fit(annotated, tmp_path):
    project, paths = annotated
    broken = tmp_path / "broken.tif"
    image, labels = _slice(0)
    tifffile.imwrite(broken, image)
    image_id = project.add_images([broken])[0]
    tifffile.imwrite(tmp_path / "broken_labels.tif", labels)
    import_annotation(project, image_id, tmp_path / "broken_labels.tif")
    broken.write_bytes(b"damaged after it was annotated")
    fit = _run(project, load_model("classical"))
    assert fit.images == 1 and fit.f1 == 1.0
    assert any("broken.tif" in line for line in fit.skipped) and "broken.tif" in fit.summary()


def test_no_floor_set_by_the_user_starts_from_the_models_and_cancel_stops(annotated):
    project, _ = annotated
    project.set_params({"min_stain": None})
    request = fit_request(project)
    assert math.isnan(request.current)
    model = load_model("classical")
    fit = list(fit_to_annotations(request, model))[-1]
    assert fit.current == model.meta.default_params().min_stain
    assert [type(r) for r in fit_to_annotations(request, model, cancel=lambda: True)] == [FitProgress]


def _big_somata(tmp_path) -> tuple[Project, str]:
    big_textured_somata(tmp_path / "big.tif", tmp_path / "big_labels.tif")
    project = Project(tmp_path / "big")
    return project, project.add_images([tmp_path / "big.tif"])[0]


def test_outlined_cells_set_the_cell_size_when_it_counts_better(tmp_path):
    project, image_id = _big_somata(tmp_path)
    import_annotation(project, image_id, tmp_path / "big_labels.tif")
    request = fit_request(project)
    assert request.size.unit == "model"
    fit = list(fit_to_annotations(request, load_model("classical")))[-1]
    assert fit.size_changed and fit.size.unit == "px" and 60 < fit.size.value < 75
    assert fit.f1 == 1.0 and fit.f1_current < 0.6 and fit.sizes["model"] < 0.6
    assert fit.summary().startswith(f"Cell diameter {fit.size.to_text()} (your outlined cells' median; was model)")
    # with the size already given, nothing is tried apart and nothing changes
    project.set_defaults(size=fit.size.to_dict())
    again = list(fit_to_annotations(fit_request(project), load_model("classical")))[-1]
    assert not again.size_changed and list(again.sizes) == [fit.size.to_text()]


def test_clicked_points_say_nothing_about_the_cell_size(tmp_path):
    project, image_id = _big_somata(tmp_path)
    centres = [(r, c) for r in (55, 160, 265) for c in (55, 160, 265)]
    (tmp_path / "points.csv").write_text("x,y\n" + "".join(f"{c},{r}\n" for r, c in centres))
    import_annotation(project, image_id, tmp_path / "points.csv")
    fit = list(fit_to_annotations(fit_request(project), load_model("classical")))[-1]
    assert not fit.size_changed and list(fit.sizes) == ["model"]
