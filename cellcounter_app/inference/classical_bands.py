"""The classical model's smoothing and background, a band of rows at a time.

`classical_probability` needs the smoothed, background-free image three
times: for its noise and background statistics, for the threshold, and for
the map itself.  On a very large image one float copy of it is GBs, so each
pass recomputes the smoothing band by band (every band with a margin as wide
as the Gaussian's kernel, so the values are those of the whole image).  An
image that fits in one band is smoothed once and the band is reused.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np
from scipy import ndimage as ndi

BAND_PIXELS = 4_000_000
"""About this many pixels are smoothed at a time."""

TRUNCATE = 4.0
"""The Gaussian kernel's radius in standard deviations (scipy's default)."""


class SmoothBands:
    """The Gaussian-smoothed image, in bands of rows that are multiples of ``factor``.

    ``prepare`` maps a block of raw rows to float32 (normalisation with the
    whole image's statistics).  `bands` yields ``(y0, y1, prepared, smooth)``
    for rows ``[y0, y1)``.
    """

    def __init__(self, image: np.ndarray, prepare: Callable[[np.ndarray], np.ndarray], sigma: float,
                 factor: int, band_pixels: int = BAND_PIXELS):
        self.image, self.prepare, self.sigma = image, prepare, sigma
        self.height, self.width = image.shape
        self.margin = int(TRUNCATE * sigma + 0.5)
        rows = max(band_pixels // max(self.width, 1), 2 * self.margin, factor)
        self.rows = -(-rows // factor) * factor
        self._only: tuple[int, int, np.ndarray, np.ndarray] | None = None

    @property
    def single(self) -> bool:
        return self.rows >= self.height

    def bands(self) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
        if self.single:
            if self._only is None:
                prepared = np.asarray(self.prepare(self.image), dtype=np.float32)
                self._only = (0, self.height, prepared, ndi.gaussian_filter(prepared, self.sigma, truncate=TRUNCATE))
            yield self._only
            return
        for y0 in range(0, self.height, self.rows):
            y1 = min(y0 + self.rows, self.height)
            top, bottom = max(y0 - self.margin, 0), min(y1 + self.margin, self.height)
            prepared = np.asarray(self.prepare(self.image[top:bottom]), dtype=np.float32)
            smooth = ndi.gaussian_filter(prepared, self.sigma, truncate=TRUNCATE)
            inner = slice(y0 - top, y1 - top)
            yield y0, y1, prepared[inner], smooth[inner]


def block_means(band: np.ndarray, factor: int) -> np.ndarray:
    """Means of the ``factor``² blocks of ``band``, its last row and column repeated to fill a partial block."""
    pad = (-band.shape[0] % factor, -band.shape[1] % factor)
    padded = np.pad(band, ((0, pad[0]), (0, pad[1])), mode="edge") if any(pad) else band
    return padded.reshape(padded.shape[0] // factor, factor, padded.shape[1] // factor, factor).mean(axis=(1, 3))


def opened(small: np.ndarray, diameter_px: float, factor: int) -> np.ndarray:
    """The background of the block means ``small``: a grey opening over ``2 * diameter_px``, then a 3² mean."""
    side = max(3, 2 * math.ceil(diameter_px / factor) + 1)
    small = ndi.grey_opening(small, size=(side, side), mode="nearest")
    return ndi.uniform_filter(small, size=3, mode="nearest")


def background_rows(small: np.ndarray, factor: int, y0: int, y1: int, width: int) -> np.ndarray:
    """Rows ``[y0, y1)`` of the background ``small`` interpolated back to full size (float32).

    The same values as interpolating all of ``small`` and cutting the rows out:
    the zoom is linear, so a block of ``small`` one row wider on each side is enough.
    """
    a0 = max(y0 // factor - 1, 0)
    a1 = min(-(-y1 // factor) + 1, small.shape[0])
    full = ndi.zoom(small[a0:a1], factor, order=1, mode="nearest", grid_mode=True)
    return full[y0 - a0 * factor:y1 - a0 * factor, :width].astype(np.float32, copy=False)
