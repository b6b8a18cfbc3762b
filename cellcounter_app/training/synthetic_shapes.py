"""Objects of the synthetic images: placement, outlines, labels and stain signal.

A `Blob` is a star-convex outline ``r(theta) = R * (1 + sum_k a_k cos(k theta +
phi_k))``: smooth irregular ellipses for nuclei, lumpier (often triangular)
shapes for neuronal somata.  `render_blobs` paints the labels and the noise-free
signal together, so that every labelled pixel is a stained pixel; where two
objects touch, each pixel goes to the object it lies deeper inside.  Processes
(dendrites) and filaments are tapering curved strokes drawn by `draw_strokes`;
they are signal only, never labels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

HARMONICS = (2, 3, 4, 5)
"""Orders of the outline's Fourier terms."""


@dataclass(frozen=True)
class Blob:
    """One labelled object: where it is, its outline and how it is stained.

    ``amplitudes`` and ``phases`` pair with `HARMONICS`.  ``edge`` is the
    half-width (px) of the intensity ramp at the outline; ``hollow`` (0-1)
    dims a nucleus-sized core (cytoplasmic stains); ``texture`` scales the
    chromatin/granule texture.
    """

    y: float
    x: float
    radius: float
    amplitudes: tuple[float, ...]
    phases: tuple[float, ...]
    brightness: float
    edge: float
    texture: float
    hollow: float
    soma: bool

    @property
    def reach(self) -> float:
        """Largest distance of the outline from the centre (px)."""
        return self.radius * (1.0 + sum(abs(a) for a in self.amplitudes))

    def outline(self, theta: np.ndarray) -> np.ndarray:
        """Radius of the outline (px) at angles ``theta``."""
        return outline_radius(self.radius, self.amplitudes, self.phases, theta)


def outline_radius(radius: float, amplitudes: Sequence[float], phases: Sequence[float],
                   theta: np.ndarray | float) -> np.ndarray:
    """``r(theta)`` of a star-convex outline with these Fourier terms (see `HARMONICS`)."""
    theta = np.asarray(theta, dtype=np.float32)
    r = np.ones_like(theta)
    for k, a, phi in zip(HARMONICS, amplitudes, phases):
        if a:
            r += np.float32(a) * np.cos(k * theta + np.float32(phi))
    return radius * r


def random_outline(rng: np.random.Generator, soma: bool) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Fourier amplitudes and phases of a random nucleus (smooth) or soma (lumpy) outline."""
    if soma:
        amplitudes = (rng.uniform(0.0, 0.3), rng.uniform(0.0, 0.18), rng.normal(0, 0.04), rng.normal(0, 0.03))
    else:
        amplitudes = (rng.uniform(0.0, 0.3), rng.normal(0, 0.04), rng.normal(0, 0.02), rng.normal(0, 0.012))
    return tuple(float(a) for a in amplitudes), tuple(float(p) for p in rng.uniform(0, 2 * np.pi, len(HARMONICS)))


def place_centres(rng: np.random.Generator, shape: tuple[int, int], reaches: np.ndarray,
                  extent: Callable[[int, float], float], touching_fraction: float,
                  attempts: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Centres for objects of the given ``reaches`` (px), most apart, some touching a neighbour.

    Objects keep their reaches plus 1 px apart, except the chosen touching
    ones, which are put against an already placed object so that their
    outlines (``extent(i, angle)``: the outline radius of object ``i`` towards
    ``angle``) overlap by 0-15 % along the line between the centres.  Centres
    lie inside the image.  Objects that find no room in ``attempts`` tries are
    left out.

    Returns
    -------
    centres : ndarray
        float ``(n, 2)`` (row, column) of the placed objects.
    kept : ndarray
        Indices into ``reaches`` of the placed objects.
    """
    height, width = shape
    bucket = 2.0 * float(reaches.max(initial=1.0)) + 2.0
    grid: dict[tuple[int, int], list[int]] = {}
    centres: list[tuple[float, float]] = []
    kept: list[int] = []
    for i, reach in enumerate(reaches):
        touch = rng.random() < touching_fraction
        for _ in range(attempts):
            partner = -1
            if touch and kept:
                partner = int(rng.integers(len(kept)))
                py, px = centres[partner]
                angle = rng.uniform(0, 2 * np.pi)
                dist = (extent(kept[partner], angle) + extent(i, angle + math.pi)) * rng.uniform(0.85, 1.0)
                y, x = py + dist * math.sin(angle), px + dist * math.cos(angle)
            else:
                y, x = rng.uniform(0, height - 1), rng.uniform(0, width - 1)
            if not (0 <= y <= height - 1 and 0 <= x <= width - 1):
                continue
            if _free(y, x, reach, partner, grid, centres, kept, reaches, bucket):
                grid.setdefault((int(y // bucket), int(x // bucket)), []).append(len(centres))
                centres.append((y, x))
                kept.append(i)
                break
    return np.asarray(centres, dtype=np.float64).reshape(-1, 2), np.asarray(kept, dtype=np.intp)


def _free(y: float, x: float, reach: float, partner: int, grid: dict[tuple[int, int], list[int]],
          centres: list[tuple[float, float]], kept: list[int], reaches: np.ndarray, bucket: float) -> bool:
    by, bx = int(y // bucket), int(x // bucket)
    for gy in (by - 1, by, by + 1):
        for gx in (bx - 1, bx, bx + 1):
            for j in grid.get((gy, gx), ()):
                if j == partner:
                    continue
                cy, cx = centres[j]
                if math.hypot(cy - y, cx - x) < reach + reaches[kept[j]] + 1.0:
                    return False
    return True


def render_blobs(shape: tuple[int, int], blobs: list[Blob], texture: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels (int32, ids 1..n in ``blobs`` order) and stain signal (float32) of the objects.

    ``texture`` is a zero-mean field of the image's shape (unit standard
    deviation) that modulates each object's brightness by ``1 + blob.texture * texture``.
    """
    height, width = shape
    labels = np.zeros(shape, np.int32)
    depth = np.zeros(shape, np.float32)
    signal = np.zeros(shape, np.float32)
    for index, blob in enumerate(blobs, start=1):
        half = int(math.ceil(blob.reach + 2 * blob.edge + 1))
        y0, y1 = max(int(blob.y) - half, 0), min(int(blob.y) + half + 2, height)
        x0, x1 = max(int(blob.x) - half, 0), min(int(blob.x) + half + 2, width)
        dy = np.arange(y0, y1, dtype=np.float32)[:, None] - np.float32(blob.y)
        dx = np.arange(x0, x1, dtype=np.float32)[None, :] - np.float32(blob.x)
        rho = np.hypot(dy, dx)
        outline = blob.outline(np.arctan2(dy, dx))
        inside = outline - rho
        profile = np.clip(0.5 + inside / (2.0 * blob.edge), 0.0, 1.0)
        relative = np.clip(inside / outline, 0.0, 1.0)
        profile *= 0.8 + 0.2 * np.sqrt(relative)
        if blob.hollow:
            profile *= 1.0 - blob.hollow * np.exp(-np.square(rho / (0.45 * blob.radius)))
        local = texture[y0:y1, x0:x1]
        value = blob.brightness * profile * np.clip(1.0 + blob.texture * local, 0.3, None)
        np.maximum(signal[y0:y1, x0:x1], value, out=signal[y0:y1, x0:x1])
        own = (inside > 0) & (relative > depth[y0:y1, x0:x1])
        labels[y0:y1, x0:x1][own] = index
        depth[y0:y1, x0:x1][own] = relative[own]
    return labels, signal


@dataclass(frozen=True)
class Stroke:
    """A tapering curved line: start point, heading, length, widths and brightness."""

    y: float
    x: float
    heading: float
    length: float
    width_start: float
    width_end: float
    brightness: float
    fade: float
    curl: float


def draw_strokes(canvas: np.ndarray, strokes: list[Stroke], rng: np.random.Generator) -> None:
    """Draw ``strokes`` into ``canvas`` in place (maximum with what is there).

    The centre line is a random walk of the heading (``curl`` radians per
    pixel); brightness falls linearly by ``fade`` (0-1) from start to end.
    """
    height, width = canvas.shape
    ys: list[np.ndarray] = []
    xs: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for stroke in strokes:
        steps = max(2, int(stroke.length / 0.5))
        t = np.linspace(0.0, 1.0, steps)
        heading = stroke.heading + np.cumsum(rng.normal(0.0, stroke.curl * math.sqrt(0.5), steps))
        cy = stroke.y + np.cumsum(0.5 * np.sin(heading))
        cx = stroke.x + np.cumsum(0.5 * np.cos(heading))
        half = 0.5 * (stroke.width_start + (stroke.width_end - stroke.width_start) * t)
        across = np.linspace(-1.0, 1.0, max(1, int(math.ceil(2 * half.max() / 0.6)) + 1))
        offset = half[:, None] * across[None, :]
        ys.append((cy[:, None] + offset * np.cos(heading)[:, None]).ravel())
        xs.append((cx[:, None] - offset * np.sin(heading)[:, None]).ravel())
        value = stroke.brightness * (1.0 - stroke.fade * t)
        values.append(np.repeat(value, across.size))
    if not ys:
        return
    y = np.rint(np.concatenate(ys)).astype(np.intp)
    x = np.rint(np.concatenate(xs)).astype(np.intp)
    v = np.concatenate(values).astype(np.float32)
    ok = (y >= 0) & (y < height) & (x >= 0) & (x < width)
    np.maximum.at(canvas, (y[ok], x[ok]), v[ok])
