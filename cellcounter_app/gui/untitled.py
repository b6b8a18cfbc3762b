"""Untitled projects: the window's work before the user names a project, kept in the user data folder."""

from __future__ import annotations

import logging
import shutil
from datetime import datetime
from pathlib import Path

from ..inference.registry import user_models_dir
from ..project import Project

log = logging.getLogger(__name__)


def projects_dir() -> Path:
    """Where new, not yet named projects are kept (next to the per-user models)."""
    return user_models_dir().parent / "projects"


def untitled_folder() -> Path:
    """A fresh folder name for an untitled project."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = projects_dir() / f"Untitled-{stamp}"
    number = 1
    while folder.exists():
        number += 1
        folder = projects_dir() / f"Untitled-{stamp}-{number}"
    return folder


def is_untitled(folder: Path) -> bool:
    """Whether ``folder`` is an untitled project of the user data folder (made by `untitled_folder`)."""
    return folder.parent == projects_dir() and folder.name.startswith("Untitled-")


def remove_untitled(folder: Path, project: Project) -> None:
    """Remove an untitled project's old folder after "save as" (kept when an image lies inside it)."""
    inside = [entry.name for entry in project.images if entry.path.is_relative_to(folder)]
    if inside:
        log.warning("the old untitled project folder %s is kept: it holds images of the project (%s)",
                    folder, ", ".join(inside[:3]))
        return
    try:
        shutil.rmtree(folder)
    except OSError as exc:
        log.warning("the old untitled project folder %s could not be removed: %s", folder, exc)


__all__ = ["is_untitled", "projects_dir", "remove_untitled", "untitled_folder"]
