"""Result records shared by the pipeline, the exporters, the project and the GUI.

Plain data, no behaviour beyond conversions: lower layers (``export``,
``project``) read these without importing the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

STATUS_OK = "ok"
STATUS_ERROR = "error"

CELL_COLUMNS: tuple[str, ...] = (
    "cell_id",
    "x",
    "y",
    "area_px",
    "area_um2",
    "equivalent_diameter_px",
    "equivalent_diameter_um",
    "feret_diameter_px",
    "feret_diameter_um",
    "eccentricity",
    "mean_intensity",
    "max_intensity",
    "stain",
)
"""Per-cell columns, in export order. ``x`` is the centroid column, ``y`` the row
(pixels, origin at the top-left pixel's centre); ``*_um*`` columns are NaN when
the image has no pixel size; ``stain`` is the cell's signal over its local
background in units of the image's pixel noise (`cellcounter_app.postprocess.stain`)."""

SUMMARY_KEYS: tuple[str, ...] = (
    "count",
    "density_per_mm2",
    "area_fraction",
    "mean_area_px",
    "mean_area_um2",
    "pixel_size_um",
    "height",
    "width",
)
"""Per-image summary keys (NaN where undefined, e.g. density without calibration)."""

CORRECTION_KEYS: tuple[str, ...] = ("detected", "added", "removed", "corrected", "regions")
"""Summary keys of a count corrected by hand (exported after ``count`` when present):
detections inside the regions, cells added, detections removed, whether the count was
corrected, and the number of counting regions."""

MANUAL_COLUMN = "manual"
"""Per-cell column marking the cells added by hand (a position, no outline)."""


@dataclass(frozen=True)
class ModelInfo:
    """Which model made a result: enough to trace and reproduce it."""

    name: str
    version: str = ""
    sha256: str = ""
    provider: str = ""


@dataclass
class ImageResult:
    """Everything counted for one input file (or why it could not be counted).

    ``cells`` maps each name of `CELL_COLUMNS` to a 1-D array (one entry per
    cell, ordered by ``cell_id``); ``labels`` (uint32, 0 = background) and
    ``probability`` (in [0, 1]; float32, float16 for a very large image: see
    `cellcounter_app.inference.maps`) are kept in memory for overlays, exports
    and live re-post-processing, and may be dropped (None) to save memory.
    """

    path: Path
    name: str
    status: str = STATUS_OK
    error: str = ""
    summary: dict[str, float | str] = field(default_factory=dict)
    cells: dict[str, np.ndarray] = field(default_factory=dict)
    model: ModelInfo | None = None
    params: dict[str, Any] = field(default_factory=dict)
    timestamp: str = ""
    seconds: float = 0.0
    labels: np.ndarray | None = None
    probability: np.ndarray | None = None

    @property
    def ok(self) -> bool:
        return self.status == STATUS_OK

    @property
    def count(self) -> int:
        return int(self.summary.get("count", 0)) if self.ok else 0

    def cell_rows(self) -> list[dict[str, Any]]:
        """Cells as a list of ``{column: value}`` dicts (for tables and CSV)."""
        n = len(self.cells.get("cell_id", ()))
        return [{col: self.cells[col][i].item() for col in CELL_COLUMNS if col in self.cells} for i in range(n)]
