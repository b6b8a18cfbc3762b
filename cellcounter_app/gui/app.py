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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the application; returns the exit status."""
    args = build_parser().parse_args(argv)
    return run(args)


def run(args: argparse.Namespace) -> int:
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
            return screenshot(app, window, Path(args.screenshot))
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
    """Open the project named on the command line, else the last one used; False when none opened."""
    actions = window.actions  # type: ignore[attr-defined]
    if project:
        return bool(actions.open_project(project))
    for folder in actions.recent.list()[:1]:
        try:
            window.session.open_project(folder)  # type: ignore[attr-defined]
        except CellCounterError as exc:
            log.warning("the last project could not be reopened: %s", exc)
            return False
        return True
    return False


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


def screenshot(app: object, window: object, path: Path) -> int:
    """Count the bundled samples in a temporary project and save a picture of the window."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDockWidget

    from .resources import sample_images

    session = window.session  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory(prefix="cellcounter-shot-") as folder:
        window.resize(1500, 950)  # type: ignore[attr-defined]
        window.show()  # type: ignore[attr-defined]
        session.new_project(Path(folder) / "Sample project")
        window.actions.add_paths(sample_images())  # type: ignore[attr-defined]
        done = _wait(app, lambda: not session.busy and all(e.state != "new" for e in session.project.images), 300)
        busiest = max(session.project.images, key=lambda e: e.count or 0)
        session.set_current(busiest.id)
        window.tabs.setCurrentWidget(window.cells)  # type: ignore[attr-defined]
        docks = [window.findChild(QDockWidget, "dock_images"), window.findChild(QDockWidget, "dock_detection")]
        window.resizeDocks(docks, [270, 330], Qt.Orientation.Horizontal)  # type: ignore[attr-defined]
        _wait(app, lambda: False, 1.0)
        window.grab().save(str(path))  # type: ignore[attr-defined]
        window.close()  # type: ignore[attr-defined]
    return 0 if done and path.is_file() else 1


if __name__ == "__main__":
    sys.exit(main())
