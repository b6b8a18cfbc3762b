"""Finding the stain of every object of the current image in the background (the Stain panel's histogram).

``min_stain`` is the last step of post-processing, so the objects found
before it do not change while its line is dragged: they are found once per
probability map and other parameters, on a worker thread, from the same
frozen `PreviewRequest` a live recount uses.  A live recount measures them in
the same pass (`preview_with_stain`): while one is under way for the same
key, the finder waits for its values (`expect`, `offer`, `settle`) instead of
measuring them a second time beside it.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal

from .jobs import ModelCache, PreviewRequest, stain_candidates
from .qt_worker import QtWorker


class StainFinder(QObject):
    """The stain values of one image at a time, found in a worker.

    Parameters
    ----------
    models : ModelCache
    request : callable
        ``request(image_id)``: the recount request of the image from its
        cached probability map, or None when it has none that still holds.
    key : callable
        ``key(image_id)``: what the objects depend on (the map and every
        parameter but ``min_stain``); values found for another key are found again.

    Signals
    -------
    found(image_id)
        The values of ``image_id`` are known (`values` returns them).
    """

    found = Signal(str)

    def __init__(self, models: ModelCache, request: Callable[[str], PreviewRequest | None],
                 key: Callable[[str], tuple], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._models, self._request, self._key = models, request, key
        self._known: tuple[tuple, np.ndarray] | None = None
        self._worker: QtWorker | None = None
        self._next: tuple[tuple, PreviewRequest] | None = None
        self._expected: tuple | None = None

    def values(self, image_id: str) -> np.ndarray | None:
        """The stain of every object of ``image_id``; None while not known (they are then looked for)."""
        key = (image_id, self._key(image_id))
        if self._known is not None and self._known[0] == key:
            return self._known[1]
        if key == self._expected:
            return None  # a live recount is measuring them
        request = self._request(image_id)
        if request is not None:
            if self._worker is not None:
                self._next = (key, request)
            else:
                self._start(key, request)
        return None

    def expect(self, image_id: str, key: tuple) -> None:
        """A live recount of ``image_id`` with objects ``key`` has started; its values will be offered."""
        self._expected = (image_id, key)

    def offer(self, image_id: str, key: tuple, values: np.ndarray) -> None:
        """Values a live recount measured for ``image_id`` with objects ``key``."""
        full = (image_id, key)
        if self._expected == full:
            self._expected = None
        if self._next is not None and self._next[0] == full:
            self._next = None
        self._known = (full, np.asarray(values, dtype=float))
        self.found.emit(image_id)

    def settle(self) -> None:
        """The live recount ended; if it offered nothing, whoever waited for it asks again (and a worker measures)."""
        expected, self._expected = self._expected, None
        if expected is not None:
            self.found.emit(expected[0])

    def _start(self, key: tuple, request: PreviewRequest) -> None:
        models = self._models
        self._worker = QtWorker(lambda cancelled: iter([stain_candidates(request, models)]), "stain", self)
        self._worker.yielded.connect(lambda values: self._on_values(key, values))
        self._worker.finished.connect(self._on_finished)
        self._worker.start()

    def _on_values(self, key: tuple, values: np.ndarray) -> None:
        self._known = (key, values)
        if self._next is None:
            self.found.emit(key[0])

    def _on_finished(self, cancelled: bool) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.wait()
            worker.deleteLater()
        following, self._next = self._next, None
        if following is not None:
            self._start(*following)

    def stop(self) -> None:
        """Wait for the worker and forget every value (the project is closed)."""
        self._next = self._known = self._expected = None
        if self._worker is not None:
            self._worker.blockSignals(True)
            self._worker.cancel()
            self._worker.wait()
            self._worker.deleteLater()
            self._worker = None
