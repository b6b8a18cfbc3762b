"""A small hand-made batch of results shared by the export tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cellcounter_app.postprocess.params import PostprocessParams
from cellcounter_app.results import CELL_COLUMNS, STATUS_ERROR, ImageResult, ModelInfo

MODEL = ModelInfo("nuclei", "1.2.0", "ab" * 32, "CPUExecutionProvider")
NAN = float("nan")


def make_cells(n: int, pixel_size_um: float | None, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    cells = {col: rng.uniform(1.0, 90.0, n) for col in CELL_COLUMNS}
    cells["cell_id"] = np.arange(1, n + 1, dtype=np.int64)
    cells["area_px"] = rng.integers(50, 400, n).astype(np.int64)
    for col in CELL_COLUMNS:
        if col.endswith("_um") or col.endswith("_um2"):
            cells[col] = cells[col] if pixel_size_um else np.full(n, np.nan)
    return cells


def _params(**extra: object) -> dict[str, object]:
    return {**PostprocessParams(threshold=0.825).to_dict(), **extra}


@pytest.fixture
def results() -> list[ImageResult]:
    """day1/a.tif (calibrated, 3 cells), day2/b.tif (uncalibrated, 2 cells),
    day2/broken.tif (failed) and empty.tif (top level, no cells)."""
    a = ImageResult(
        Path("/data/day1/a.tif"), "day1/a.tif",
        summary={"count": 3.0, "density_per_mm2": 468.75, "area_fraction": 0.0375,
                 "mean_area_px": 100.0, "mean_area_um2": 25.0, "pixel_size_um": 0.5,
                 "height": 80.0, "width": 100.0},
        cells=make_cells(3, 0.5, seed=1), model=MODEL,
        params=_params(tile_size=512, channel=0), timestamp="2026-01-02T10:00:00+01:00", seconds=1.25,
    )
    b = ImageResult(
        Path("/data/day2/b.tif"), "day2/b.tif",
        summary={"count": 2.0, "density_per_mm2": NAN, "area_fraction": 0.02,
                 "mean_area_px": 80.0, "mean_area_um2": NAN, "pixel_size_um": NAN,
                 "height": 50.0, "width": 40.0},
        cells=make_cells(2, None, seed=2), model=MODEL,
        params=_params(), timestamp="2026-01-02T10:00:02+01:00", seconds=0.5,
    )
    broken = ImageResult(
        Path("/data/day2/broken.tif"), "day2/broken.tif", status=STATUS_ERROR,
        error="truncated TIFF", model=MODEL, params=_params(),
        timestamp="2026-01-02T10:00:03+01:00",
    )
    empty = ImageResult(
        Path("/data/empty.tif"), "empty.tif",
        summary={"count": 0.0, "density_per_mm2": NAN, "area_fraction": 0.0,
                 "mean_area_px": NAN, "mean_area_um2": NAN, "pixel_size_um": NAN,
                 "height": 30.0, "width": 30.0},
        cells={col: np.empty(0) for col in CELL_COLUMNS}, model=MODEL,
        params=_params(), timestamp="2026-01-02T10:00:04+01:00", seconds=0.25,
    )
    return [a, b, broken, empty]
