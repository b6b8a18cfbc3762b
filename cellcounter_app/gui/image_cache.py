"""What the window keeps in memory for the images last looked at or counted.

Qt-free.  A full count keeps its probability map (so the threshold slider can
recount without the network) and the image's pixels (for intensities).  Only
the most recent few are kept: a 1200x1600 image costs about 30 MB here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..io import LoadedImage
from ..results import ImageResult

CACHED_IMAGES = 6


@dataclass
class CachedImage:
    image: LoadedImage | None = None
    result: ImageResult | None = None
    """The last full count (with ``probability``) or live recount of the image."""
    signature: tuple = ()
    """What the probability map depends on (model, size, reading, calibration): see `Session`."""


class ImageCache:
    """Least-recently-used cache of loaded images and results, by image id (thread-safe)."""

    def __init__(self, size: int = CACHED_IMAGES) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[str, CachedImage] = OrderedDict()
        self.pinned = ""
        """The image never dropped to make room (the one shown: its map serves the slider)."""

    def get(self, image_id: str) -> CachedImage:
        with self._lock:
            item = self._items.get(image_id)
            if item is None:
                item = self._items[image_id] = CachedImage()
            self._items.move_to_end(image_id)
            while len(self._items) > self.size:
                oldest = next(iter(self._items))
                if oldest == self.pinned:
                    self._items.move_to_end(oldest)
                    oldest = next(iter(self._items))
                del self._items[oldest]
            return item

    def pin(self, image_id: str) -> None:
        """Keep ``image_id`` however many other images are counted ("" pins none)."""
        with self._lock:
            self.pinned = image_id

    def peek(self, image_id: str) -> CachedImage | None:
        with self._lock:
            return self._items.get(image_id)

    def set_image(self, image_id: str, image: LoadedImage) -> None:
        self.get(image_id).image = image

    def set_result(self, image_id: str, result: ImageResult, signature: tuple | None = None) -> None:
        """Keep a result; one without a probability map keeps the previous map.

        ``signature`` describes what a new probability map was computed with.
        """
        item = self.get(image_id)
        if signature is not None:
            item.signature = signature
        if result.probability is None and item.result is not None and item.result.probability is not None:
            if item.result.probability.shape == _shape(result):
                result.probability = item.result.probability
        item.result = result

    def probability(self, image_id: str) -> np.ndarray | None:
        item = self.peek(image_id)
        return None if item is None or item.result is None else item.result.probability

    def forget(self, image_ids: list[str] | None = None) -> None:
        """Drop the given images (all when None)."""
        with self._lock:
            if image_ids is None:
                self._items.clear()
            for image_id in image_ids or ():
                self._items.pop(image_id, None)


def _shape(result: ImageResult) -> tuple[int, ...] | None:
    return None if result.labels is None else tuple(result.labels.shape)
