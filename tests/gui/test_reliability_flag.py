"""The reliability flag in the window: which counts to check by eye, and a live recount that changes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from synthetic_images import MOSTLY_FAINT, stained_discs
from window_helpers import close_window, counted_alone, open_window, wait_counted

from cellcounter_app.gui.images_table_model import COLUMNS
from cellcounter_app.gui.jobs import PreviewRequest, preview
from cellcounter_app.io import read_image

pytestmark = pytest.mark.gui

DECORATION, TOOLTIP = Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole


def mostly_faint(path: Path) -> Path:
    """4 clearly stained discs (stain ~12 x noise) and 12 faint ones (~5.5): the median cell is faint."""
    return stained_discs(path, MOSTLY_FAINT)


def bright(path: Path) -> Path:
    return stained_discs(path, [200] * 16)


def test_a_recount_that_leaves_only_stained_cells_clears_the_flag(tmp_path):
    path = mostly_faint(tmp_path / "images" / "faint.png")
    project, image_id, models, first = counted_alone(tmp_path / "proj", path)
    assert first.summary["count"] == 16
    assert first.params["reliability"] == "check" and "faint cells" in first.params["reliability_reasons"]
    image = read_image(path)
    project.set_params({"min_stain": 10.0})
    stained = preview(PreviewRequest(image_id, first, image, "classical", project.user_params(image_id)), models)
    assert stained.summary["count"] == 4
    assert stained.params["reliability"] == "ok" and stained.params["reliability_reasons"] == ""
    project.set_params({"min_stain": 0.0})
    again = preview(PreviewRequest(image_id, stained, image, "classical", project.user_params(image_id)), models)
    assert again.summary["count"] == 16 and again.params["reliability"] == "check"


@pytest.fixture
def window(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "project", default_model="classical")
    yield window
    close_window(window)


def test_the_image_list_and_this_image_show_which_counts_to_check(qtbot, window, tmp_path):
    mostly_faint(tmp_path / "images" / "faint.png")
    bright(tmp_path / "images" / "bright.png")
    window.actions.add_paths([tmp_path / "images"])
    wait_counted(qtbot, window, 2)
    session, model = window.session, window.browser.table_model
    rows = {e.name: model.row_of(e.id) for e in session.project.images}
    image, flag = COLUMNS.index("image"), COLUMNS.index("reliability")

    faint = model.index(rows["faint.png"], image)
    assert model.data(faint, DECORATION) is not None
    assert "check by eye: faint cells (median stain" in model.data(faint, TOOLTIP)
    assert model.text(rows["faint.png"], flag) == "check"
    assert model.data(model.index(rows["faint.png"], flag), TOOLTIP).startswith("check by eye: faint cells")
    ok = model.index(rows["bright.png"], image)
    assert model.data(ok, DECORATION) is None and "check" not in model.data(ok, TOOLTIP)
    assert model.text(rows["bright.png"], flag) == "ok"
    assert not window.browser.isColumnHidden(image)  # the mark shows in the list, on the name

    ids = {e.name: e.id for e in session.project.images}
    summary = window.summary
    session.set_current(ids["bright.png"])
    qtbot.waitUntil(lambda: summary.count.text().startswith("16"))
    assert summary.reliability.text() == "ok"
    session.set_current(ids["faint.png"])
    qtbot.waitUntil(lambda: summary.reliability.text().startswith("check by eye: faint cells"))

    session.project.set_params({"min_stain": 10.0})  # the live recount keeps only the stained cells
    qtbot.waitUntil(lambda: summary.count.text().startswith("4"), timeout=30_000)
    qtbot.waitUntil(lambda: summary.reliability.text() == "ok")
    assert model.data(model.index(rows["faint.png"], image), DECORATION) is None
