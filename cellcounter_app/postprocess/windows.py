"""The box of every object, widened by a margin: where per-object work needs to look."""

from __future__ import annotations

from typing import Iterator

import numpy as np
from scipy import ndimage as ndi


def object_windows(labels: np.ndarray, margin: int) -> Iterator[tuple[int, tuple[slice, slice]]]:
    """``(id, window)`` for each object of ``labels``: its bounding box widened by ``margin`` px
    on every side and clipped to the image, ids in increasing order (absent ids skipped).

    >>> labels = np.zeros((6, 6), int)
    >>> labels[2, 3] = 2
    >>> list(object_windows(labels, 1))
    [(2, (slice(1, 4, None), slice(2, 5, None)))]
    """
    height, width = labels.shape
    for index, box in enumerate(ndi.find_objects(labels), start=1):
        if box is not None:
            yield index, (slice(max(box[0].start - margin, 0), min(box[0].stop + margin, height)),
                          slice(max(box[1].start - margin, 0), min(box[1].stop + margin, width)))
