"""The numbers of an image as counted: its summary with corrections and counting regions applied.

The detector's summary (``entry.summary``) averages every detection of the
image; with regions or corrections the count, density, area fraction and mean
cell area the window shows are those of the cells counted
(`cellcounter_app.reports.counted_values`, as in the exported workbook).
Computing them needs the label image, so they are kept per image until its
result, corrections, regions or the correction radius change.
"""

from __future__ import annotations

import weakref
from typing import Any

from ..project import ImageEntry, Project
from ..reports import counted_values

_CACHE: dict[int, dict[str, tuple[tuple, dict[str, Any]]]] = {}
"""Per project (by id, dropped when the project is collected; a project compares by content, so it is
not hashable), per image: the key the values were computed for and the values."""


def counted_summary(project: Project, entry: ImageEntry) -> dict[str, Any]:
    """``entry.summary`` with the values of the cells counted (a copy)."""
    if not entry.is_corrected:
        return dict(entry.summary)
    key = (entry.state, entry.corrections, entry.regions, project.defaults.correction_radius, entry.timestamp,
           tuple(sorted(entry.summary.items())))
    per_image = _CACHE.get(id(project))
    if per_image is None:
        per_image = _CACHE[id(project)] = {}
        weakref.finalize(project, _CACHE.pop, id(project), None)
    cached = per_image.get(entry.id)
    if cached is None or cached[0] != key:
        cached = per_image[entry.id] = (key, counted_values(project, entry))
    return {**entry.summary, **cached[1]}
