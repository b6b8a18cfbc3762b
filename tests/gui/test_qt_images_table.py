"""The images table widget: selection signal, Ctrl+C, sorting by header, project swap."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from cellcounter_app.gui.images_table_model import COLUMNS  # noqa: E402
from cellcounter_app.gui.qt_images_table import QtImagesTable  # noqa: E402
from cellcounter_app.project import Project  # noqa: E402
from cellcounter_app.results import ImageResult, ModelInfo  # noqa: E402

pytestmark = pytest.mark.gui


def counted(path: Path, n: int) -> ImageResult:
    return ImageResult(path=path, name=path.name, model=ModelInfo("classical", "1.0"),
                       summary={"count": float(n), "density_per_mm2": 100.0 * n, "mean_area_px": 40.0})


@pytest.fixture
def project(tmp_path) -> Project:
    project = Project(tmp_path / "proj")
    paths = []
    for name in ("b1.tif", "b2.tif", "b3.tif"):
        path = tmp_path / "plate" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"x")
        paths.append(path)
    project.add_images(paths)
    for entry, n in zip(project.images, (7, 30, 4)):
        project.record_result(entry.id, counted(entry.path, n))
    return project


@pytest.fixture
def table(qtbot, project):
    widget = QtImagesTable(project)
    qtbot.addWidget(widget)
    widget.resize(800, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def click_row(qtbot, table, row, modifier=Qt.KeyboardModifier.NoModifier):
    rect = table.visualRect(table.model().index(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def test_clicking_a_row_emits_its_image_id(qtbot, table, project):
    with qtbot.waitSignal(table.image_selected) as blocker:
        click_row(qtbot, table, 1)
    assert blocker.args == [project.images[1].id]
    assert table.selected_image_ids() == [project.images[1].id]


def test_select_image_is_quiet_and_follows_sorting(qtbot, table, project):
    header = table.horizontalHeader()
    x = header.sectionViewportPosition(COLUMNS.index("count")) + header.sectionSize(COLUMNS.index("count")) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    assert [table.model().index(r, 0).data() for r in range(3)] == ["b3.tif", "b1.tif", "b2.tif"]
    table.sortByColumn(COLUMNS.index("count"), Qt.SortOrder.DescendingOrder)
    assert [table.model().index(r, 0).data() for r in range(3)] == ["b2.tif", "b1.tif", "b3.tif"]
    with qtbot.assertNotEmitted(table.image_selected):
        table.select_image(project.images[2].id)
    assert table.currentIndex().row() == 2 and table.selected_image_ids() == [project.images[2].id]
    with qtbot.waitSignal(table.image_selected) as blocker:
        click_row(qtbot, table, 0)
    assert blocker.args == [project.images[1].id]


def test_ctrl_c_copies_selected_rows_or_all(qtbot, table, project):
    QApplication.clipboard().clear()
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QApplication.clipboard().text().splitlines()
    assert lines[0].startswith("image\tgroup\tcount\tcorrected\tdensity (/mm²)")
    assert [line.split("\t")[:3] for line in lines[1:]] == [["b1.tif", "plate", "7"], ["b2.tif", "plate", "30"],
                                                            ["b3.tif", "plate", "4"]]
    click_row(qtbot, table, 0)
    click_row(qtbot, table, 2, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QApplication.clipboard().text().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["image", "b1.tif", "b3.tif"]
    assert lines[2].split("\t")[4] == "400.0"
    table.setColumnHidden(COLUMNS.index("group"), True)
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text().splitlines()[1].split("\t")[:3] == ["b1.tif", "7", "7"]


def test_shown_image_ids_follow_the_sort_order(table, project):
    assert table.shown_image_ids() == [e.id for e in project.images]
    table.sortByColumn(COLUMNS.index("count"), Qt.SortOrder.AscendingOrder)
    assert table.shown_image_ids() == [project.images[i].id for i in (2, 0, 1)]


def test_set_project_shows_the_new_one(qtbot, table, project, tmp_path):
    other = Project(tmp_path / "other")
    table.set_project(other)
    assert table.model().rowCount() == 0
    other.add_images([tmp_path / "plate" / "b1.tif"])
    assert table.model().rowCount() == 1
    project.add_images([tmp_path / "plate" / "c.tif"])
    assert table.model().rowCount() == 1


def test_a_deleted_table_stops_listening(qtbot, project, tmp_path):
    table = QtImagesTable(project)
    table.deleteLater()
    qtbot.waitUntil(lambda: not project._subscribers, timeout=2000)
    project.add_images([tmp_path / "plate" / "late.tif"])
    assert len(project.images) == 4
