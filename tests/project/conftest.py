"""Small images, label images and results for the project tests."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from cellcounter_app.results import ImageResult, ModelInfo

SHAPE = (60, 80)
DISCS = ((15, 20), (15, 60), (45, 40))
"""Centres (row, col) of the three cells of the default label image."""


def _disc_labels(centres=DISCS, radius: int = 6, shape=SHAPE) -> np.ndarray:
    """A label image with one disc per centre (row, col), labelled 1, 2, ..."""
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    labels = np.zeros(shape, np.uint16)
    for i, (r, c) in enumerate(centres, start=1):
        labels[(rows - r) ** 2 + (cols - c) ** 2 <= radius**2] = i
    return labels


def _counted(labels: np.ndarray, path: Path | str = "a.tif", threshold: float = 0.5) -> ImageResult:
    """The result of counting ``labels``, as the pipeline would give it."""
    n = int(labels.max())
    return ImageResult(
        path=Path(path),
        name=Path(path).name,
        summary={"count": float(n), "density_per_mm2": float("nan"), "area_fraction": 0.05,
                 "mean_area_px": 113.0, "mean_area_um2": float("nan"), "pixel_size_um": float("nan"),
                 "height": float(labels.shape[0]), "width": float(labels.shape[1])},
        model=ModelInfo("classical", "1.0", "ab" * 32, "CPUExecutionProvider"),
        params={"threshold": threshold, "min_size": 20, "split_touching": True, "scale": 1.0},
        timestamp="2024-05-01T09:30:00+00:00",
        labels=labels,
    )


@pytest.fixture
def make_images(tmp_path: Path) -> Callable[..., list[Path]]:
    """Write tiny image files ``names`` under ``tmp_path/<folder>``; returns their paths."""

    def make(names=("a01.tif", "a02.tif"), folder: str = "exp/images") -> list[Path]:
        out = []
        for name in names:
            path = tmp_path / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"II*\x00 not really read by the project")
            out.append(path)
        return out

    return make


@pytest.fixture
def disc_labels() -> Callable[..., np.ndarray]:
    """``disc_labels(centres=DISCS, radius=6, shape=SHAPE)``: a label image of discs."""
    return _disc_labels


@pytest.fixture
def counted() -> Callable[..., ImageResult]:
    """``counted(labels, path, threshold)``: an ImageResult as the pipeline gives it."""
    return _counted
