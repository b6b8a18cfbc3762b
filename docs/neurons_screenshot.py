"""The README's picture of stained neurons counted in the window (docs/images/neurons-fnc.png).

Run under Xvfb (1366x768 is the window size)::

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python docs/neurons_screenshot.py \\
        docs/images/neurons-fnc.png --diameter 44

It counts one Fluorescent Neuronal Cells sample of ``../shared/data/neurons-fnc`` (CC BY-SA 4.0)
with the ``neurons`` model in a temporary project, with the cell diameter given, shows the Stain tab
and saves the window with the same `screenshot` that ``cellcounter gui --screenshot`` uses.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "neurons-fnc" / "train" / "images" \
    / "yellow_Mar19bS1C4R2_LHr_200x.png"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("png", type=Path)
    parser.add_argument("--diameter", type=float, default=44.0, help="cell diameter in px (0: auto)")
    parser.add_argument("--image", type=Path, default=SAMPLE)
    args = parser.parse_args()
    if not args.image.is_file():
        print(f"{args.image}: no such image (the FNC samples are in ../shared/data)", file=sys.stderr)
        return 1
    os.environ["CELLCOUNTER_CONFIG_DIR"] = tempfile.mkdtemp(prefix="cellcounter-shot-config-")

    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    from cellcounter_app.gui import app as gui_app
    from cellcounter_app.gui.error_log import ErrorLog
    from cellcounter_app.gui.main_window import QtMainWindow
    from cellcounter_app.gui.session import Session
    from cellcounter_app.gui.settings import UserSettings

    pg.setConfigOptions(imageAxisOrder="row-major")
    app = QApplication.instance() or QApplication([])
    session = Session(UserSettings(default_model="neurons"))
    window = QtMainWindow(session, ErrorLog())
    new_project, lay_out = session.new_project, gui_app._share_right_column

    def with_diameter(folder=None):
        project = new_project(folder)
        if args.diameter:
            project.set_defaults(size={"value": args.diameter, "unit": "px"})
        return project

    def showing_stain(shown) -> None:
        lay_out(shown)
        shown.stain_dock.raise_()

    session.new_project = with_diameter
    gui_app._share_right_column = showing_stain
    return gui_app.screenshot(app, window, args.png, (1366, 768), images=[args.image])


if __name__ == "__main__":
    sys.exit(main())
