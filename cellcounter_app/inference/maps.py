"""The number type of a probability map: float32, or float16 for very large images.

A 20000² map takes 1.5 GiB as float32 next to the 1.5 GiB of its uint32
labels; in float16 it takes half.  Probabilities lie in [0, 1], where float16
resolves about 0.0005 (near 1) or better, a tenth of the threshold control's
finest step, so a count hardly notices; below `HALF_MAP_PIXELS` maps stay
float32 and counts are exactly as before.
"""

from __future__ import annotations

import math

import numpy as np

HALF_MAP_PIXELS = 25_000_000
"""Maps of more pixels than this (5000²) are kept as float16."""


def map_dtype(shape: tuple[int, ...]) -> type[np.floating]:
    """The dtype of the probability map of an image whose first two axes are ``shape[:2]``.

    Examples
    --------
    >>> map_dtype((1200, 1600)).__name__, map_dtype((20000, 20000)).__name__
    ('float32', 'float16')
    """
    return np.float16 if math.prod(shape[:2]) > HALF_MAP_PIXELS else np.float32
