"""The built-in classical model: smoothing, background removal and Otsu.

It needs no network and no file, so CellCounter always has a model, and it is
the baseline the networks are compared with (the seeds report F1 0.61 for
a classical adaptive threshold on FNC).  Its probability map is
``sigmoid((s - t) / scale)`` of the smoothed, background-free image ``s``:
at threshold 0.5 the mask is exactly Otsu's (unless Otsu's threshold lies
within the noise, on a field without cells: see `classical_probability`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi
from scipy import special
from skimage.filters import threshold_otsu

from ..errors import ParameterError
from ..postprocess.params import SPECS_BY_NAME
from .channels import adapt_channels
from .metadata import ModelMeta, Normalization
from .classical_bands import BAND_PIXELS, SmoothBands, background_rows, block_means, opened
from .maps import map_dtype
from .normalize import compute_stats, subsample_step
from .predictor import CancelCallback, CancelledError, TileCallback

REFERENCE_DIAMETER = 20.0
"""Cell diameter (px) the default post-processing values are written for."""

DEFAULTS_AT_REFERENCE = {"min_size": 30, "peak_min_distance": 6, "max_hole_size": 50}
"""Post-processing defaults for ~20-px nuclei, scaled with the diameter."""

MIN_STAIN = 2.0
"""The classical model's ``min_stain`` (chosen leave-one-lab-out on the real sets, `bench/tune_stain.py`)."""

NOISE_FLOOR = 4.0
"""The threshold is at least this many noise deviations above the background level."""

_SLOPE_DIVISOR = 4.0
_STATS_PIXELS = 1_000_000
_FLAT = 1e-6


class ClassicalModel:
    """A `Predictor` without a network: for bright cells on a dark background.

    Parameters
    ----------
    diameter_px : float
        Expected cell diameter in pixels (2 to 1000).  It sets the smoothing
        (sigma = max(1, d / 12)), the background scale (an opening at 2 d) and
        the post-processing defaults (scaled from those for 20-px nuclei).

    Examples
    --------
    >>> yy, xx = np.mgrid[:64, :64]
    >>> image = 100.0 * ((yy - 32) ** 2 + (xx - 32) ** 2 < 100) + 10.0
    >>> p = ClassicalModel().predict(image)
    >>> bool(p[32, 32] > 0.5), bool(p[2, 2] < 0.5)
    (True, True)
    """

    def __init__(self, diameter_px: float = REFERENCE_DIAMETER):
        if isinstance(diameter_px, bool) or not isinstance(diameter_px, (int, float)) or not 2 <= diameter_px <= 1000:
            raise ParameterError(f"diameter_px must be between 2 and 1000 px, got {diameter_px!r}")
        self.diameter_px = float(diameter_px)
        self.meta = ModelMeta(
            name="classical",
            version="1",
            description="Gaussian smoothing, background removal and an Otsu threshold; no network.",
            architecture="classical",
            input_channels=1,
            normalization=Normalization(kind="percentile"),
            output="sigmoid",
            diameter_px=self.diameter_px,
            postprocess=scaled_defaults(self.diameter_px),
        )
        self.provider = "numpy"
        self.sha256 = ""
        self.path: Path | None = None

    def predict(
        self,
        image: np.ndarray,
        *,
        on_tile: TileCallback | None = None,
        cancel: CancelCallback | None = None,
    ) -> np.ndarray:
        """Cell probability of every pixel (the whole image is one tile).

        Parameters
        ----------
        image : ndarray
            2-D ``(H, W)`` or channels-last ``(H, W, C)`` (channels are merged
            by their maximum), any numeric dtype.
        on_tile, cancel : callable, optional
            See `Predictor.predict`.

        Returns
        -------
        ndarray
            ``(H, W)`` in [0, 1]: float32, float16 for a very large image.
        """
        if cancel is not None and cancel():
            raise CancelledError("prediction cancelled after 0 of 1 tiles")
        plane = adapt_channels(image, 1)[0]
        stats = compute_stats(plane, self.meta.normalization)
        probability = classical_probability(plane, self.diameter_px, prepare=stats.apply)
        if on_tile is not None:
            on_tile(1, 1)
        return probability


def classical_probability(image: np.ndarray, diameter_px: float = REFERENCE_DIAMETER, *,
                          prepare: Callable[[np.ndarray], np.ndarray] | None = None,
                          band_pixels: int | None = None) -> np.ndarray:
    """Otsu-centred probability map of bright objects of about ``diameter_px``.

    Parameters
    ----------
    image : ndarray
        2-D image: normalised float intensities (NaN-free), or raw pixels with ``prepare``.
    diameter_px : float
        Expected object diameter in pixels.
    prepare : callable, optional
        Maps a block of rows of ``image`` to its normalised float32 values
        (`cellcounter_app.inference.normalize.NormStats.apply`); default: float32.
    band_pixels : int, optional
        Smooth about this many pixels at a time
        (`cellcounter_app.inference.classical_bands`; the map does not depend
        on it).  Default: the whole image at once, `BAND_PIXELS` at a time
        above `cellcounter_app.inference.maps.HALF_MAP_PIXELS`.

    Returns
    -------
    ndarray
        ``sigmoid((s - t) / scale)`` where ``s`` is the smoothed image minus
        its background, ``t`` Otsu's threshold of ``s`` and ``scale`` a
        quarter of the distance from ``t`` to the median of the pixels above
        it (that median maps to 0.98).  A flat image gives zeros.  float32,
        or float16 for a very large image (`cellcounter_app.inference.maps`).

    Notes
    -----
    Otsu always splits an image in two, so on a field without cells it would
    cut the noise into hundreds of blobs.  ``t`` is therefore raised to at
    least `NOISE_FLOOR` noise deviations above the background level (the
    median of the pixels below Otsu's threshold).  The noise is measured on
    the high-pass residual ``image - smoothed`` (independent of how many
    cells there are); on images with cells Otsu's threshold is nearly always
    the higher one.  Memory: the map and a few bands of rows, whatever the
    image size.
    """
    image = np.asarray(image)
    if image.ndim != 2 or image.size == 0:
        raise ParameterError(f"image must be a non-empty 2-D array, got shape {image.shape}")
    sigma = max(1.0, diameter_px / 12.0)
    factor = _block_factor(diameter_px)
    if band_pixels is None:
        band_pixels = image.size if map_dtype(image.shape) == np.float32 else BAND_PIXELS
    smooth = SmoothBands(image, prepare or _as_float32, sigma, factor, band_pixels)
    step = subsample_step(image.shape, limit=_STATS_PIXELS)
    residual, means = [], []
    for y0, _, prepared, band in smooth.bands():
        grid = (slice((-y0) % step, None, step), slice(None, None, step))
        residual.append(prepared[grid] - band[grid])
        means.append(block_means(band, factor))
    noise = _noise(np.concatenate(residual), sigma)
    small = opened(np.concatenate(means), diameter_px, factor)
    del residual, means

    def signals() -> Iterator[tuple[int, int, np.ndarray]]:
        for y0, y1, _, band in smooth.bands():
            yield y0, y1, band - background_rows(small, factor, y0, y1, image.shape[1])

    lowest, highest, samples = np.inf, -np.inf, []
    kept = None
    for y0, y1, signal in signals():
        lowest, highest = min(lowest, float(signal.min())), max(highest, float(signal.max()))
        samples.append(signal[(-y0) % step::step, ::step].copy())
        kept = signal if smooth.single else None
    out = np.zeros(image.shape, dtype=map_dtype(image.shape))
    if highest - lowest <= _FLAT * max(1.0, abs(highest)):
        return out
    sample = np.concatenate(samples)
    threshold = float(threshold_otsu(sample))
    floor = float(np.median(sample[sample <= threshold])) + NOISE_FLOOR * noise
    threshold = max(threshold, floor)
    above = sample[sample > threshold]
    spread = float(np.median(above)) - threshold if above.size else 0.0
    scale = max(spread / _SLOPE_DIVISOR, _FLAT * (highest - lowest))
    for y0, y1, signal in ([(0, image.shape[0], kept)] if kept is not None else signals()):
        signal -= threshold
        signal /= scale
        out[y0:y1] = special.expit(signal, out=signal)
    return out


def _noise(residual: np.ndarray, sigma: float) -> float:
    """Standard deviation of the pixel noise left in a Gaussian blur of width ``sigma``, from the
    residual ``image - smoothed``: its robust (MAD) deviation divided by ``2 sqrt(pi) sigma``, the
    factor by which such a blur reduces white noise."""
    mad = float(np.median(np.abs(residual - np.median(residual))))
    return 1.4826 * mad / (2.0 * math.sqrt(math.pi) * sigma)


def background(image: np.ndarray, diameter_px: float) -> np.ndarray:
    """Slowly varying background under objects of about ``diameter_px``.

    A grey opening with a square of side ``2 * diameter_px`` (removes every
    bright object smaller than that), computed on a block-averaged copy
    reduced ``diameter_px / 4`` times and interpolated back: fast on large
    images.  Returns float32 of ``image``'s shape.
    """
    factor = _block_factor(diameter_px)
    small = opened(block_means(image, factor), diameter_px, factor)
    return background_rows(small, factor, 0, image.shape[0], image.shape[1])


def _block_factor(diameter_px: float) -> int:
    return max(1, int(diameter_px // 4))


def _as_float32(block: np.ndarray) -> np.ndarray:
    return np.asarray(block, dtype=np.float32)


def scaled_defaults(diameter_px: float) -> dict[str, float]:
    """`DEFAULTS_AT_REFERENCE` scaled to ``diameter_px`` (lengths linearly, areas squared), and `MIN_STAIN`."""
    ratio = diameter_px / REFERENCE_DIAMETER
    values: dict[str, float] = {"min_stain": MIN_STAIN}
    for name, value in DEFAULTS_AT_REFERENCE.items():
        spec = SPECS_BY_NAME[name]
        values[name] = spec.check(max(int(spec.minimum or 0), round(value * ratio ** spec.size_power)))
    return values
