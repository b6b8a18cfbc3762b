"""Positive-only detection: a model trained where only marker-positive cells are annotated counts through the pipeline."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from synthetic_images import write_png, write_tiff  # noqa: E402
from synthetic_markers import make_marker_image  # noqa: E402

from cellcounter_app.inference import load_model  # noqa: E402
from cellcounter_app.io import read_image  # noqa: E402
from cellcounter_app.pipeline import count_image  # noqa: E402
from cellcounter_app.project import Project, save_project  # noqa: E402
from cellcounter_app.training.annotation_store import import_annotation  # noqa: E402
from cellcounter_app.training.project_train import ProjectTrainRequest, train_project  # noqa: E402


def test_a_model_taught_only_the_positive_cells_is_written_and_counts(tmp_path):
    project = Project(tmp_path / "project")
    for seed in range(3):
        made = make_marker_image(seed, shape=(128, 160), positive_fraction=0.4)
        marker = (made.image[..., 1] / 8).clip(0, 255).astype(np.uint8)  # the marker channel alone
        path = write_png(tmp_path / "images" / f"m{seed}.png", marker)
        positives = np.where(np.isin(made.labels, sorted(made.positive_ids)), made.labels, 0).astype(np.uint16)
        truth = write_tiff(tmp_path / "truth" / f"m{seed}.tif", positives)
        [image_id] = project.add_images([path])
        assert import_annotation(project, image_id, truth).n_cells == len(made.positive_ids)
    save_project(project)
    request = ProjectTrainRequest.from_project(project, base="", name="positive", epochs=2, width=4,
                                               crop_size=64, device="cpu")
    result = list(train_project(request))[-1]
    assert result.ok and result.model_path.is_file(), result.message
    model = load_model(result.model_name, use_gpu=False, extra_dirs=[project.folder / "models"])
    counted = count_image(read_image(project.images[0].path), model)
    assert counted.ok and counted.labels.shape == (128, 160)
