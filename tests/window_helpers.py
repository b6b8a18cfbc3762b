"""Building and driving the real main window in tests."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from synthetic_images import disc_image, grid_centres, write_png

from cellcounter_app.gui.error_log import ErrorLog, ErrorLogHandler
from cellcounter_app.gui.main_window import QtMainWindow
from cellcounter_app.gui.session import Session
from cellcounter_app.gui.settings import UserSettings

WAIT_MS = 60_000


def make_images(folder: Path, counts=(3, 5, 4)) -> dict[str, int]:
    """Disc images named img0.png, img1.png, ... with ``counts`` cells each."""
    expected = {}
    for i, n in enumerate(counts):
        image, _ = disc_image(centres=grid_centres(n), seed=i)
        write_png(folder / f"img{i}.png", image)
        expected[f"img{i}.png"] = n
    return expected


def open_window(qtbot, project_folder: Path | None = None, **settings) -> QtMainWindow:
    """A shown main window on a new project (closed by the test's teardown)."""
    import logging

    error_log = ErrorLog()
    handler = ErrorLogHandler(error_log)
    logging.getLogger().addHandler(handler)
    session = Session(UserSettings(threads=2, **settings))
    window = QtMainWindow(session, error_log)
    qtbot.addWidget(window)
    window.destroyed.connect(lambda *_: logging.getLogger().removeHandler(handler))
    window._test_handler = handler
    if project_folder is not None:
        session.new_project(project_folder)
    window.show()
    return window


def close_window(window: QtMainWindow) -> None:
    import logging

    window.close()
    logging.getLogger().removeHandler(window._test_handler)


def drop(window: QtMainWindow, paths: list[Path]) -> None:
    """Drag files or folders over the window and drop them, as a file manager would.

    Qt only routes drop events that come from a real drag, so the window's
    handlers are called directly with the events a drag would deliver.
    """
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    position, actions = QPoint(200, 200), Qt.DropAction.CopyAction
    enter = QDragEnterEvent(position, actions, data, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted(), "the window refused the drag"
    event = QDropEvent(QPointF(position), actions, data, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert event.isAccepted()


def wait_counted(qtbot, window: QtMainWindow, n: int | None = None) -> None:
    """Wait until no image is waiting to be counted and the worker stopped."""
    session = window.session

    def done() -> bool:
        images = session.project.images
        return (not session.busy and bool(images) and all(e.state != "new" or e.missing for e in images)
                and (n is None or len(images) == n))

    qtbot.waitUntil(done, timeout=WAIT_MS)


def counts(window: QtMainWindow) -> dict[str, int | None]:
    return {e.name: e.corrected_count for e in window.session.project.images}


def viewport_point(window: QtMainWindow, x: float, y: float) -> QPoint:
    """Viewport position of the centre of pixel (column x, row y)."""
    QApplication.processEvents()
    viewer = window.viewer
    return viewer.graphics_view.mapFromScene(viewer.image_item.mapToScene(QPointF(x + 0.5, y + 0.5)))


def click_image(qtbot, window: QtMainWindow, x: float, y: float) -> None:
    """Click image pixel (x, y) in the viewer.

    QTest time-stamps its events itself: without a delay longer than the
    double-click interval, two clicks in a row make a double-click.
    """
    qtbot.mouseClick(window.viewer.graphics_view.viewport(), Qt.MouseButton.LeftButton,
                     pos=viewport_point(window, x, y), delay=QApplication.doubleClickInterval() + 10)


def drag_image(qtbot, window: QtMainWindow, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Drag with the left button from image pixel ``start`` to ``end`` (x, y)."""
    widget = window.viewer.graphics_view.viewport()
    a, b = viewport_point(window, *start), viewport_point(window, *end)
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=a)
    for t in (0.25, 0.5, 0.75, 1.0):
        qtbot.wait(15)
        qtbot.mouseMove(widget, QPoint(round(a.x() + t * (b.x() - a.x())), round(a.y() + t * (b.y() - a.y()))))
    qtbot.wait(15)
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=b)


def counted_alone(folder: Path, image: Path, model: str = "classical"):
    """``image`` counted once in a new project in ``folder`` by the window's jobs, without a window:
    ``(project, image id, model cache, result)``."""
    from cellcounter_app.gui.jobs import ImageDone, ModelCache, count_request, run_count
    from cellcounter_app.project import Project

    project = Project(folder)
    project.set_defaults(model=model)
    project.add_images([image])
    image_id = project.images[0].id
    models = ModelCache()
    result = next(e.result for e in run_count(count_request(project, [image_id]), models, lambda: False)
                  if isinstance(e, ImageDone))
    return project, image_id, models, result
