"""Fit an image's channels to what a model reads."""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError


def adapt_channels(image: np.ndarray, n_channels: int) -> np.ndarray:
    """Channels-first view of ``image`` with exactly ``n_channels`` channels.

    Parameters
    ----------
    image : ndarray
        2-D ``(H, W)`` grey image or channels-last ``(H, W, C)``, any numeric
        dtype (as returned by ``cellcounter_app.io``).
    n_channels : int
        Channels the model reads (1 or 3 for CellCounter models; any value >= 1
        is accepted).

    Returns
    -------
    ndarray
        ``(n_channels, H, W)`` with the input dtype.  A view whenever no channel
        has to be computed (grey to 1, grey replicated to 3, RGB to RGB).

    Notes
    -----
    The rules, for an image with ``C`` channels:

    - ``C == n``: kept as they are.
    - ``n == 1``: the maximum over the channels.  In fluorescence the stain
      sits in one channel (DAPI in blue, a marker in green...) and the others
      are dark, so the maximum keeps the stained signal whichever channel it is.
    - ``C == 1``: the grey channel is replicated ``n`` times.
    - ``1 < C < n`` (e.g. two channels for an RGB model): zero channels are
      appended, as an RGB composite of a two-channel image shows it.
    - ``C > n > 1`` (e.g. four channels for an RGB model): the first ``n``
      channels are kept, as ImageJ's composite shows the first three in red,
      green and blue.  Select the wanted channels on reading to change that.

    Examples
    --------
    >>> rgb = np.zeros((4, 5, 3), dtype=np.uint8)
    >>> rgb[..., 2] = 200
    >>> adapt_channels(rgb, 1).shape, int(adapt_channels(rgb, 1).max())
    ((1, 4, 5), 200)
    >>> adapt_channels(np.zeros((4, 5)), 3).shape
    (3, 4, 5)
    """
    image = np.asarray(image)
    if isinstance(n_channels, bool) or not isinstance(n_channels, (int, np.integer)) or n_channels < 1:
        raise ParameterError(f"n_channels must be an integer >= 1, got {n_channels!r}")
    if image.ndim not in (2, 3):
        raise ParameterError(f"image must be 2-D (H, W) or channels-last (H, W, C), got shape {image.shape}")
    if image.dtype.kind == "b":
        image = image.view(np.uint8)
    if image.dtype.kind not in "iuf":
        raise ParameterError(f"image must have a real numeric dtype, got {image.dtype}")
    if image.size == 0:
        raise ParameterError(f"image must not be empty, got shape {image.shape}")
    chw = image[np.newaxis] if image.ndim == 2 else np.moveaxis(image, -1, 0)
    count = chw.shape[0]
    if count == n_channels:
        return chw
    if n_channels == 1:
        return np.maximum.reduce([chw[c] for c in range(chw.shape[0])])[np.newaxis]
    if count == 1:
        return np.broadcast_to(chw, (n_channels, *chw.shape[1:]))
    if count > n_channels:
        return chw[:n_channels]
    padded = np.zeros((n_channels, *chw.shape[1:]), dtype=chw.dtype)
    padded[:count] = chw
    return padded
