"""Realistic synthetic fluorescence images with exact instance labels.

There is no licensed training data for cytoplasmic neuron stains, so the
``cells`` model learns their look from these images (``SCIENCE.md``; data
README).  What is drawn, and what is labelled:

- **nuclei**: smooth irregular ellipses with chromatin texture, variable size
  and brightness (some dim), crowded, some pairs and clusters touching;
- **cells** (neuronal somata as in the Fluorescent Neuronal Cells images):
  lumpy, often triangular blobs, some with a darker nucleus, with 0-4 tapering
  processes (dendrites).  **Only the soma is labelled**, as in the FNC
  annotations; processes are signal without label;
- **mixed**: both kinds of object in one image, on tissue;
- background: low-frequency uneven illumination, autofluorescent tissue
  texture (mostly for ``cells``);
- artifacts, never labelled: small saturated debris specks (radius at most
  12 % of the smallest diameter asked for, so never cell-sized), soft stripes
  and long thin filaments;
- optics and camera: Gaussian PSF blur, Poisson-Gaussian noise, offset,
  saturation at 1.

Every labelled object is a stained object drawn with a brightness of at least
`MIN_BRIGHTNESS` above its background, and nothing else cell-sized and bright
is drawn.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import numpy as np
from scipy import ndimage as ndi

from ..errors import ParameterError
from ..inference.channels import adapt_channels
from .data import Sample, make_sample
from .stains import STAIN_COLOURS, colourise, stain_weights
from .synthetic_render import (add_debris, add_filaments, add_stripes, camera, illumination, smooth_noise,
                               tissue)
from .synthetic_shapes import (Blob, Stroke, draw_strokes, outline_radius, place_centres, random_outline,
                               render_blobs)

KINDS = ("nuclei", "cells", "mixed")
COLOURS = ("random", "grey", *STAIN_COLOURS)
DEFAULT_DENSITY: dict[str, tuple[float, float]] = {
    "nuclei": (0.04, 0.30), "cells": (0.005, 0.06), "mixed": (0.02, 0.15)}
"""Fraction of the image area covered by objects, per kind, when ``density`` is not given."""
RANDOM_COLOURS: dict[str, tuple[str, ...]] = {
    "nuclei": ("blue", "blue", "blue", "white", "green", "cyan", "magenta", "red"),
    "cells": ("yellow", "yellow", "yellow", "red", "green", "magenta", "white"),
    "mixed": ("yellow", "red", "green", "blue", "magenta", "white"),
}
"""The stain colours ``colour="random"`` draws from (repeats weigh the draw)."""
MIN_BRIGHTNESS = 0.1
"""Least stain intensity of a labelled object (fraction of full scale) before illumination."""
PROCESS_COUNTS = (0, 1, 1, 2, 2, 3, 3, 4)
"""Processes per soma, drawn uniformly from this list."""
GLOW_CHANCE = 0.4
"""Share of images where a faint unlabelled glow (cytoplasm, neuropil) surrounds the objects."""
MAX_OBJECTS = 5000


def generate(rng: np.random.Generator | int | None = None, *, shape: tuple[int, int] = (512, 512),
             kind: str = "nuclei", colour: str = "random", diameter_px: tuple[float, float] = (12.0, 36.0),
             density: tuple[float, float] | None = None, touching_fraction: float = 0.2,
             artifacts: bool = True, unstained: tuple[float, float] = (0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    """One synthetic fluorescence image and its instance labels.

    Parameters
    ----------
    rng : numpy.random.Generator, int or None
        Random source or seed; the same seed gives the same image.
    shape : (int, int)
        Height and width (px), each >= 16.
    kind : {"nuclei", "cells", "mixed"}
        What is stained (see the module notes).
    colour : {"random", "grey", "yellow", "red", "green", "blue", "magenta", "cyan", "white"}
        Stain colour of an RGB image; ``"grey"`` gives one channel;
        ``"random"`` draws a colour typical of the kind.
    diameter_px : (float, float)
        Range of object diameters (px).  Each image draws a typical
        diameter in it (log-uniformly); objects vary around it within the range.
    density : (float, float), optional
        Range of the fraction of the image covered by objects (default by kind,
        `DEFAULT_DENSITY`).  Crowded images may hold fewer objects when no room is left.
    touching_fraction : float
        Share (0-1) of the objects placed against a neighbour.
    artifacts : bool
        Add unlabelled debris, stripes and filaments.
    unstained : (float, float)
        Range of the share of objects drawn *unstained* and left unlabelled:
        8-25 % of a stained object's brightness, as the somata a stained-cells
        count must not count (the rule of the DeepFLaSH and FNC annotations).
        (0, 0), the default, draws none and keeps every image as before.

    Returns
    -------
    image : ndarray
        float32 ``(3, H, W)`` (``(1, H, W)`` for grey) in [0, 1], 1 = saturated.
    labels : ndarray
        int32 ``(H, W)``, ids 1..n consecutive, 0 = background.

    Examples
    --------
    >>> image, labels = generate(0, shape=(128, 128), colour="blue")
    >>> image.shape, labels.dtype, bool(image[2][labels > 0].mean() > image[0][labels > 0].mean())
    ((3, 128, 128), dtype('int32'), True)
    """
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    shape = _check(shape, kind, colour, diameter_px, density, touching_fraction)
    lo, hi = density if density is not None else DEFAULT_DENSITY[kind]
    typical = math.exp(rng.uniform(math.log(diameter_px[0]), math.log(diameter_px[1])))
    blobs = _blobs(rng, shape, kind, typical, diameter_px, rng.uniform(lo, hi), touching_fraction)
    faint = np.zeros(len(blobs), bool)
    if unstained[1] > 0:
        faint = rng.random(len(blobs)) < rng.uniform(*unstained)
        blobs = [dataclasses.replace(b, brightness=b.brightness * float(rng.uniform(0.08, 0.25))) if f else b
                 for b, f in zip(blobs, faint)]
    texture = 0.6 * smooth_noise(shape, rng.uniform(1.2, 2.5), rng) + 0.8 * smooth_noise(shape, 0.2 * typical, rng)
    labels, signal = render_blobs(shape, blobs, texture)
    _add_processes(signal, blobs, rng)
    if rng.random() < GLOW_CHANCE:
        signal += rng.uniform(0.1, 0.3) * ndi.gaussian_filter(signal, 0.5 * typical, truncate=2.5)
    on_tissue = kind != "nuclei" or rng.random() < 0.25
    roughness = rng.uniform(0.5, 1.5) if on_tissue else rng.uniform(0.0, 0.4)
    background = tissue(shape, rng, rng.uniform(0.01, 0.1), roughness)
    if artifacts:
        _add_artifacts(signal, background, rng, diameter_px[0], float(np.median([b.brightness for b in blobs]))
                       if blobs else 0.5)
    signal = _psf(signal, rng.uniform(0.5, 1.0) + typical * rng.uniform(0.0, 0.04))
    light = illumination(shape, rng, rng.uniform(0.0, 0.5))
    if colour == "random":
        colour = RANDOM_COLOURS[kind][int(rng.integers(len(RANDOM_COLOURS[kind])))]
    if colour == "grey":
        channels = ((signal + background) * light)[None]
    else:
        stain = stain_weights(colour, rng)
        glow = stain_weights(str(rng.choice(["white", "green", "yellow", "red"])), rng, gain=(0.4, 1.0),
                             crosstalk=(0.1, 0.5)) if on_tissue else stain
        channels = colourise(signal * light, stain) + colourise(background * light, glow)
    image = camera(channels, rng, photons=rng.uniform(30.0, 400.0), read_noise=rng.uniform(0.002, 0.012),
                   offset=rng.uniform(0.0, 0.03))
    if faint.any():
        labels[np.isin(labels, np.flatnonzero(faint) + 1)] = 0
    return image, _consecutive(labels, len(blobs))


def generate_dataset(n: int, seed: int, *, channels: int | None = None, **kwargs: object) -> list[Sample]:
    """``n`` synthetic samples, normalised like loaded images (see `Sample`).

    Parameters
    ----------
    n : int
        Number of images (>= 0).
    seed : int
        Seeds the whole set: image ``i`` comes from the ``i``-th child of
        ``numpy.random.SeedSequence(seed)``, so a longer set starts with the
        same images.
    channels : {1, 3}, optional
        Channels of the samples: 1 takes the maximum over RGB, 3 replicates
        grey images; default as generated.
    **kwargs
        Passed to `generate` (``shape``, ``kind``, ``colour``, ...).

    Returns
    -------
    list of Sample
        Named ``"synthetic-<kind>-<seed>-<i>"``, source ``"synthetic-<kind>"``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ParameterError(f"n must be an integer >= 0, got {n!r}")
    if channels not in (None, 1, 3):
        raise ParameterError(f"channels must be None, 1 or 3, got {channels!r}")
    kind = str(kwargs.get("kind", "nuclei"))
    samples = []
    for i, child in enumerate(np.random.SeedSequence(seed).spawn(int(n))):
        image, labels = generate(np.random.default_rng(child), **kwargs)  # type: ignore[arg-type]
        if channels is not None and channels != image.shape[0]:
            image = adapt_channels(np.moveaxis(image, 0, -1), channels)
        samples.append(make_sample(image, labels, f"synthetic-{kind}-{seed}-{i:04d}", f"synthetic-{kind}"))
    return samples


def _blobs(rng: np.random.Generator, shape: tuple[int, int], kind: str, typical: float,
           diameter_px: tuple[float, float], coverage: float, touching_fraction: float) -> list[Blob]:
    """The labelled objects: sizes, outlines, brightness, placed in the image."""
    count = min(MAX_OBJECTS, int(round(coverage * shape[0] * shape[1] / (math.pi / 4 * typical * typical))))
    count = max(count, 1)
    diameters = np.clip(typical * np.exp(rng.normal(0.0, 0.15, count)), diameter_px[0], diameter_px[1])
    soma = np.full(count, kind == "cells") if kind != "mixed" else rng.random(count) < 0.5
    outlines = [random_outline(rng, bool(s)) for s in soma]
    reaches = np.array([0.5 * d * (1 + sum(abs(a) for a in amps)) for d, (amps, _) in zip(diameters, outlines)])

    def extent(i: int, angle: float) -> float:
        return float(outline_radius(0.5 * diameters[i], outlines[i][0], outlines[i][1], angle))

    centres, kept = place_centres(rng, shape, reaches, extent, touching_fraction)
    median = rng.uniform(0.3, 0.8)
    dim_share = rng.uniform(0.0, 0.3)
    blobs = []
    for (y, x), i in zip(centres, kept):
        brightness = median * math.exp(rng.normal(0.0, 0.3))
        if rng.random() < dim_share:
            brightness *= rng.uniform(0.25, 0.5)
        is_soma = bool(soma[i])
        if is_soma:
            edge = rng.uniform(0.8, 1.8) + 0.04 * diameters[i]
        else:
            edge = rng.uniform(0.6, 1.2) + 0.03 * diameters[i]
        blobs.append(Blob(
            y=float(y), x=float(x), radius=0.5 * float(diameters[i]), amplitudes=outlines[i][0],
            phases=outlines[i][1], brightness=float(np.clip(brightness, MIN_BRIGHTNESS, 1.5)), edge=float(edge),
            texture=rng.uniform(0.03, 0.2) if is_soma else rng.uniform(0.05, 0.3),
            hollow=rng.uniform(0.2, 0.5) if is_soma and rng.random() < 0.4 else 0.0, soma=is_soma))
    return blobs


def _add_processes(signal: np.ndarray, blobs: Sequence[Blob], rng: np.random.Generator) -> None:
    """Tapering dendrites leaving each soma (drawn, not labelled)."""
    strokes = []
    for blob in blobs:
        if not blob.soma:
            continue
        for _ in range(PROCESS_COUNTS[int(rng.integers(len(PROCESS_COUNTS)))]):
            angle = rng.uniform(0, 2 * np.pi)
            start = 0.85 * float(blob.outline(np.array([angle]))[0])
            strokes.append(Stroke(
                y=blob.y + start * math.sin(angle), x=blob.x + start * math.cos(angle),
                heading=angle + rng.normal(0.0, 0.3), length=2 * blob.radius * rng.uniform(0.4, 2.5),
                width_start=blob.radius * rng.uniform(0.2, 0.45), width_end=rng.uniform(0.6, 1.2),
                brightness=blob.brightness * rng.uniform(0.35, 0.85), fade=rng.uniform(0.3, 0.9),
                curl=rng.uniform(0.02, 0.08)))
    draw_strokes(signal, strokes, rng)


def _add_artifacts(signal: np.ndarray, background: np.ndarray, rng: np.random.Generator, smallest: float,
                   brightness: float) -> None:
    area = signal.size / 512.0**2
    add_debris(signal, rng, int(rng.poisson(rng.uniform(0.0, 8.0) * area)), min(2.5, 0.12 * smallest))
    if rng.random() < 0.3:
        add_filaments(signal, rng, int(rng.integers(1, 3)), brightness)
    if rng.random() < 0.25:
        add_stripes(background, rng, int(rng.integers(1, 4)), rng.uniform(0.1, 0.3) * brightness)


def _psf(signal: np.ndarray, sigma: float) -> np.ndarray:
    return ndi.gaussian_filter(signal, sigma, mode="nearest", truncate=3.0)


def _consecutive(labels: np.ndarray, count: int) -> np.ndarray:
    """Renumber ``labels`` 1..n when an object lost all its pixels to its neighbours."""
    present = np.bincount(labels.ravel(), minlength=count + 1) > 0
    present[0] = True
    if present.all():
        return labels
    table = np.cumsum(present).astype(np.int32) - 1
    return table[labels]


def _check(shape: tuple[int, int], kind: str, colour: str, diameter_px: tuple[float, float],
           density: tuple[float, float] | None, touching_fraction: float) -> tuple[int, int]:
    if len(shape) != 2 or min(int(s) for s in shape) < 16:
        raise ParameterError(f"shape must be (height, width) with both >= 16 px, got {shape!r}")
    if kind not in KINDS:
        raise ParameterError(f"kind must be one of {KINDS}, got {kind!r}")
    if colour not in COLOURS:
        raise ParameterError(f"colour must be one of {COLOURS}, got {colour!r}")
    lo, hi = diameter_px
    if not 3.0 <= lo <= hi <= min(int(s) for s in shape) / 2:
        raise ParameterError(f"diameter_px must be (lo, hi) with 3 <= lo <= hi <= half the image side, "
                             f"got {diameter_px!r}")
    if density is not None and not 0.0 < density[0] <= density[1] <= 0.6:
        raise ParameterError(f"density must be (lo, hi) with 0 < lo <= hi <= 0.6 (covered fraction), got {density!r}")
    if not 0.0 <= touching_fraction <= 1.0:
        raise ParameterError(f"touching_fraction must be in [0, 1], got {touching_fraction}")
    return int(shape[0]), int(shape[1])
