"""How clearly each cell is stained: its signal over its local background, in units of the image's noise.

A cell counts when it is clearly stained: its mean intensity stands above the
background around it by several times the pixel noise of the camera.  What a
network finds in a field of camera noise, in an out-of-focus haze or in a dim
unstained soma does not.  ``stain`` is that contrast:

    stain = (mean inside the cell - mean of the ring around it) / noise

The ring is the background (pixels of no cell) within a few pixels of the
cell (where two rings meet, the pixel goes to the higher id); the noise is the image's pixel-to-pixel noise, estimated robustly from
differences of neighbouring pixels (cells and smooth background gradients do
not inflate it).  ``min_stain`` drops cells whose stain is below it.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage as ndi

from .steps import renumber_kept

NOISE_SAMPLE = 250_000
"""At most this many neighbour differences are used for the noise estimate."""


def stain_plane(image: np.ndarray) -> np.ndarray:
    """The plane stain is measured in: the image itself, or the brightest channel of each pixel."""
    plane = np.asarray(image)
    if plane.ndim == 3:
        # channel by channel: ~10x faster than a strided max(axis=2) on an RGB image
        plane = np.maximum.reduce([plane[..., c] for c in range(plane.shape[2])])
    return plane


def noise_sigma(image: np.ndarray) -> float:
    """The pixel noise (standard deviation) of ``image``, robust to cells and gradients.

    The median absolute difference of horizontally neighbouring pixels,
    scaled to a standard deviation for Gaussian noise.  Never below one grey
    level of an integer image, or of a float image holding whole numbers (a background of exact zeros has no noise, but
    its values are still quantised), or a millionth of a float image's range.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> round(float(noise_sigma(rng.normal(100, 5, (256, 256)))), 1)
    5.0
    >>> noise_sigma(np.zeros((8, 8), np.uint8))
    1.0
    """
    plane = stain_plane(image)
    if plane.shape[1] < 2:
        return 1.0
    step = max(1, int(np.ceil(plane.size / NOISE_SAMPLE)))
    rows = plane[::step].astype(np.float32, copy=False)
    diff = np.abs(np.diff(rows, axis=1)).ravel()
    diff = diff[np.isfinite(diff)]
    sigma = float(np.median(diff)) * 1.4826 / np.sqrt(2.0) if diff.size else 0.0
    finite = rows[np.isfinite(rows)]
    if np.issubdtype(plane.dtype, np.integer) or _whole_numbers(finite):
        return max(sigma, 1.0)
    span = float(finite.max() - finite.min()) if finite.size else 0.0
    return max(sigma, span * 1e-6, np.finfo(np.float32).tiny)


def _whole_numbers(values: np.ndarray) -> bool:
    """Whether a float sample holds only whole numbers (an integer image converted to float)."""
    sample = values[:: max(1, values.size // 10_000)]
    return bool(sample.size) and bool(np.all(sample == np.round(sample)))


def cell_stain(labels: np.ndarray, image: np.ndarray, sigma: float | None = None,
               ring: int | None = None) -> np.ndarray:
    """Each cell's stain (index ``i`` for label ``i + 1``) in units of the noise ``sigma``.

    ``ring``: width in px of the background ring (default: a quarter of the
    median cell diameter, 2 to 25 px).  A cell with no background around it
    (packed among others) is compared with the whole image's background.

    Examples
    --------
    >>> image = np.full((40, 40), 10.0); image[10:20, 10:20] = 60.0
    >>> image += np.random.default_rng(0).normal(0, 2, image.shape)
    >>> labels = np.zeros((40, 40), np.int32); labels[10:20, 10:20] = 1; labels[25:35, 25:35] = 2
    >>> [round(float(s)) for s in cell_stain(labels, image, sigma=2.0)]
    [25, 0]
    """
    plane = stain_plane(image)
    labels = np.asarray(labels)
    count = int(labels.max()) if labels.size else 0
    if count == 0:
        return np.zeros(0)
    if sigma is None:
        sigma = noise_sigma(plane)
    if ring is None:
        rows = max(1, BLOCK_PIXELS // max(labels.shape[1], 1))  # bincount copies its input as int64
        area = sum(np.bincount(labels[y:y + rows].ravel(), minlength=count + 1)
                   for y in range(0, labels.shape[0], rows))
        diameter = 2.0 * np.sqrt(np.median(area[1:]) / np.pi)
        ring = int(np.clip(round(diameter / 4.0), 2, 25))
    area, total, ring_n, ring_sum = _sums(labels, ring, plane, count)
    inside = total / np.maximum(area, 1)
    step = max(7, math.ceil(math.sqrt(labels.size / BACKGROUND_SAMPLE)))  # every 7th pixel up to 7000²
    sample = _finite(plane[::step, ::step][labels[::step, ::step] == 0])
    overall = float(np.median(sample)) if sample.size else 0.0
    around = np.where(ring_n > 0, ring_sum / np.maximum(ring_n, 1), overall)
    return (inside - around) / sigma


BACKGROUND_SAMPLE = 1_000_000
"""At most about this many pixels give the background level of the cells without any around them."""

BLOCK_PIXELS = 2_000_000
"""About this many pixels are measured at a time: the temporaries of a 20000² image stay a few tens of MB."""


def _finite(values: np.ndarray) -> np.ndarray:
    """``values`` as float64, non-finite values as 0."""
    if values.dtype.kind != "f":
        return values.astype(np.float64)
    return np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)


def _sums(labels: np.ndarray, ring: int, plane: np.ndarray,
          count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per cell (index ``i`` for label ``i + 1``): pixel count and intensity sum of the cell itself, and of
    the background within ``ring`` px of it (where two rings meet, the higher id takes the pixel).

    One pass, row block by row block: a pixel of cell ``i`` goes to bin
    ``count + 1 + i``, a background pixel to the bin of the ring it is in (0:
    none), a non-finite pixel to bin 0.
    """
    bins = 2 * (count + 1)
    n = np.zeros(bins, np.int64)
    total = np.zeros(bins)
    rows = max(16, BLOCK_PIXELS // max(labels.shape[1], 1))
    for y in range(0, labels.shape[0], rows):
        y0, y1 = max(y - ring, 0), min(y + rows + ring, labels.shape[0])
        values = plane[y:y + rows]
        cells = labels[y:y + rows]
        around = ndi.maximum_filter(labels[y0:y1], size=2 * ring + 1)[y - y0:y - y0 + values.shape[0]]
        key = cells.astype(np.int64)
        key += count + 1
        np.copyto(key, around, where=cells == 0)
        del around
        if values.dtype.kind == "f":
            key[~np.isfinite(values)] = 0
        key = key.ravel()
        n += np.bincount(key, minlength=bins)
        total += np.bincount(key, weights=_finite(values).ravel(), minlength=bins)
    return n[count + 2:], total[count + 2:], n[1:count + 1], total[1:count + 1]


def drop_faint(labels: np.ndarray, image: np.ndarray | None, min_stain: float,
               sigma: float | None = None) -> np.ndarray:
    """``labels`` without the cells whose stain is below ``min_stain`` (renumbered 1..n in raster order).

    Nothing is dropped when ``min_stain`` is 0 or there is no image.
    """
    if not min_stain or image is None or not labels.any():
        return labels
    return stain_filter(labels, image, min_stain, sigma)[0]


def stain_filter(labels: np.ndarray, image: np.ndarray | None, min_stain: float,
                 sigma: float | None = None, *,
                 stain: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """`drop_faint`, and the stain of the cells kept (index ``i`` for label ``i + 1``; None without an image).

    ``stain``: the `cell_stain` of ``labels`` when it is already known.

    Each cell's stain is measured once, among every object found: the value a
    kept cell is given is the value it was kept for, so a count with
    ``min_stain`` t keeps exactly the objects whose stain at ``min_stain`` 0 is
    at least t.

    Examples
    --------
    >>> image = np.full((40, 40), 10.0); image[5:15, 5:15] = 60.0; image[25:35, 25:35] = 12.0
    >>> labels = np.zeros((40, 40), np.int32); labels[5:15, 5:15] = 1; labels[25:35, 25:35] = 2
    >>> kept, stain = stain_filter(labels, image, 3.0, sigma=1.0)
    >>> int(kept.max()), [round(float(s)) for s in stain]
    (1, [50])
    """
    if image is None:
        return labels, None
    if stain is None:
        stain = cell_stain(labels, image, sigma)
    if not min_stain or not stain.size:
        return labels, stain
    keep = np.concatenate(([False], stain >= min_stain))
    if keep[1:].all():
        return labels, stain
    kept, table = renumber_kept(labels, keep)
    old = np.flatnonzero(table)
    kept_stain = np.empty(int(table.max()) if old.size else 0)
    kept_stain[table[old].astype(np.intp) - 1] = stain[old - 1]
    return kept, kept_stain
