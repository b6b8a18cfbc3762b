"""Take the README's screenshots of the real window (run under Xvfb).

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots.py

Writes ``docs/images/main-window.png`` (the bundled samples counted with
``nuclei``) and ``docs/images/markers.png`` (generated two-channel images:
nuclei in channel 0, a marker in channel 1, positive cells in magenta).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def wait(app, condition, seconds: float = 300.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not finish in time")
        app.processEvents()
        time.sleep(0.01)


def pause(app, seconds: float) -> None:
    """Let the window draw for ``seconds``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def markers_shot(app, window, folder: Path, out: Path) -> None:
    import tifffile
    from synthetic_markers import make_marker_image

    session = window.session
    images = folder / "plate"
    images.mkdir(parents=True)
    for seed in range(3):
        made = make_marker_image(seed, shape=(420, 560), positive_fraction=0.3)
        tifffile.imwrite(images / f"well_A{seed + 1}.tif", np.moveaxis(made.image, -1, 0),
                         metadata={"axes": "CYX"})
    session.new_project(folder / "Marker project")
    window.actions.add_paths([images])
    wait(app, lambda: not session.busy and all(e.state != "new" for e in session.project.images))
    window.markers.refresh()
    window.markers.set_detect_channel(0)
    window.markers.add_marker("cFos", 1)
    session.count_pending()
    wait(app, lambda: not session.busy and all(e.state == "counted" for e in session.project.images))
    window.actions.show_markers_panel()
    window.tabs.setCurrentWidget(window.results)
    pause(app, 1.0)
    window.grab().save(str(out))


def main() -> int:
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    from cellcounter_app.gui.app import screenshot
    from cellcounter_app.gui.error_log import ErrorLog
    from cellcounter_app.gui.main_window import QtMainWindow
    from cellcounter_app.gui.session import Session
    from cellcounter_app.gui.settings import UserSettings

    pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
    app = QApplication.instance() or QApplication([])
    out = ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    window = QtMainWindow(Session(UserSettings()), ErrorLog())
    screenshot(app, window, out / "main-window.png")
    window = QtMainWindow(Session(UserSettings(default_model="nuclei")), ErrorLog())
    window.resize(1500, 950)
    window.show()
    with tempfile.TemporaryDirectory() as folder:
        markers_shot(app, window, Path(folder), out / "markers.png")
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
