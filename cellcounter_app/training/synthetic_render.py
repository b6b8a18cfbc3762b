"""Everything in a synthetic image that is not a labelled object.

Uneven illumination, autofluorescent tissue, unlabelled artifacts (bright
debris, stripes, filaments), the optics (a Gaussian point-spread function)
and the camera (Poisson photon noise plus Gaussian read noise, an offset and
saturation).  Intensities are fractions of the camera's full scale.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage as ndi

from .synthetic_shapes import Stroke, draw_strokes


def smooth_noise(shape: tuple[int, int], scale: float, rng: np.random.Generator) -> np.ndarray:
    """Zero-mean, unit-std random field varying over about ``scale`` px (float32).

    Coarse scales are drawn on a small grid and interpolated (cheap); fine
    ones are white noise smoothed by a Gaussian of ``scale / 2``.
    """
    height, width = shape
    if scale >= 6.0:
        coarse = (max(2, int(math.ceil(height / scale)) + 1), max(2, int(math.ceil(width / scale)) + 1))
        field = ndi.zoom(rng.standard_normal(coarse).astype(np.float32), (height / coarse[0], width / coarse[1]),
                         order=3, mode="nearest", grid_mode=True)
    else:
        field = ndi.gaussian_filter(rng.standard_normal(shape).astype(np.float32), scale / 2.0)
    field -= field.mean()
    return field / max(float(field.std()), 1e-6)


def illumination(shape: tuple[int, int], rng: np.random.Generator, strength: float) -> np.ndarray:
    """A smooth multiplicative field around 1: vignetting and a random gradient (float32)."""
    height, width = shape
    yy = np.linspace(-1.0, 1.0, height, dtype=np.float32)[:, None] - np.float32(rng.uniform(-0.5, 0.5))
    xx = np.linspace(-1.0, 1.0, width, dtype=np.float32)[None, :] - np.float32(rng.uniform(-0.5, 0.5))
    vignette = 1.0 - strength * rng.uniform(0.2, 0.6) * (yy * yy + xx * xx)
    gradient = strength * 0.3 * smooth_noise(shape, 0.5 * max(shape), rng)
    return np.clip(vignette + gradient, 0.3, None).astype(np.float32)


def tissue(shape: tuple[int, int], rng: np.random.Generator, level: float, roughness: float) -> np.ndarray:
    """Autofluorescent background of mean ``level``: blotches plus streaky fibres (float32, >= 0)."""
    blotches = smooth_noise(shape, rng.uniform(8.0, 40.0), rng)
    fine = ndi.gaussian_filter(rng.standard_normal(shape).astype(np.float32), (rng.uniform(0.8, 4.0), 0.8))
    fine /= max(float(fine.std()), 1e-6)
    if rng.random() < 0.5:
        fine = np.ascontiguousarray(fine.T) if shape[0] == shape[1] else fine
    field = 1.0 + roughness * (0.25 * blotches + 0.15 * fine)
    return (level * np.clip(field, 0.0, None)).astype(np.float32)


def add_debris(signal: np.ndarray, rng: np.random.Generator, count: int, max_radius: float) -> None:
    """Small bright specks (dust, precipitate) of radius <= ``max_radius`` px, in place; saturating."""
    height, width = signal.shape
    for _ in range(count):
        radius = rng.uniform(0.5, max(0.6, max_radius))
        y, x = rng.uniform(0, height), rng.uniform(0, width)
        half = int(math.ceil(radius)) + 1
        y0, y1 = max(int(y) - half, 0), min(int(y) + half + 1, height)
        x0, x1 = max(int(x) - half, 0), min(int(x) + half + 1, width)
        if y0 >= y1 or x0 >= x1:
            continue
        dy = np.arange(y0, y1)[:, None] - y
        dx = np.arange(x0, x1)[None, :] - x
        speck = rng.uniform(1.0, 3.0) * np.clip(radius + 0.5 - np.hypot(dy, dx), 0.0, 1.0)
        np.maximum(signal[y0:y1, x0:x1], speck.astype(np.float32), out=signal[y0:y1, x0:x1])


def add_stripes(background: np.ndarray, rng: np.random.Generator, count: int, amplitude: float) -> None:
    """Long soft straight bands across the image (tissue folds, scan stripes), in place."""
    height, width = background.shape
    yy = np.arange(height, dtype=np.float32)[:, None]
    xx = np.arange(width, dtype=np.float32)[None, :]
    for _ in range(count):
        angle = rng.uniform(0, np.pi)
        y, x = rng.uniform(0, height), rng.uniform(0, width)
        distance = (yy - y) * np.float32(math.cos(angle)) - (xx - x) * np.float32(math.sin(angle))
        half_width = rng.uniform(2.0, 12.0)
        band = np.exp(-np.square(distance / half_width)) * np.float32(amplitude * rng.uniform(0.4, 1.0))
        background += band.astype(np.float32)


def add_filaments(signal: np.ndarray, rng: np.random.Generator, count: int, brightness: float) -> None:
    """Long thin curved bright fibres (hairs, fibres on the slide), in place."""
    height, width = signal.shape
    strokes = [Stroke(y=rng.uniform(0, height), x=rng.uniform(0, width), heading=rng.uniform(0, 2 * np.pi),
                      length=rng.uniform(0.2, 0.8) * (height + width), width_start=rng.uniform(1.0, 2.5),
                      width_end=rng.uniform(0.8, 2.0), brightness=brightness * rng.uniform(0.4, 1.2),
                      fade=rng.uniform(0.0, 0.5), curl=rng.uniform(0.002, 0.02))
               for _ in range(count)]
    draw_strokes(signal, strokes, rng)


def camera(channels: np.ndarray, rng: np.random.Generator, photons: float, read_noise: float,
           offset: float) -> np.ndarray:
    """Poisson-Gaussian noise on ``channels`` (full scale 1.0), offset and clipping to [0, 1] (float32).

    ``photons`` is the number of photons a full-scale pixel collects: fewer
    photons, grainier image.
    """
    counts = rng.poisson(np.clip(channels, 0.0, None).astype(np.float64) * photons).astype(np.float32)
    noisy = counts / np.float32(photons) + np.float32(offset)
    noisy += rng.normal(0.0, read_noise, channels.shape).astype(np.float32)
    return np.clip(noisy, 0.0, 1.0, out=noisy)
