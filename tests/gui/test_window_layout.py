"""The window on a lab PC's screen: it fits, nothing overlaps, and it comes back as it was left."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtWidgets import QApplication, QDockWidget
from window_helpers import close_window, drop, make_images, open_window, wait_counted

from cellcounter_app.gui.error_log import ErrorLog
from cellcounter_app.gui.main_window import QtMainWindow
from cellcounter_app.gui.session import Session
from cellcounter_app.gui.settings import load_settings

TASKBAR_PX = 40


def shown_docks(window):
    """The docks the user sees: open, and not behind another dock's tab."""
    return [dock for dock in window.findChildren(QDockWidget)
            if dock.isVisible() and not dock.visibleRegion().isEmpty()]


def settle(qtbot, window, size: QSize):
    window.resize(size)
    qtbot.waitUntil(lambda: window.size() == size)
    QApplication.processEvents()


def assert_fits(window, size: QSize):
    assert window.minimumSizeHint().height() <= size.height() - TASKBAR_PX
    assert window.minimumSizeHint().width() <= size.width()
    assert window.size() == size
    docks = shown_docks(window)
    assert {d.objectName() for d in docks} >= {"dock_images", "dock_detection", "dock_this_image", "dock_results"}
    for i, a in enumerate(docks):
        assert window.rect().contains(a.geometry()), f"{a.objectName()} is outside the window"
        for b in docks[i + 1:]:
            assert not a.geometry().intersects(b.geometry()), f"{a.objectName()} overlaps {b.objectName()}"
    controls = window.controls
    for button in (controls.this_image, controls.reset, controls.apply_all):
        assert button.isVisible() and not button.visibleRegion().isEmpty(), button.text()
        centre = button.mapTo(window, button.rect().center())
        assert window.childAt(centre) is button, f"{button.text()!r} is covered by {window.childAt(centre)!r}"
    status = window.statusBar()
    assert status.isVisible() and status.geometry().bottom() < size.height()


@pytest.mark.parametrize("size", [QSize(1366, 768), QSize(1024, 700), QSize(1600, 1000), QSize(1920, 1080)])
def test_the_window_fits_a_small_screen_with_nothing_covered(qtbot, tmp_path, size):
    window = open_window(qtbot, tmp_path / "project", default_model="classical")
    settle(qtbot, window, size)
    assert_fits(window, size)
    make_images(tmp_path / "images")
    drop(window, [tmp_path / "images"])
    wait_counted(qtbot, window, 3)
    qtbot.waitUntil(lambda: window.summary.count.text() != "")
    QApplication.processEvents()
    assert_fits(window, size)  # it does not grow back once images and results are shown
    window.session.project.set_params({"min_size": 40})
    qtbot.mouseClick(window.controls.reset, Qt.MouseButton.LeftButton)  # the click reaches the button
    assert "min_size" not in window.session.project.defaults.params
    box = window.controls.this_image
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert box.isChecked()
    close_window(window)


def test_the_first_window_fits_the_screen(qtbot):
    window = open_window(qtbot)
    free = window.screen().availableGeometry().size()
    assert window.width() <= free.width() and window.height() <= free.height()
    close_window(window)


def reopen(qtbot) -> QtMainWindow:
    """A window as the application starts it: with the settings saved on disk."""
    window = QtMainWindow(Session(load_settings()), ErrorLog())
    qtbot.addWidget(window)
    window._test_handler = None
    window.show()
    return window


def test_size_dock_layout_and_last_image_come_back(qtbot, tmp_path):
    make_images(tmp_path / "images")
    window = open_window(qtbot, tmp_path / "project", default_model="classical")
    drop(window, [tmp_path / "images"])
    wait_counted(qtbot, window, 3)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, window.markers_dock)
    window.results_dock.hide()
    settle(qtbot, window, QSize(780, 640).expandedTo(window.minimumSizeHint()))
    size = window.size()
    last = window.session.project.images[2].id
    window.session.set_current(last)
    close_window(window)

    again = reopen(qtbot)
    assert again.actions.open_project(tmp_path / "project")
    assert again.size() == size
    assert again.dockWidgetArea(again.markers_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert not again.results_dock.isVisible()
    assert again.session.current == last
    qtbot.waitUntil(lambda: again.viewer.displayed_data() is not None)
    again.close()


def test_a_damaged_layout_in_the_settings_is_ignored(qtbot, tmp_path):
    from cellcounter_app.gui.settings import save_settings, UserSettings

    save_settings(UserSettings(window_geometry="AAAA", window_state="AAAA"))
    window = reopen(qtbot)
    assert window.isVisible() and window.controls.apply_all.isVisible()
    window.close()
