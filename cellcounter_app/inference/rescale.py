"""Run a model at its own object size: resize the image, predict, map back.

Counting 40-px cells with a model trained at 20 px runs the network on a
quarter of the pixels; counting 8-px nuclei with it runs on an image enlarged
2.5 times so the network sees what it was trained on.  The probability map is
always returned in the original image's pixels, so everything downstream
(post-processing, measurements, overlays) works in the image's own pixels.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import ndimage as ndi

from .maps import HALF_MAP_PIXELS, map_dtype
from .predictor import CancelCallback, Predictor, TileCallback

NO_RESCALE_TOLERANCE = 0.08
"""Scales within this relative distance of 1 run the image as it is."""

BAND_PIXELS = 4_000_000
"""A very large image or map is resized about this many output pixels at a time."""


def resize_image(image: np.ndarray, scale: float, *, band_pixels: int | None = None) -> np.ndarray:
    """Resize a 2-D or channels-last image by ``scale`` (bilinear, anti-aliased when shrinking).

    Returns float32.  The output size is ``round(side * scale)``, at least 1.
    An image over `HALF_MAP_PIXELS` is read a band of rows at a time (no float
    copy of it whole; ``band_pixels`` sets the band, the result does not depend on it).

    Examples
    --------
    >>> resize_image(np.ones((10, 20), np.uint8), 0.5).shape
    (5, 10)
    """
    data = np.asarray(image)
    if data.ndim not in (2, 3):
        raise ValueError(f"image must be 2-D or (H, W, C), got shape {data.shape}")
    out_shape = tuple(max(1, int(round(s * scale))) for s in data.shape[:2])
    sigma = 0.5 * (1.0 / scale - 1.0) if scale < 1.0 else 0.0
    sigmas = (sigma, sigma) + ((0.0,) if data.ndim == 3 else ())
    fill = _finite_floor(data)
    margin = int(4.0 * sigma + 0.5) if sigma else 0  # the Gaussian's kernel radius (truncate 4)

    def rows(a: int, b: int) -> np.ndarray:
        top, bottom = max(a - margin, 0), min(b + margin, data.shape[0])
        block = np.asarray(data[top:bottom], dtype=np.float32)
        if fill is not None:
            block = np.where(np.isfinite(block), block, np.float32(fill))
        if sigma:
            block = ndi.gaussian_filter(block, sigmas, mode="reflect")
        return block[a - top:b - top]

    whole = band_pixels is None and math.prod(data.shape[:2]) <= HALF_MAP_PIXELS
    return _zoom_rows(rows, data.shape, out_shape, np.float32, None if whole else band_pixels or BAND_PIXELS)


def resize_probability(probability: np.ndarray, shape: tuple[int, int], *,
                       band_pixels: int | None = None) -> np.ndarray:
    """Bilinear resize of a probability map to ``shape`` (in [0, 1]; float32, float16 for a very
    large ``shape``: `cellcounter_app.inference.maps`), a band of rows at a time when either map is
    very large."""
    if probability.shape == tuple(shape):
        return probability
    dtype = map_dtype(shape)
    whole = band_pixels is None and dtype == np.float32 and probability.size <= HALF_MAP_PIXELS

    def rows(a: int, b: int) -> np.ndarray:
        return np.asarray(probability[a:b], np.float32)

    out = _zoom_rows(rows, probability.shape, tuple(shape), dtype, None if whole else band_pixels or BAND_PIXELS)
    return np.clip(out, 0.0, 1.0, out=out)


def _finite_floor(data: np.ndarray) -> float | None:
    """The value non-finite pixels take (the lowest finite one, 0 if none); None when all are finite."""
    if data.dtype.kind != "f":
        return None
    lowest, bad = np.inf, False
    for y in range(0, data.shape[0], 256):
        block = data[y:y + 256]
        finite = np.isfinite(block)
        if not finite.all():
            bad = True
        if finite.any():
            lowest = min(lowest, float(block[finite].min()))
    return (lowest if np.isfinite(lowest) else 0.0) if bad else None


def _zoom_rows(rows: Callable[[int, int], np.ndarray], in_shape: tuple[int, ...], out_shape: tuple[int, int],
               dtype: type[np.floating], band_pixels: int | None) -> np.ndarray:
    """Bilinear resize (`_zoom_to`) of the image whose rows ``[a, b)`` are ``rows(a, b)`` (float32):
    whole when ``band_pixels`` is None, else about that many output pixels at a time (the same values)."""
    n_in, n_out = in_shape[0], out_shape[0]
    if band_pixels is None:
        return _zoom_to(rows(0, n_in), out_shape).astype(dtype, copy=False)
    out = np.empty(tuple(out_shape) + tuple(in_shape[2:]), dtype=dtype)
    low, high, weight = _axis_plan(n_in, n_out)
    step = max(1, band_pixels // max(out_shape[1], 1))
    for o0 in range(0, n_out, step):
        o1 = min(o0 + step, n_out)
        a, b = int(low[o0]), int(high[o1 - 1]) + 1
        band = _blend(rows(a, b), low[o0:o1] - a, high[o0:o1] - a, weight[o0:o1], 0)
        out[o0:o1] = _interpolate_axis(band, out_shape[1], 1)
    return out


def resize_labels(labels: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of a label image to ``shape`` (ids kept, never blended).

    Examples
    --------
    >>> resize_labels(np.array([[0, 1], [2, 3]], np.uint32), (4, 4))[3]
    array([2, 2, 3, 3], dtype=uint32)
    """
    if labels.shape == tuple(shape):
        return labels
    rows = np.minimum(((np.arange(shape[0]) + 0.5) * labels.shape[0] / shape[0]).astype(np.intp), labels.shape[0] - 1)
    cols = np.minimum(((np.arange(shape[1]) + 0.5) * labels.shape[1] / shape[1]).astype(np.intp), labels.shape[1] - 1)
    return labels[rows[:, np.newaxis], cols[np.newaxis, :]]


def _zoom_to(data: np.ndarray, out_shape: tuple[int, ...]) -> np.ndarray:
    """Bilinear resize of the first two axes (pixel centres aligned, edges clamped), float32."""
    out = np.asarray(data, np.float32)
    for axis in (0, 1):
        out = _interpolate_axis(out, out_shape[axis], axis)
    return out


def _interpolate_axis(data: np.ndarray, n_out: int, axis: int) -> np.ndarray:
    n_in = data.shape[axis]
    if n_in == n_out:
        return data
    return _blend(data, *_axis_plan(n_in, n_out), axis)


def _axis_plan(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each of ``n_out`` output positions: the two input indices around its centre and the
    float32 weight of the second (pixel centres aligned, edges clamped)."""
    position = np.clip((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0, n_in - 1)
    low = np.floor(position).astype(np.intp)
    return low, np.minimum(low + 1, n_in - 1), (position - low).astype(np.float32)


def _blend(data: np.ndarray, low: np.ndarray, high: np.ndarray, weight: np.ndarray, axis: int) -> np.ndarray:
    """``data`` taken at ``low`` and ``high`` along ``axis``, mixed by ``weight``."""
    shape = [1] * data.ndim
    shape[axis] = weight.size
    first = np.take(data, low, axis=axis)
    return first + (np.take(data, high, axis=axis) - first) * weight.reshape(shape)


def predict_at_scale(
    model: Predictor,
    image: np.ndarray,
    scale: float,
    *,
    on_tile: TileCallback | None = None,
    cancel: CancelCallback | None = None,
) -> np.ndarray:
    """The model's probability map for ``image`` resized by ``scale``, in the original pixels."""
    if abs(scale - 1.0) <= NO_RESCALE_TOLERANCE:
        return model.predict(image, on_tile=on_tile, cancel=cancel)
    resized = resize_image(image, scale)
    probability = model.predict(resized, on_tile=on_tile, cancel=cancel)
    return resize_probability(probability, image.shape[:2])
