"""Synthetic fluorescence images for the engine benchmark.

Bright, blurred, elliptical cells (some in touching pairs) on a dark,
unevenly lit, noisy background: enough structure that thresholding, hole
filling, watershed splitting and measurement do real work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

@dataclass
class Case:
    """A test image written to disk, its pixels and the number of cells drawn in it."""

    label: str
    path: Path
    data: np.ndarray
    cells: int


CELL_COLOUR = np.array([1.0, 0.85, 0.25])
"""Relative red, green, blue brightness of the RGB cells (a yellow stain, as in FNC)."""


def cell_layer(
    shape: tuple[int, int],
    n_cells: int,
    *,
    seed: int = 0,
    semi_axis: tuple[float, float] = (7.0, 14.0),
    pair_fraction: float = 0.2,
) -> tuple[np.ndarray, int]:
    """A float32 ``(H, W)`` map of cell brightness in [0, 1] and the number of cells drawn.

    Cells sit on a jittered lattice (one site per cell or touching pair);
    a ``pair_fraction`` of the sites hold two cells that touch.  Each cell is
    an ellipse with a soft edge, a slightly dimmer centre and its own
    brightness, and the whole layer is blurred like an objective would.

    Parameters
    ----------
    shape : tuple of int
        ``(H, W)`` of the image, each at least ``8 * semi_axis[1]``.
    n_cells : int
        Cells wanted (>= 1); about that many are drawn (pairs are random and
        cells that would fall outside the image are dropped).
    seed : int
        Seed of the random generator (same seed, same image).
    semi_axis : tuple of float
        Range of the long semi-axis in pixels; the short one is 60-100 % of it.
    pair_fraction : float
        Fraction of the sites holding a touching pair, in [0, 1).

    Returns
    -------
    layer : ndarray
    count : int
    """
    height, width = shape
    lo, hi = semi_axis
    if not 0 < lo <= hi or min(height, width) < 8 * hi:
        raise ValueError(f"semi_axis must satisfy 0 < lo <= hi <= min(shape) / 8, got {semi_axis} for {shape}")
    if n_cells < 1 or not 0 <= pair_fraction < 1:
        raise ValueError(f"n_cells must be >= 1 and pair_fraction in [0, 1), got {n_cells}, {pair_fraction}")
    rng = np.random.default_rng(seed)
    sites = max(1, round(n_cells / (1 + pair_fraction)))
    spacing = math.sqrt(height * width / sites)
    rows = np.arange(spacing / 2, height, spacing)
    cols = np.arange(spacing / 2, width, spacing)
    grid = np.array([(r, c) for r in rows for c in cols])
    grid = grid[rng.permutation(len(grid))[:sites]]
    jitter = rng.uniform(-0.25, 0.25, grid.shape) * spacing
    layer = np.zeros(shape, np.float32)
    count = 0
    for centre in grid + jitter:
        a = rng.uniform(lo, hi)
        angle = rng.uniform(0, math.pi)
        count += _draw_cell(layer, centre, a, a * rng.uniform(0.6, 1.0), angle, rng.uniform(0.5, 1.0))
        if count < n_cells and rng.random() < pair_fraction:
            a2 = rng.uniform(lo, hi)
            step = 0.85 * (a + a2) * np.array([math.sin(angle), math.cos(angle)])
            count += _draw_cell(layer, centre + step, a2, a2 * rng.uniform(0.6, 1.0), angle,
                                rng.uniform(0.5, 1.0))
    ndi.gaussian_filter(layer, 1.5, output=layer)
    return layer, count


def _draw_cell(layer: np.ndarray, centre: np.ndarray, a: float, b: float, angle: float, level: float) -> int:
    """Add one soft-edged ellipse to ``layer`` (max blend); 1 if drawn, 0 if it falls outside."""
    half = int(math.ceil(a)) + 3
    r0, c0 = int(round(centre[0])), int(round(centre[1]))
    top, left = max(r0 - half, 0), max(c0 - half, 0)
    bottom, right = min(r0 + half + 1, layer.shape[0]), min(c0 + half + 1, layer.shape[1])
    if bottom - top < half or right - left < half:
        return 0
    yy, xx = np.mgrid[top:bottom, left:right].astype(np.float32)
    dy, dx = yy - centre[0], xx - centre[1]
    u = (dx * math.cos(angle) + dy * math.sin(angle)) / a
    v = (-dx * math.sin(angle) + dy * math.cos(angle)) / b
    rho = np.sqrt(u * u + v * v)
    edge = 1.0 / (1.0 + np.exp((rho - 1.0) * 12.0))
    profile = (level * edge * (0.8 + 0.2 * np.clip(rho, 0.0, 1.0))).astype(np.float32)
    block = layer[top:bottom, left:right]
    np.maximum(block, profile, out=block)
    return 1


def _shading(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Smooth uneven illumination in [0, 1], float32."""
    coarse = ndi.gaussian_filter(rng.random((9, 9)), 1.0)
    zoom = (shape[0] / coarse.shape[0], shape[1] / coarse.shape[1])
    smooth = ndi.zoom(coarse, zoom, order=1, grid_mode=True, mode="nearest")[: shape[0], : shape[1]]
    smooth -= smooth.min()
    return (smooth / max(float(smooth.max()), 1e-9)).astype(np.float32)


def rgb_cells(shape: tuple[int, int] = (1200, 1600), n_cells: int = 300, seed: int = 1) -> tuple[np.ndarray, int]:
    """An RGB uint8 ``(H, W, 3)`` image of yellow cells and the number of cells in it."""
    rng = np.random.default_rng(seed)
    layer, count = cell_layer(shape, n_cells, seed=seed)
    background = 8.0 + 14.0 * _shading(shape, rng)
    image = np.empty((*shape, 3), np.uint8)
    for channel, weight in enumerate(CELL_COLOUR):
        plane = background + 210.0 * weight * layer + rng.normal(0.0, 4.0, shape).astype(np.float32)
        image[..., channel] = np.clip(plane, 0, 255).astype(np.uint8)
    return image, count


def grey16_cells(shape: tuple[int, int] = (4096, 4096), n_cells: int = 2600, seed: int = 2) -> tuple[np.ndarray, int]:
    """A 16-bit grey ``(H, W)`` image of nuclei-like cells and the number of cells in it."""
    rng = np.random.default_rng(seed)
    layer, count = cell_layer(shape, n_cells, seed=seed)
    plane = 400.0 + 600.0 * _shading(shape, rng)
    plane += 24000.0 * layer
    plane += rng.normal(0.0, 1.0, shape).astype(np.float32) * np.sqrt(plane)
    return np.clip(plane, 0, 65535).astype(np.uint16), count
