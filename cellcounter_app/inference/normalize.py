"""Intensity normalisation: raw pixel values to network input.

Statistics are computed once per image (`compute_stats`) and then applied to
any block of it (`NormStats.apply`), so a tiled prediction normalises each tile
with the statistics of the whole image without holding a float copy of it.
Percentiles come from a strided subsample of at most `SAMPLE_PIXELS` pixels per
channel, which keeps huge images cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from .metadata import Normalization

SAMPLE_PIXELS = 4_000_000
"""Most pixels per channel that the percentile statistics look at."""

_CHUNK_ELEMENTS = 1 << 20


@dataclass(frozen=True)
class NormStats:
    """Per-image normalisation: ``out = (x - offset) * scale``.

    ``offset``, ``scale`` and ``fill`` are float64 arrays shaped to broadcast
    against an array with ``ndim`` dimensions (one value per channel along
    ``channel_axis``, or scalars).  Non-finite input pixels are replaced by
    ``fill`` (the lowest finite value) before scaling.
    """

    offset: np.ndarray
    scale: np.ndarray
    fill: np.ndarray
    clip: bool
    ndim: int

    def apply(self, block: np.ndarray) -> np.ndarray:
        """Normalise ``block``, any slice of the image these statistics describe.

        ``block`` must keep the image's dimensions (and its full channel axis);
        its spatial extent may be anything.  Returns float32.
        """
        block = np.asarray(block)
        if block.ndim != self.ndim:
            raise ParameterError(f"block must have {self.ndim} dimensions like its image, got shape {block.shape}")
        wide = block.dtype.itemsize > (4 if block.dtype.kind == "f" else 2)
        out = block.astype(np.float64 if wide else np.float32)
        if block.dtype.kind == "f":
            bad = ~np.isfinite(out)
            if bad.any():
                np.copyto(out, np.broadcast_to(self.fill, out.shape), where=bad, casting="unsafe")
        np.subtract(out, self.offset, out=out, casting="unsafe")
        np.multiply(out, self.scale, out=out, casting="unsafe")
        if self.clip:
            np.clip(out, 0.0, 1.0, out=out)
        return out.astype(np.float32, copy=False)


def compute_stats(image: np.ndarray, norm: Normalization, *, channel_axis: int | None = None) -> NormStats:
    """Normalisation statistics of ``image`` for the rule ``norm``.

    Parameters
    ----------
    image : ndarray
        Any numeric dtype, at least 1-D.
    norm : Normalization
        The model's rule (``percentile``, ``scale`` or ``none``).
    channel_axis : int, optional
        Axis holding channels.  With ``norm.per_channel`` each channel gets its
        own statistics; otherwise (or when None) the image is treated as one.

    Returns
    -------
    NormStats

    Notes
    -----
    NaN and infinite pixels count as the lowest finite value of their channel.
    When the high percentile equals the low one (a sparse image where the
    objects cover less than ``100 - high`` percent of it), the maximum is used
    as the high point instead; a constant channel normalises to zeros.
    """
    image = _check_image(image)
    axis = _check_axis(image, channel_axis)
    if axis is not None and norm.per_channel:
        rows = [_channel_stats(_channel(image, axis, c), norm, None) for c in range(image.shape[axis])]
        shape = [1] * image.ndim
        shape[axis] = -1
    else:
        rows = [_channel_stats(image, norm, axis)]
        shape = []
    offset, scale, fill = (np.array([row[i] for row in rows], dtype=np.float64).reshape(shape) for i in range(3))
    clip = norm.clip and norm.kind != "none"
    return NormStats(offset=offset, scale=scale, fill=fill, clip=clip, ndim=image.ndim)


def normalize(image: np.ndarray, norm: Normalization, *, channel_axis: int | None = None) -> np.ndarray:
    """Normalise a whole image to float32 network input.

    Parameters
    ----------
    image : ndarray
        Any numeric dtype, at least 1-D.
    norm : Normalization
        ``percentile`` maps the ``low``/``high`` percentiles to 0/1, ``scale``
        divides by ``divisor``, ``none`` only converts to float32.
    channel_axis : int, optional
        Axis holding channels (statistics per channel when ``norm.per_channel``).

    Returns
    -------
    ndarray
        float32, same shape as ``image``.  NaN/inf pixels become the value of
        the lowest finite pixel; a constant image becomes zeros.

    Examples
    --------
    >>> x = np.arange(101, dtype=np.uint8)
    >>> out = normalize(x, Normalization(low=0, high=100))
    >>> float(out[0]), float(out[50]), float(out[100])
    (0.0, 0.5, 1.0)
    """
    return compute_stats(image, norm, channel_axis=channel_axis).apply(image)


def subsample(image: np.ndarray, skip_axis: int | None = None, limit: int = SAMPLE_PIXELS) -> np.ndarray:
    """A strided view of ``image`` with at most about ``limit`` positions per ``skip_axis`` entry.

    The same stride is used along every axis but ``skip_axis``; no data is copied.
    """
    step = subsample_step(image.shape, skip_axis, limit)
    index = tuple(slice(None) if i == skip_axis else slice(None, None, step) for i in range(image.ndim))
    return image[index]


def subsample_step(shape: tuple[int, ...], skip_axis: int | None = None, limit: int = SAMPLE_PIXELS) -> int:
    """The stride `subsample` takes along every axis but ``skip_axis`` of an array of ``shape``.

    Examples
    --------
    >>> subsample_step((1000, 1000), limit=10_000)
    10
    """
    dims = [n for i, n in enumerate(shape) if i != skip_axis]
    step = max(1, int((math.prod(dims) / limit) ** (1.0 / max(len(dims), 1))))
    while math.prod(-(-n // step) for n in dims) > limit:
        step += 1
    return step


def _channel_stats(chan: np.ndarray, norm: Normalization, skip_axis: int | None) -> tuple[float, float, float]:
    """``(offset, scale, fill)`` of one channel (or of all channels jointly)."""
    is_float = chan.dtype.kind == "f"
    lowest, highest = _finite_range(chan) if is_float else (0.0, 0.0)
    fill = lowest
    if norm.kind == "none":
        return 0.0, 1.0, fill
    if norm.kind == "scale":
        return 0.0, 1.0 / norm.divisor, fill
    limit = SAMPLE_PIXELS if skip_axis is None else max(1, SAMPLE_PIXELS // chan.shape[skip_axis])
    # a copy, always: for a float64 image the subsample is a view of it (read-only, or the caller's pixels)
    sample = np.array(subsample(chan, skip_axis, limit), dtype=np.float64).reshape(-1)
    if is_float:
        sample[~np.isfinite(sample)] = fill
    lo, hi = (float(v) for v in np.percentile(sample, [norm.low, norm.high]))
    if not hi > lo:
        hi = highest if is_float else float(chan.max())
    if not hi > lo:
        return lo, 0.0, fill
    return lo, 1.0 / (hi - lo), fill


def _finite_range(chan: np.ndarray) -> tuple[float, float]:
    """Lowest and highest finite value of a float array, read in chunks; (0, 0) if none."""
    lowest, highest = np.inf, -np.inf
    flat_rows = chan.reshape(chan.shape[0], -1) if chan.ndim > 1 else chan.reshape(1, -1)
    step = max(1, _CHUNK_ELEMENTS // max(flat_rows.shape[1], 1))
    for start in range(0, flat_rows.shape[0], step):
        block = flat_rows[start:start + step]
        finite = np.isfinite(block)
        lowest = min(lowest, float(np.min(block, where=finite, initial=np.inf)))
        highest = max(highest, float(np.max(block, where=finite, initial=-np.inf)))
    if lowest > highest:
        return 0.0, 0.0
    return lowest, highest


def _channel(image: np.ndarray, axis: int, index: int) -> np.ndarray:
    return image[(slice(None),) * axis + (index,)]


def _check_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype.kind == "b":
        image = image.view(np.uint8)
    if image.dtype.kind not in "iuf":
        raise ParameterError(f"image must have a real numeric dtype, got {image.dtype}")
    if image.ndim == 0 or image.size == 0:
        raise ParameterError(f"image must be a non-empty array, got shape {image.shape}")
    return image


def _check_axis(image: np.ndarray, channel_axis: int | None) -> int | None:
    if channel_axis is None:
        return None
    if not -image.ndim <= channel_axis < image.ndim:
        raise ParameterError(
            f"channel_axis must be in [{-image.ndim}, {image.ndim - 1}] for a {image.ndim}-D image, got {channel_axis}"
        )
    return channel_axis % image.ndim
