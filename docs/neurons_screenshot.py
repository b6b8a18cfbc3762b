"""The README's picture of stained neurons counted in the window (docs/images/neurons-fnc.png).

Run under Xvfb (1366x768 is the window size)::

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python docs/neurons_screenshot.py \\
        docs/images/neurons-fnc.png --diameter 44

It counts one Fluorescent Neuronal Cells sample of ``../shared/data/neurons-fnc`` (CC BY-SA 4.0)
with the ``neurons`` model in a temporary project, with the cell diameter given, shows the Stain tab
and saves the window with the same `screenshot` that ``cellcounter gui --screenshot`` uses.

With ``--fit`` the other three FNC samples join the project with their annotations imported, the
Stain tab's "Fit to my annotations" sets the minimum stain from them, and the picture shows the
sample (which the fit never saw) recounted with the fitted line.
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
    parser.add_argument("--model", default="neurons")
    parser.add_argument("--size", default="1366x768", help="window size, WIDTHxHEIGHT (default 1366x768)")
    parser.add_argument("--fit", action="store_true",
                        help="fit the minimum stain to the other FNC samples' annotations first")
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
    session = Session(UserSettings(default_model=args.model))
    window = QtMainWindow(session, ErrorLog())
    new_project, lay_out = session.new_project, gui_app._share_right_column

    def with_diameter(folder=None):
        project = new_project(folder)
        if args.diameter:
            project.set_defaults(size={"value": args.diameter, "unit": "px"})
        return project

    size = tuple(int(v) for v in args.size.lower().split("x"))
    others = sorted(p for p in args.image.parent.iterdir() if p != args.image) if args.fit else []

    def showing_stain(shown) -> None:
        lay_out(shown)
        shown.stain_dock.raise_()
        if others:
            fit_on_the_others(shown)

    def fit_on_the_others(shown) -> None:
        from cellcounter_app.training.annotation_store import import_annotation

        project = session.project
        for entry in project.images:
            if entry.path.resolve() != args.image.resolve():
                import_annotation(project, entry.id, args.image.parent.parent / "labels" / f"{entry.path.stem}.tif")
        target = next(e for e in project.images if e.path.resolve() == args.image.resolve())
        session.set_current(target.id)
        notes: list[str] = []
        shown.stain.fit_done.connect(notes.append)
        shown.stain.start_fit()
        gui_app._wait(app, lambda: bool(notes), 300)
        gui_app._wait(app, lambda: False, 1.0)
        gui_app._wait(app, lambda: not session.busy and session._preview is None, 120)  # the live recount
        gui_app._wait(app, lambda: False, 1.0)
        print(notes[0] if notes else "the fit did not end", file=sys.stderr)

    session.new_project = with_diameter
    gui_app._share_right_column = showing_stain
    return gui_app.screenshot(app, window, args.png, size, images=[args.image, *others])


if __name__ == "__main__":
    sys.exit(main())
