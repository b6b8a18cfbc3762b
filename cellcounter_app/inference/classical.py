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
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi
from scipy import special
from skimage.filters import threshold_otsu

from ..errors import ParameterError
from ..postprocess.params import SPECS_BY_NAME
from .channels import adapt_channels
from .metadata import ModelMeta, Normalization
from .normalize import normalize, subsample
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
            float32 ``(H, W)`` in [0, 1].
        """
        if cancel is not None and cancel():
            raise CancelledError("prediction cancelled after 0 of 1 tiles")
        # the normalised copy is handed over without a name here, so it is freed once smoothed
        probability = classical_probability(normalize(adapt_channels(image, 1)[0], self.meta.normalization),
                                            self.diameter_px)
        if on_tile is not None:
            on_tile(1, 1)
        return probability


def classical_probability(image: np.ndarray, diameter_px: float = REFERENCE_DIAMETER) -> np.ndarray:
    """Otsu-centred probability map of bright objects of about ``diameter_px``.

    Parameters
    ----------
    image : ndarray
        2-D float image (normalised intensities; NaN-free).
    diameter_px : float
        Expected object diameter in pixels.

    Returns
    -------
    ndarray
        float32 ``sigmoid((s - t) / scale)`` where ``s`` is the smoothed image
        minus its background, ``t`` Otsu's threshold of ``s`` and ``scale`` a
        quarter of the distance from ``t`` to the median of the pixels above
        it (that median maps to 0.98).  A flat image gives zeros.

    Notes
    -----
    Otsu always splits an image in two, so on a field without cells it would
    cut the noise into hundreds of blobs.  ``t`` is therefore raised to at
    least `NOISE_FLOOR` noise deviations above the background level (the
    median of the pixels below Otsu's threshold).  The noise is measured on
    the high-pass residual ``image - smoothed`` (independent of how many
    cells there are); on images with cells Otsu's threshold is nearly always
    the higher one.
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2 or image.size == 0:
        raise ParameterError(f"image must be a non-empty 2-D array, got shape {image.shape}")
    sigma = max(1.0, diameter_px / 12.0)
    smooth = ndi.gaussian_filter(image, sigma=sigma)
    noise = smoothed_noise(image, smooth, sigma)
    shape = image.shape
    del image  # freed now when the caller kept no reference: a very large image has at most two float copies
    signal = smooth
    signal -= background(smooth, diameter_px)  # in place: smooth is not needed any more
    lowest, highest = float(signal.min()), float(signal.max())
    if highest - lowest <= _FLAT * max(1.0, abs(highest)):
        return np.zeros(shape, dtype=np.float32)
    sample = subsample(signal, limit=_STATS_PIXELS)
    threshold = float(threshold_otsu(sample))
    floor = float(np.median(sample[sample <= threshold])) + NOISE_FLOOR * noise
    threshold = max(threshold, floor)
    above = sample[sample > threshold]
    spread = float(np.median(above)) - threshold if above.size else 0.0
    scale = max(spread / _SLOPE_DIVISOR, _FLAT * (highest - lowest))
    signal -= threshold
    signal /= scale
    return special.expit(signal, out=signal)


def smoothed_noise(image: np.ndarray, smooth: np.ndarray, sigma: float) -> float:
    """Standard deviation of the pixel noise left in ``smooth`` (a Gaussian blur of ``image``).

    Robust (MAD) deviation of the residual ``image - smooth``, divided by the
    factor ``2 sqrt(pi) sigma`` by which a Gaussian blur of width ``sigma``
    reduces white noise.
    """
    residual = subsample(image, limit=_STATS_PIXELS) - subsample(smooth, limit=_STATS_PIXELS)
    mad = float(np.median(np.abs(residual - np.median(residual))))
    return 1.4826 * mad / (2.0 * math.sqrt(math.pi) * sigma)


def background(image: np.ndarray, diameter_px: float) -> np.ndarray:
    """Slowly varying background under objects of about ``diameter_px``.

    A grey opening with a square of side ``2 * diameter_px`` (removes every
    bright object smaller than that), computed on a block-averaged copy
    reduced ``diameter_px / 4`` times and interpolated back: fast on large
    images.  Returns float32 of ``image``'s shape.
    """
    factor = max(1, int(diameter_px // 4))
    height, width = image.shape
    pad = (-height % factor, -width % factor)
    padded = np.pad(image, ((0, pad[0]), (0, pad[1])), mode="edge") if any(pad) else image
    small = padded.reshape(padded.shape[0] // factor, factor, padded.shape[1] // factor, factor).mean(axis=(1, 3))
    side = max(3, 2 * math.ceil(diameter_px / factor) + 1)
    small = ndi.grey_opening(small, size=(side, side), mode="nearest")
    small = ndi.uniform_filter(small, size=3, mode="nearest")
    full = ndi.zoom(small, factor, order=1, mode="nearest", grid_mode=True)
    return full[:height, :width].astype(np.float32, copy=False)


def scaled_defaults(diameter_px: float) -> dict[str, float]:
    """`DEFAULTS_AT_REFERENCE` scaled to ``diameter_px`` (lengths linearly, areas squared), and `MIN_STAIN`."""
    ratio = diameter_px / REFERENCE_DIAMETER
    values: dict[str, float] = {"min_stain": MIN_STAIN}
    for name, value in DEFAULTS_AT_REFERENCE.items():
        spec = SPECS_BY_NAME[name]
        values[name] = spec.check(max(int(spec.minimum or 0), round(value * ratio ** spec.size_power)))
    return values
