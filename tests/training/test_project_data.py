"""A project's corrected and annotated images become training samples; too little is refused clearly."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.io.annotations import AnnotationError
from cellcounter_app.project import Project, Region, load_project, save_project
from cellcounter_app.results import ImageResult, ModelInfo
from cellcounter_app.training.annotation_store import (
    annotation_files, import_annotation, remove_annotation, stored_annotation,
)
from cellcounter_app.training.point_targets import paint_points
from cellcounter_app.training.project_data import (
    NotEnoughAnnotations, TrainingImage, check_enough, load_training_image, split_training, training_images,
)
from synthetic_images import disc_image, grid_centres, write_png, write_tiff

SHAPE = (112, 128)
CENTRES = grid_centres(8, shape=SHAPE, spacing=30)


def counted(labels):
    return ImageResult(path=Path("x.png"), name="x.png", summary={"count": 1.0},
                       model=ModelInfo("classical", "1.0"), params={}, labels=labels)


@pytest.fixture
def project(tmp_path):
    """Three disc images: 'a' counted with a cell missed and a false one, 'b' counted as is, 'c' not counted."""
    project = Project(tmp_path / "proj")
    truths = []
    for name, seed in (("a", 0), ("b", 1), ("c", 2)):
        image, truth = disc_image(shape=SHAPE, centres=CENTRES, radius=7, seed=seed)
        write_png(tmp_path / "proj" / "images" / f"{name}.png", image)
        truths.append(truth)
    ids = project.add_images(sorted((tmp_path / "proj" / "images").glob("*.png")))
    detected = np.where(truths[0] == 3, 0, truths[0])     # cell 3 was missed
    detected[5:10, 5:10] = 99                              # a false detection
    project.record_result(ids[0], counted(detected))
    project.record_result(ids[1], counted(truths[1]))
    row, col = CENTRES[2]
    project.add_point(ids[0], (col, row))
    project.remove_cell(ids[0], (7.0, 7.0))
    save_project(project)
    return load_project(project.folder), truths


def test_corrected_images_teach_the_detections_minus_removed_plus_added(project):
    project, truths = project
    found = training_images(project)
    assert [image.kind for image in found.images] == ["corrected"] and found.skipped == []
    image = found.images[0]
    assert image.name == "images/a.png" and image.n_cells == 8
    item = load_training_image(image)
    labels = item.sample.labels
    assert labels[5:10, 5:10].max() == 0                  # the removed detection is background
    row, col = CENTRES[2]
    added = labels[row, col]
    assert added > 0 and abs(int((labels == added).sum()) - int((truths[0] == 3).sum())) <= 8   # a cell-sized disc
    assert item.n_cells == 8 and item.sample.image.shape == (1, *SHAPE)


def test_imported_annotations_take_precedence(project, tmp_path):
    project, truths = project
    image_c = project.images[2]
    mask = (truths[2] > 0).astype(np.uint8) * 255
    annotation = import_annotation(project, image_c.id, write_png(tmp_path / "c_mask.png", mask))
    assert annotation.n_cells == 8 and annotation_files(project.folder, image_c.id)[0].is_file()
    write_tiff(tmp_path / "a_labels.tif", truths[0].astype(np.uint16))
    import_annotation(project, project.images[0].id, tmp_path / "a_labels.tif")
    kinds = {image.name: image.kind for image in training_images(project).images}
    assert kinds == {"images/a.png": "imported", "images/c.png": "imported"}
    assert remove_annotation(project.folder, image_c.id) and stored_annotation(project.folder, image_c.id) is None


def test_point_list_in_micrometres_uses_the_pixel_size(project, tmp_path):
    project, _ = project
    image_c = project.images[2]
    points = tmp_path / "c.csv"
    points.write_text("X,Y\n" + "\n".join(f"{c / 2},{r / 2}" for r, c in CENTRES))
    with pytest.raises(Exception, match="need the pixel size"):
        import_annotation(project, image_c.id, points, units="um")
    project.set_defaults(pixel_size_um=0.5)
    annotation = import_annotation(project, image_c.id, points, units="um")
    assert annotation.points[:2].tolist() == [[c, r] for r, c in CENTRES[:2]]
    image = next(i for i in training_images(project).images if i.image_id == image_c.id)
    item = load_training_image(image, diameter_px=14)
    assert item.n_cells == 8 and item.sample.labels[CENTRES[0]] > 0


def test_a_broken_import_names_the_file(project, tmp_path):
    project, _ = project
    bad = tmp_path / "RoiSet.zip"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("x.roi", b"nope")
    with pytest.raises(AnnotationError, match="RoiSet.zip: entry x.roi: not an ImageJ ROI"):
        import_annotation(project, project.images[0].id, bad)


def test_regions_limit_the_sample_to_their_box(project):
    project, _ = project
    image_id = project.images[0].id
    project.add_region(image_id, Region(((10, 5), (70, 60)), kind="rectangle"))
    image = training_images(project).images[0]
    assert image.window == (5, 10, 61, 71)
    assert load_training_image(image).sample.labels.shape == (56, 61)


def test_too_few_annotations_is_refused_with_advice(project):
    project, _ = project
    with pytest.raises(NotEnoughAnnotations) as info:
        check_enough(training_images(project).images, min_cells=20)
    message = str(info.value)
    assert "at least 20 annotated cells" in message and "1 image with 8 annotated cells" in message
    assert "import annotations" in message
    with pytest.raises(NotEnoughAnnotations, match="no image with corrections or imported annotations"):
        check_enough([])


def test_corrected_image_without_its_labels_is_skipped_with_a_reason(project):
    project, _ = project
    (project.folder / project.images[0].labels_file).unlink()
    found = training_images(load_project(project.folder))
    assert found.images == [] and "count it again" in found.skipped[0]


def test_split_by_choice_by_seed_and_single_image_cut(project):
    project, truths = project
    images = training_images(project).images
    single = load_training_image(images[0])
    train, val, record = split_training([single])
    assert train[0].sample.labels.shape == (112, 96) and val[0].sample.labels.shape == (112, 32)
    assert "validation part" in val[0].sample.name and record["single_image_cut"] == 0.25
    other = TrainingImage("other", dataclasses.replace(single.sample, name="other.png"), single.data, None)
    train, val, _ = split_training([single, other], val_images=["other"])
    assert [t.sample.name for t in train] == ["images/a.png"] and [v.image_id for v in val] == ["other"]
    with pytest.raises(ParameterError, match="not among the training images: nope"):
        split_training([single, other], val_images=["nope"])
    assert [v.sample.name for v in split_training([single, other], seed=3)[1]] == \
           [v.sample.name for v in split_training([other, single], seed=3)[1]]


def test_close_points_share_space_and_never_cover_outlined_cells():
    labels = np.zeros((30, 40), np.int32)
    labels[0:10, 0:10] = 5
    out = paint_points(labels, np.array([[12.0, 5.0], [20.0, 5.0], [30.0, 20.0]]), 10, (30, 40))
    assert (out[0:10, 0:10] == 5).all()
    assert set(np.unique(out)) == {0, 5, 6, 7, 8}
    assert out[5, 15] == 6 and out[5, 17] == 7            # the gap is split at the midpoint


def test_gaussian_blob_follows_the_cell_outline():
    rows, cols = np.mgrid[:60, :60]
    ellipse = ((rows - 30) / 5.0) ** 2 + ((cols - 30) / 12.0) ** 2 <= 1
    image = np.where(ellipse, 200.0, 20.0)
    disc = paint_points(None, np.array([[30.0, 30.0]]), 17, (60, 60))
    blob = paint_points(None, np.array([[30.0, 30.0]]), 17, (60, 60), point_shape="gaussian", image=image)

    def iou(mask):
        return (mask & ellipse).sum() / (mask | ellipse).sum()

    assert iou(blob > 0) > 0.7 > iou(disc > 0)
    flat = paint_points(None, np.array([[30.0, 30.0]]), 17, (60, 60), point_shape="gaussian",
                        image=np.full((60, 60), 7.0))
    assert np.array_equal(flat, disc)                      # no contrast: the plain disc


def test_importing_and_preparing_annotations_needs_no_torch():
    """The app imports annotations and lists training images without the train extra."""
    code = (
        "import importlib.abc, sys\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import cellcounter_app.training.annotation_store, cellcounter_app.training.project_data\n"
        "import cellcounter_app.training.project_eval, cellcounter_app.io.annotations\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
