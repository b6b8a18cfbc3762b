"""Files the window shows: the app icon and the bundled sample images."""

from __future__ import annotations

import sys
from pathlib import Path

import cellcounter_app


def resources_dir() -> Path:
    """``resources/`` of the source tree, or of the frozen application."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(cellcounter_app.__file__).resolve().parent.parent / "resources"


def icon_path() -> Path | None:
    """The application icon (None when the resources are not installed)."""
    path = resources_dir() / "icons" / "cellcounter-256.png"
    return path if path.is_file() else None


def sample_images() -> list[Path]:
    """The bundled sample images, sorted by name."""
    folder = resources_dir() / "sample"
    return sorted(p for p in folder.glob("*") if p.suffix.lower() in (".png", ".tif", ".tiff"))
