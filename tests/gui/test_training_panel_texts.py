"""The training panel's numbers agree and its controls explain themselves (no training run needed)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from synthetic_images import disc_image, grid_centres, write_png
from window_helpers import close_window, open_window

from cellcounter_app.project import Region
from cellcounter_app.training.project_data import training_images

SHAPE = (112, 112)


@pytest.fixture
def window(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "project", default_model="classical")
    paths = []
    for i in range(2):
        image, _ = disc_image(shape=SHAPE, centres=grid_centres(9, shape=SHAPE, spacing=30), radius=7, seed=i)
        paths.append(write_png(tmp_path / "images" / f"a{i}.png", image))
    window.actions.add_paths(paths)
    qtbot.waitUntil(lambda: not window.session.busy
                    and all(e.state == "counted" for e in window.session.project.images), timeout=30_000)
    yield window
    close_window(window)


def _result(**changes):
    values = dict(report_type="ProjectTrainResult", ok=True, message="", model_name="mine-v1", steps=40,
                  minutes=1.0, device="cpu", stop="time budget", f1=0.90, base_f1=0.95, reference="classical")
    return SimpleNamespace(**{**values, **changes})


def test_the_cells_listed_are_those_the_training_uses(qtbot, window):
    project = window.session.project
    first, second = project.images
    project.add_point(first.id, (100.0, 100.0))
    project.add_region(second.id, Region(((10, 10), (60, 50), (10, 50)), kind="polygon"))
    project.add_point(second.id, (30.0, 40.0))
    panel = window.training
    panel.refresh()
    used = {image.name: image.n_cells for image in training_images(project).images}
    listed = {panel.images.item(r, 0).text(): int(panel.images.item(r, 2).text())
              for r in range(panel.images.rowCount())}
    assert listed == {name.split("/")[-1]: n for name, n in used.items()}
    total = sum(listed.values())
    started = SimpleNamespace(model_name="classical-v1", base="", train_images=("a0.png",), val_images=("a1.png",),
                              train_cells=listed["a0.png"], val_cells=listed["a1.png"])
    assert f"{total} annotated cells" in panel._started_text(started)
    halves = SimpleNamespace(**{**vars(started), "train_cells": total - 2, "val_cells": 4})
    assert "counts the 2 cell(s) on the cut in both parts" in panel._started_text(halves)


def test_use_this_model_is_offered_only_when_it_is_better(qtbot, window):
    panel = window.training
    panel._on_report(_result())
    assert "Not better than classical" in panel.status.text() and not panel.use_button.isEnabled()
    assert "Not better than classical" in panel.use_button.toolTip()
    panel._on_report(_result(f1=0.97))
    assert panel.use_button.isEnabled()
    assert "counted as the window counts" in panel.status.text() and "0.970 (new) vs 0.950 (classical)" \
        in panel.status.text()


def test_the_legend_leaves_the_curves_free_and_the_settings_explain_themselves(window):
    panel = window.training
    assert panel.plot.getPlotItem().legend is None
    assert "training loss" in panel.legend.text() and "validation F1" in panel.legend.text()
    assert "minimises" in panel.loss.toolTip() and "set aside" in panel.val_fraction.toolTip()
