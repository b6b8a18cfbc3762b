"""The project model and its on-disk store (no Qt: the GUI is a view of it).

A project is a folder holding ``project.cellcounter.json``, its backup
``project.cellcounter.json.bak`` and a ``results/`` folder of label images.
"""

from __future__ import annotations

from .autosave import Autosaver
from .corrections import (
    CorrectionResult,
    Corrections,
    Detections,
    apply_corrections,
    apply_to_detections,
    cell_at,
)
from .entry import COUNTED, ERROR, MISSING, NEW, STALE, Corrected, Defaults, ImageEntry
from .errors import ProjectError
from .history import Edit, History
from .migrations import CURRENT_VERSION, MIGRATIONS, migrate
from .model import Project
from .paths import BACKUP_SUFFIX, PROJECT_FILE, RESULTS_DIR, project_file
from .recent import RecentProjects
from .regions import Region, points_in_regions, region_mask
from .store import load_project, save_project

__all__ = [
    "BACKUP_SUFFIX",
    "COUNTED",
    "CURRENT_VERSION",
    "CorrectionResult",
    "Corrected",
    "Corrections",
    "Defaults",
    "Detections",
    "ERROR",
    "Edit",
    "History",
    "ImageEntry",
    "MIGRATIONS",
    "MISSING",
    "NEW",
    "PROJECT_FILE",
    "Project",
    "ProjectError",
    "RESULTS_DIR",
    "RecentProjects",
    "Region",
    "STALE",
    "Autosaver",
    "apply_corrections",
    "apply_to_detections",
    "cell_at",
    "load_project",
    "migrate",
    "points_in_regions",
    "project_file",
    "region_mask",
    "save_project",
]
