"""The record `read_image` returns: pixels plus what the file says about them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """One image as read from a file.

    Attributes
    ----------
    path : Path
        The file it was read from.
    data : ndarray
        2-D ``(H, W)`` or channels-last ``(H, W, C)`` pixels in the file's own
        dtype (uint8, uint16, int32, float32, ...; a 1-bit image becomes uint8
        0/1).  Alpha channels are dropped.  The array is read-only: copy it
        before changing it.
    channel_names : tuple of str
        One name per channel of `data` (``''`` when the file has none).  RGB
        images are ``("red", "green", "blue")``; the maximum over several
        channels is named ``"max"``.
    pixel_size_um : float or None
        Width of a pixel in µm, None when the file is not calibrated.
    bit_depth : int or None
        Significant bits per value: 1, 8, 12, 16, 32 or 64 (see `read_image`
        for how 12-bit data in 16-bit containers is recognised).
    source_axes : str
        The file's axes as tifffile names them (``"YX"``, ``"YXS"``,
        ``"ZCYX"``, ...; ``S`` are the samples of a colour pixel).
    source_shape : tuple of int
        The file's array shape, one entry per letter of `source_axes`.
    is_rgb : bool
        True when the file stores an RGB colour image (whichever channel was
        then selected from it).
    notes : tuple of str
        What the reader ignored or skipped and the user should know: an
        implausible calibration, non-square pixels, pages of another size.

    Examples
    --------
    >>> img = LoadedImage(Path("a.png"), np.zeros((4, 6, 3), np.uint8), ("red", "green", "blue"),
    ...                   None, 8, "YXS", (4, 6, 3), True)
    >>> img.height, img.width, img.n_channels
    (4, 6, 3)
    """

    path: Path
    data: np.ndarray
    channel_names: tuple[str, ...]
    pixel_size_um: float | None
    bit_depth: int | None
    source_axes: str
    source_shape: tuple[int, ...]
    is_rgb: bool
    notes: tuple[str, ...] = ()

    @property
    def height(self) -> int:
        """Rows of `data`."""
        return int(self.data.shape[0])

    @property
    def width(self) -> int:
        """Columns of `data`."""
        return int(self.data.shape[1])

    @property
    def n_channels(self) -> int:
        """Channels of `data`: 1 for a 2-D image."""
        return 1 if self.data.ndim == 2 else int(self.data.shape[2])
