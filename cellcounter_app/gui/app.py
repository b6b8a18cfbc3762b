"""Start the window: ``cellcounter gui [PROJECT]`` and the ``cellcounter-gui`` script.

``--self-test`` opens the main window (offscreen when there is no display),
counts a bundled sample image through the real worker path into a temporary
project, checks the count, and exits 0; any failure exits 1 with the reason.
Installers run it to check a frozen build.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

from .. import __version__
from ..errors import CellCounterError

log = logging.getLogger(__name__)

SELF_TEST_TIMEOUT_S = 180.0
SCREENSHOT_SIZE = "1500x950"
MIN_SCREENSHOT, MAX_SCREENSHOT = (640, 480), (7680, 4320)


def parse_size(text: str) -> tuple[int, int]:
    """``"1366x768"`` as ``(1366, 768)``; `CellCounterError` naming the allowed range otherwise.

    Examples
    --------
    >>> parse_size("1920x1080"), parse_size(" 1366 X 768 ")
    ((1920, 1080), (1366, 768))
    """
    parts = str(text).lower().replace(" ", "").split("x")
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise CellCounterError(f"--screenshot-size must be WIDTHxHEIGHT in pixels such as 1366x768, got {text!r}")
    width, height = int(parts[0]), int(parts[1])
    if not (MIN_SCREENSHOT[0] <= width <= MAX_SCREENSHOT[0] and MIN_SCREENSHOT[1] <= height <= MAX_SCREENSHOT[1]):
        raise CellCounterError(f"--screenshot-size must be between {MIN_SCREENSHOT[0]}x{MIN_SCREENSHOT[1]} and "
                               f"{MAX_SCREENSHOT[0]}x{MAX_SCREENSHOT[1]}, got {text!r}")
    return width, height


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cellcounter gui", description="Open the CellCounter window.")
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", nargs="?", help="a project folder (or its project.cellcounter.json) to open")
    parser.add_argument("--self-test", action="store_true",
                        help="open the window offscreen, count a sample image, exit 0 when all works")
    parser.add_argument("--screenshot", metavar="PNG", help="count the sample images, save a picture of the "
                        "window to PNG and quit (for the documentation)")
    parser.add_argument("--screenshot-size", metavar="WxH", default=SCREENSHOT_SIZE,
                        help=f"the window's size in the screenshot, e.g. 1366x768 (default {SCREENSHOT_SIZE})")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the application; returns the exit status."""
    args = build_parser().parse_args(argv)
    return run(args)


def run(args: argparse.Namespace) -> int:
    shot_size: tuple[int, int] | None = None
    if getattr(args, "screenshot", None):
        try:
            shot_size = parse_size(getattr(args, "screenshot_size", None) or SCREENSHOT_SIZE)
        except CellCounterError as exc:
            print(f"cellcounter gui: error: {exc}", file=sys.stderr)
            return 2
    if args.self_test and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY") \
            and sys.platform.startswith("linux"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    from .error_log import ErrorLog, ErrorLogHandler, install_log_file
    from .main_window import QtMainWindow
    from .session import Session
    from .settings import load_settings, log_path

    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("CellCounter")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("CellCounter")
    error_log = ErrorLog()
    handler = ErrorLogHandler(error_log)
    logging.getLogger().addHandler(handler)
    if logging.getLogger().level > logging.INFO or logging.getLogger().level == logging.NOTSET:
        logging.getLogger().setLevel(logging.INFO)
    log_file: logging.Handler | None = None
    try:
        log_file = install_log_file(log_path())
    except OSError as exc:
        log.warning("no log file: %s", exc)
    session = Session(load_settings())
    window = QtMainWindow(session, error_log)
    window.errors.set_log_file(log_path())
    opener = _file_open_filter(window)
    app.installEventFilter(opener)
    try:
        if args.self_test:
            return self_test(app, window)
        if args.screenshot:
            return screenshot(app, window, Path(args.screenshot), shot_size or parse_size(SCREENSHOT_SIZE))
        if not open_start_project(window, args.project):
            session.new_project()
        window.show()
        return app.exec()
    finally:
        app.removeEventFilter(opener)
        logging.getLogger().removeHandler(handler)
        if log_file is not None:
            logging.getLogger().removeHandler(log_file)
            log_file.close()


def open_start_project(window: object, project: str | None) -> bool:
    """Open the project named on the command line, else the last one used; False when none opened.

    When the last project cannot be read (damaged, from a newer version, gone), a new untitled
    project is opened and a note beside the window says why; the folder is left as it is.
    """
    actions = window.actions  # type: ignore[attr-defined]
    if project:
        return bool(actions.open_project(project))
    for folder in actions.recent.list()[:1]:
        try:
            window.session.open_project(folder)  # type: ignore[attr-defined]
        except CellCounterError as exc:
            log.warning("the last project could not be reopened: %s", exc)
            window.session.new_project()  # type: ignore[attr-defined]
            _note(window, "Last project not reopened",
                  f"The last project, {folder}, could not be reopened:\n{exc}\n\nA new untitled project is open."
                  " Nothing in that folder was changed; open it with File > Open project once it is repaired.")
        return True
    return False


def _note(window: object, title: str, text: str) -> None:
    """A warning that does not block the window (it stays until closed)."""
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, window)
    box.setModal(False)
    box.show()
    window.start_note = box  # type: ignore[attr-defined]


def _file_open_filter(window: object) -> object:
    """Open the project of a file handed over by the system (macOS "Open With", double-click)."""
    from PySide6.QtCore import QEvent, QObject

    class FileOpenFilter(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.FileOpen:
                path = Path(event.file())  # type: ignore[attr-defined]
                window.actions.open_project(path.parent if path.is_file() else path)  # type: ignore[attr-defined]
                return True
            return super().eventFilter(watched, event)

    return FileOpenFilter(window)  # type: ignore[arg-type]


def _wait(app: object, condition: object, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app.processEvents()  # type: ignore[attr-defined]
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def self_test(app: object, window: object) -> int:
    """Count a bundled sample in a temporary project through the real worker; 0 when it worked."""
    from .resources import sample_images

    session = window.session  # type: ignore[attr-defined]
    samples = sample_images()
    if not samples:
        print("self-test: FAILED: no sample images bundled", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="cellcounter-selftest-") as folder:
        try:
            window.show()  # type: ignore[attr-defined]
            session.new_project(Path(folder) / "project")
            window.actions.add_paths(samples[:1])  # type: ignore[attr-defined]
            if not _wait(app, lambda: not session.busy and session.project.images[0].state != "new",
                         SELF_TEST_TIMEOUT_S):
                raise RuntimeError(f"counting did not finish within {SELF_TEST_TIMEOUT_S:.0f} s")
            entry = session.project.images[0]
            if entry.state != "counted" or not entry.count:
                raise RuntimeError(f"{entry.name}: {entry.state} {entry.error or ''} count={entry.count}")
            session.save()
            print(f"self-test: OK: {entry.name}: {entry.count} cells with {entry.model.name} "
                  f"{entry.model.version} on {entry.model.provider or 'CPU'}")
            return 0
        except Exception as exc:  # the self-test reports any failure as its exit status
            log.exception("self-test failed")
            print(f"self-test: FAILED: {exc}", file=sys.stderr)
            return 1
        finally:
            window.close()  # type: ignore[attr-defined]


def screenshot(app: object, window: object, path: Path, size: tuple[int, int] = (1500, 950),
               images: Sequence[Path] | None = None) -> int:
    """Count ``images`` (default: the bundled samples) in a temporary project and save a picture of the window.

    The window is ``size`` (width, height) pixels, docks laid out as the
    window lays them out for that size; 1 when counting did not finish, the
    window could not take that size or the picture was not written.
    """
    from PySide6.QtCore import QSize

    from .resources import sample_images

    session = window.session  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory(prefix="cellcounter-shot-") as folder:
        window.show()  # type: ignore[attr-defined]
        window.resize(QSize(*size))  # type: ignore[attr-defined]
        session.new_project(Path(folder) / "Sample project")
        window.actions.add_paths(list(images) if images is not None else sample_images())  # type: ignore[attr-defined]
        done = _wait(app, lambda: not session.busy and all(e.state != "new" for e in session.project.images), 300)
        busiest = max(session.project.images, key=lambda e: e.count or 0)
        session.set_current(busiest.id)
        window.tabs.setCurrentWidget(window.cells)  # type: ignore[attr-defined]
        window.resize(QSize(*size))  # type: ignore[attr-defined]
        _wait(app, lambda: False, 0.5)
        _share_right_column(window)
        _wait(app, lambda: False, 1.0)
        shown = window.size()  # type: ignore[attr-defined]
        if (shown.width(), shown.height()) != tuple(size):
            print(f"screenshot: the window is {shown.width()}x{shown.height()}, not {size[0]}x{size[1]} "
                  "(a screen smaller than that, or a larger minimum size)", file=sys.stderr)
            done = False
        window.grab().save(str(path))  # type: ignore[attr-defined]
        window.close()  # type: ignore[attr-defined]
    return 0 if done and path.is_file() else 1


def _share_right_column(window: object) -> None:
    """Detection as tall as its fields need (at most 55 % of the column, less on a small screen so that
    This image shows its histogram whole, never under 200 px), This image the rest."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDockWidget

    detection = window.findChild(QDockWidget, "dock_detection")  # type: ignore[attr-defined]
    this_image = window.findChild(QDockWidget, "dock_this_image")  # type: ignore[attr-defined]
    if detection is None or this_image is None:
        return
    column = detection.height() + this_image.height()
    wanted = min(window.controls.sizeHint().height() + 30, int(column * 0.55))  # type: ignore[attr-defined]
    summary = window.summary.minimumSizeHint().height() + 60  # type: ignore[attr-defined]
    wanted = max(200, min(wanted, column - summary))
    window.resizeDocks([detection, this_image], [wanted, column - wanted],  # type: ignore[attr-defined]
                       Qt.Orientation.Vertical)


if __name__ == "__main__":
    sys.exit(main())
