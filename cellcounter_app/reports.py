"""A project's results as export records: corrected counts, regions and groups applied.

The exporters write `ImageResult` records; this module makes them from a
project, re-reading each image for its intensities and measuring the cells
its saved label image holds.  Corrections and regions are applied: the
``Cells`` rows are the cells counted (detections kept, then the cells added
by hand, which have a position but no outline), and ``count`` is the
corrected count, with ``detected``, ``added`` and ``removed`` next to it.
A generator, so a window can show progress and cancel.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .errors import CellCounterError
from .export import write_workbook
from .io import read_image
from .markers import rescore
from .markers.setup import marker_specs, measure_saved, read_options
from .measure import counted_summary, measure_cells
from .project import COUNTED, ERROR, STALE, ImageEntry, Project, region_mask
from .results import CELL_COLUMNS, CORRECTION_KEYS, MANUAL_COLUMN, STATUS_ERROR, ImageResult


SECONDS_KEY = "seconds"
"""The summary key under which a project keeps how long an image's count took (the ``seconds`` column)."""


def entry_result(project: Project, entry: ImageEntry, *, measure: bool = True) -> ImageResult:
    """The export record of one image (an error record when it was not counted)."""
    name = _name(project, entry)
    if entry.state not in (COUNTED, STALE):
        error = entry.error if entry.state == ERROR else ("file not found" if entry.missing else "not counted")
        return ImageResult(entry.path, name, status=STATUS_ERROR, error=error, model=entry.model,
                           params=dict(entry.params_used), timestamp=entry.timestamp)
    summary = dict(entry.summary)
    seconds = summary.pop(SECONDS_KEY, None)
    cells: dict[str, np.ndarray] = {}
    correction = project.correction_result(entry.id)
    _, markers = marker_specs(project.defaults.markers)
    if measure and correction is not None:
        detections = project.detections(entry.id)
        try:
            full = read_image(entry.path, read_options(project.defaults.read, project.defaults.markers))
        except CellCounterError:
            full = None
        calibration = summary.get("pixel_size_um")
        calibration = calibration if isinstance(calibration, float) and calibration == calibration else None
        scored = ImageResult(entry.path, name, summary=summary)
        if full is None:  # the file cannot be read now: the cells keep their shapes, without intensities
            scored.cells = measure_cells(detections.labels, None, calibration)
        else:
            measure_saved(scored, detections.labels, full, project.defaults.markers, calibration)
        keep = np.isin(scored.cells["cell_id"], correction.kept_ids)
        scored.cells = {k: np.asarray(v)[keep] for k, v in scored.cells.items()}
        for marker in markers if full is not None else ():
            rescore(scored, marker.name, marker.rule)  # counts of the cells kept after corrections
        summary = scored.summary
        cells = _with_added(scored.cells, correction.added)
    summary.update(counted_values(project, entry))
    corrected = entry.corrected
    summary.update(
        count=float(entry.corrected_count if entry.corrected_count is not None else summary.get("count", 0)),
        detected=float(corrected.n_detected if corrected else summary.get("count", 0)),
        added=float(corrected.n_added if corrected else 0),
        removed=float(corrected.n_removed if corrected else 0),
        corrected=bool(entry.is_corrected),
        regions=float(len(entry.regions)),
    )
    params = dict(entry.params_used)
    if entry.state == STALE:
        params["stale"] = True
    return ImageResult(entry.path, name, summary=summary, cells=cells, model=entry.model, params=params,
                       timestamp=entry.timestamp, seconds=float(seconds) if seconds is not None else 0.0)


def counted_values(project: Project, entry: ImageEntry) -> dict[str, float]:
    """Count, density, area fraction and mean area of the cells an image counts.

    With corrections or counting regions these differ from the detector's
    summary: only the detections kept inside the regions are averaged, and the
    density and area fraction refer to the regions' area (see
    `~cellcounter_app.measure.counted_summary`).  Empty when they do not
    differ or the image's label image is not at hand.
    """
    if entry.state not in (COUNTED, STALE) or not entry.is_corrected:
        return {}
    detections = project.detections(entry.id)
    correction = project.correction_result(entry.id)
    if detections is None or correction is None:
        return {}
    mask = region_mask(detections.labels.shape, entry.regions) if entry.regions else None
    pixel_size = entry.summary.get("pixel_size_um")
    calibrated = isinstance(pixel_size, (int, float)) and math.isfinite(pixel_size) and pixel_size > 0
    return counted_summary(detections.labels, correction.kept_ids, correction.count,
                           float(pixel_size) if calibrated else None, mask)


def project_results(project: Project, image_ids: list[str] | None = None, *,
                    cancel: Callable[[], bool] | None = None) -> Iterator[tuple[int, int, ImageResult]]:
    """Yield ``(done, total, result)`` for each image (all images when ``image_ids`` is None)."""
    entries = project.images if image_ids is None else [project.image(i) for i in image_ids]
    for done, entry in enumerate(entries, start=1):
        if cancel is not None and cancel():
            return
        yield done, len(entries), entry_result(project, entry)


def export_workbook(project: Project, path: str | os.PathLike[str], *, force: bool = False,
                    results: list[ImageResult] | None = None) -> Path:
    """Write the project's results to an Excel workbook (groups as in the project)."""
    results = results if results is not None else [r for _, _, r in project_results(project)]
    info = {"project": str(project.folder), "project name": project.name,
            "corrections": "count = detected - removed + added, inside the regions when any"}
    return write_workbook(results, path, force=force, extra_info=info)


def _name(project: Project, entry: ImageEntry) -> str:
    """``group/file name``: the ``Summary`` sheet totals the images by this folder part."""
    return f"{entry.group}/{entry.name}" if entry.group else entry.name


def _with_added(cells: dict[str, np.ndarray], added: np.ndarray) -> dict[str, np.ndarray]:
    if not len(added):
        return cells
    n = len(added)
    start = int(cells["cell_id"].max()) + 1 if len(cells.get("cell_id", ())) else 1
    extra = {name: np.full(n, np.nan) for name in CELL_COLUMNS}
    extra["cell_id"] = np.arange(start, start + n)
    extra["x"], extra["y"] = added[:, 0], added[:, 1]
    n_cells = len(cells.get("cell_id", ()))
    merged = {name: np.concatenate([np.asarray(cells.get(name, np.full(n_cells, np.nan))), extra[name]])
              for name in CELL_COLUMNS}
    for name, values in cells.items():  # marker columns: an added cell has no measured value
        if name not in merged:
            values = np.asarray(values)
            filler = np.zeros(n, bool) if values.dtype == bool else np.full(n, np.nan)
            merged[name] = np.concatenate([values, filler])
    merged[MANUAL_COLUMN] = np.concatenate([np.zeros(len(cells.get("cell_id", ())), bool), np.ones(n, bool)])
    return merged


__all__ = ["CORRECTION_KEYS", "counted_values", "entry_result", "export_workbook", "project_results"]
