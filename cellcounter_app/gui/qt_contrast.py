"""What the viewer shows of an image: channel choice, automatic contrast, LUTs.

Arrays in, arrays out, except :func:`colormap`, which builds the pyqtgraph
colour map of a LUT name for the viewer's histogram control.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from ..errors import ParameterError

COMPOSITE = -1
"""Channel index meaning "all channels": RGB for 3 channels, the maximum otherwise."""

LUTS: dict[str, tuple[tuple[float, tuple[int, int, int]], ...]] = {
    "grey": ((0.0, (0, 0, 0)), (1.0, (255, 255, 255))),
    "green": ((0.0, (0, 0, 0)), (1.0, (0, 255, 0))),
    "red": ((0.0, (0, 0, 0)), (1.0, (255, 0, 0))),
    "blue": ((0.0, (0, 0, 0)), (1.0, (0, 96, 255))),
    "magenta": ((0.0, (0, 0, 0)), (1.0, (255, 0, 255))),
    "cyan": ((0.0, (0, 0, 0)), (1.0, (0, 255, 255))),
    "yellow": ((0.0, (0, 0, 0)), (1.0, (255, 255, 0))),
    "fire": (
        (0.0, (0, 0, 0)),
        (0.25, (110, 0, 160)),
        (0.5, (230, 40, 30)),
        (0.75, (255, 190, 0)),
        (1.0, (255, 255, 255)),
    ),
}
"""Look-up tables of single-channel display, as (position, RGB) stops from dark to bright."""


def colormap(name: str) -> pg.ColorMap:
    """The pyqtgraph colour map of the LUT called ``name`` (one of `LUTS`)."""
    if name not in LUTS:
        raise ParameterError(f"LUT must be one of {', '.join(LUTS)}, got {name!r}")
    stops = LUTS[name]
    return pg.ColorMap([s[0] for s in stops], [s[1] for s in stops], name=name)


def channel_count(data: np.ndarray) -> int:
    """Number of channels of a 2-D (one channel) or (H, W, C) image."""
    if data.ndim == 2:
        return 1
    if data.ndim == 3 and data.shape[2] >= 1:
        return int(data.shape[2])
    raise ParameterError(f"image must be 2-D (H, W) or 3-D (H, W, C), got shape {data.shape}")


def display_array(data: np.ndarray, channel: int = COMPOSITE) -> np.ndarray:
    """The array the viewer shows for one channel choice.

    Parameters
    ----------
    data : (H, W) or (H, W, C) array
        The image.
    channel : int
        A channel index in ``[0, C)``, or `COMPOSITE`: the image itself for one
        or three channels (three are shown as RGB), the maximum over the
        channels otherwise.

    Returns
    -------
    shown : (H, W) or (H, W, 3) array
        A view of ``data`` where possible (no copy); booleans become uint8.

    Examples
    --------
    >>> data = np.arange(24, dtype=np.uint16).reshape(2, 3, 4)
    >>> display_array(data, 1)
    array([[ 1,  5,  9],
           [13, 17, 21]], dtype=uint16)
    >>> display_array(data).tolist()
    [[3, 7, 11], [15, 19, 23]]
    """
    count = channel_count(data)
    if data.dtype == bool:
        data = data.view(np.uint8)
    if data.ndim == 2:
        shown = data
    elif channel == COMPOSITE:
        shown = data if count == 3 else data.max(axis=2) if count > 1 else data[:, :, 0]
    elif 0 <= channel < count:
        shown = data[:, :, channel]
    else:
        raise ParameterError(f"channel must be between 0 and {count - 1} or COMPOSITE, got {channel}")
    return shown


def auto_levels(
    image: np.ndarray, low: float = 1.0, high: float = 99.8, *, max_samples: int = 250_000,
) -> tuple[float, float]:
    """Contrast limits at two percentiles of the image, from a regular subsample.

    Parameters
    ----------
    image : (H, W) or (H, W, C) array
        The displayed image; all channels share the limits.
    low, high : float
        Percentiles, ``0 <= low < high <= 100``.
    max_samples : int
        At most about this many pixels are read (every k-th row and column), so
        a 4096 x 4096 image costs a few milliseconds.

    Returns
    -------
    (lo, hi) : tuple of float
        ``lo < hi`` always; NaN and infinite pixels are ignored; an image with
        no finite pixel gives ``(0.0, 1.0)``.

    Examples
    --------
    >>> auto_levels(np.arange(10_000, dtype=np.uint16).reshape(100, 100), 0, 100)
    (0.0, 9999.0)
    >>> auto_levels(np.full((4, 4), 7.0))
    (7.0, 8.0)
    """
    if not 0 <= low < high <= 100:
        raise ParameterError(f"percentiles must satisfy 0 <= low < high <= 100, got low={low}, high={high}")
    if max_samples < 1:
        raise ParameterError(f"max_samples must be at least 1, got {max_samples}")
    pixels = image.shape[0] * image.shape[1]
    step = max(1, int(np.ceil(np.sqrt(pixels / max_samples))))
    sample = np.asarray(image[::step, ::step]).ravel()
    if sample.dtype.kind == "f":
        sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        return 0.0, 1.0
    lo, hi = (float(v) for v in np.percentile(sample, (low, high)))
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi
