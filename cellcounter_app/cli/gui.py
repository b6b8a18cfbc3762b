"""``cellcounter gui [PROJECT] [--self-test]``: open the window (needs the ``gui`` extra)."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("gui", help="open the CellCounter window",
                            description="Open the CellCounter window, optionally with a project.")
    parser.add_argument("project", nargs="?", help="a project folder (or its project.cellcounter.json) to open")
    parser.add_argument("--self-test", action="store_true",
                        help="open the window offscreen, count a sample image, exit 0 when all works")
    parser.add_argument("--screenshot", metavar="PNG", help="count the sample images and save a picture "
                        "of the window to PNG")
    parser.add_argument("--screenshot-size", metavar="WxH", help="the window's size in the screenshot, "
                        "e.g. 1366x768 (default 1500x950)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        from ..gui import app
    except ImportError as exc:
        print(f"cellcounter: error: the window needs PySide6 and pyqtgraph "
              f"(pip install 'cellcounter[gui]'): {exc}")
        return 2
    return app.run(args)
