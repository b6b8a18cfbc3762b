"""Run a model at its own object size: resize the image, predict, map back.

Counting 40-px cells with a model trained at 20 px runs the network on a
quarter of the pixels; counting 8-px nuclei with it runs on an image enlarged
2.5 times so the network sees what it was trained on.  The probability map is
always returned in the original image's pixels, so everything downstream
(post-processing, measurements, overlays) works in the image's own pixels.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from .predictor import CancelCallback, Predictor, TileCallback

NO_RESCALE_TOLERANCE = 0.08
"""Scales within this relative distance of 1 run the image as it is."""


def resize_image(image: np.ndarray, scale: float) -> np.ndarray:
    """Resize a 2-D or channels-last image by ``scale`` (bilinear, anti-aliased when shrinking).

    Returns float32.  The output size is ``round(side * scale)``, at least 1.

    Examples
    --------
    >>> resize_image(np.ones((10, 20), np.uint8), 0.5).shape
    (5, 10)
    """
    data = np.asarray(image, dtype=np.float32)
    if data.ndim not in (2, 3):
        raise ValueError(f"image must be 2-D or (H, W, C), got shape {data.shape}")
    finite = np.isfinite(data)
    if not finite.all():
        data = np.where(finite, data, np.nanmin(np.where(finite, data, np.nan)) if finite.any() else 0.0)
    out_shape = tuple(max(1, int(round(s * scale))) for s in data.shape[:2])
    if scale < 1.0:
        sigma = 0.5 * (1.0 / scale - 1.0)
        sigmas = (sigma, sigma) + ((0.0,) if data.ndim == 3 else ())
        data = ndi.gaussian_filter(data, sigmas, mode="reflect")
    return _zoom_to(data, out_shape)


def resize_probability(probability: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a probability map to ``shape`` (float32, in [0, 1])."""
    if probability.shape == tuple(shape):
        return probability
    out = _zoom_to(np.asarray(probability, np.float32), tuple(shape))
    return np.clip(out, 0.0, 1.0, out=out)


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
    position = np.clip((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0, n_in - 1)
    low = np.floor(position).astype(np.intp)
    high = np.minimum(low + 1, n_in - 1)
    shape = [1] * data.ndim
    shape[axis] = n_out
    weight = (position - low).astype(np.float32).reshape(shape)
    first = np.take(data, low, axis=axis)
    return first + (np.take(data, high, axis=axis) - first) * weight


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
