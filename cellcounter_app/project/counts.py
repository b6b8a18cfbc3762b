"""Counting results of a project's images: their label images and corrected counts.

Mixed into `~.model.Project`.  A label image recorded with a result is kept
in memory until the next save writes it to ``results/``; the detections of
the few most recently used images stay cached so that each correction click
recomputes the corrected count without reading a file.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any, Mapping

import numpy as np

from ..errors import CellCounterError
from ..results import STATUS_OK, SUMMARY_KEYS, ImageResult
from .corrections import CorrectionResult, Detections, apply_to_detections
from .entry import COUNTED, ERROR, STALE, Corrected, ImageEntry, clean_number
from .files import read_labels

log = logging.getLogger(__name__)

CACHED_DETECTIONS = 8


def _is_number(value: Any) -> bool:
    """Numbers other than the standard summary keys (marker counts) are kept; text (a marker's flag) is not."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def now_iso() -> str:
    """The current UTC time as ISO 8601 text with seconds (``2024-05-01T09:30:00+00:00``)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class CountsMixin:
    """Results, label images and corrected counts (part of `~.model.Project`).

    Uses the project's ``folder``, ``defaults``, ``image`` and ``changed``.
    """

    def _init_counts(self) -> None:
        self._pending_labels: dict[str, np.ndarray] = {}
        self._writing: dict[str, np.ndarray] = {}
        """Label images handed to a save that may still be writing them (see `labels_written`)."""
        self._detections: OrderedDict[str, Detections] = OrderedDict()
        self.known_labels: set[str] = set()
        """Names of the label images the project was opened with or wrote: the only ones a save may delete."""

    def forget_counts(self, image_ids: set[str]) -> None:
        """Drop what is held in memory for images that left the project."""
        for image_id in image_ids:
            self._pending_labels.pop(image_id, None)
            self._writing.pop(image_id, None)
            self._detections.pop(image_id, None)

    def record_result(self, image_id: str, result: ImageResult, labels: np.ndarray | None = None,
                      cells: Mapping[str, Any] | None = None) -> None:
        """Store a count (or a failure) of an image.

        ``labels`` (default ``result.labels``) is written to ``results/`` at the
        next save; without labels the corrections of this image cannot apply.
        """
        entry = self.image(image_id)
        ok = result.status == STATUS_OK
        entry.state = COUNTED if ok else ERROR
        entry.error = "" if ok else result.error
        entry.summary = {key: clean_number(float(value)) for key, value in result.summary.items()
                         if key in SUMMARY_KEYS or _is_number(value)} if ok else {}
        entry.model = result.model
        entry.params_used = {name: clean_number(value) for name, value in result.params.items()}
        entry.timestamp = result.timestamp or now_iso()
        entry.labels_file = ""
        self._detections.pop(image_id, None)
        self._pending_labels.pop(image_id, None)
        self._writing.pop(image_id, None)
        labels = result.labels if labels is None else labels
        if ok and labels is not None:
            self._pending_labels[image_id] = np.asarray(labels)
            self.attach_labels(image_id, labels, cells if cells is not None else result.cells)
        self._update_corrected(entry, notify=False)
        self.changed("image_changed", image_id)

    def attach_labels(self, image_id: str, labels: np.ndarray, cells: Mapping[str, Any] | None = None) -> None:
        """Keep the detections of an image at hand (the GUI has them in memory after a count)."""
        self._detections[image_id] = Detections.from_labels(labels, cells or None)
        self._detections.move_to_end(image_id)
        while len(self._detections) > CACHED_DETECTIONS:
            self._detections.popitem(last=False)

    def pending_labels(self) -> dict[str, np.ndarray]:
        """Label images counted since the last save, by image id."""
        return dict(self._pending_labels)

    def restore_pending_labels(self, image_id: str, labels: np.ndarray) -> None:
        """A label image whose write failed is pending again (written at the next save)."""
        self.image(image_id).labels_file = ""
        self._writing.pop(image_id, None)
        self._pending_labels[image_id] = labels

    def labels_saved(self, image_id: str, labels_file: str) -> None:
        """Called by the store when it names the label image of ``image_id`` in a save.

        The array is kept at hand until `labels_written` (the file may be
        written by another thread meanwhile).
        """
        self.image(image_id).labels_file = labels_file
        labels = self._pending_labels.pop(image_id, None)
        if labels is not None:
            self._writing[image_id] = labels

    def labels_written(self, image_ids: list[str]) -> None:
        """The label files of these images are on disk: read them from there from now on."""
        for image_id in image_ids:
            self._writing.pop(image_id, None)

    def detections(self, image_id: str) -> Detections | None:
        """The detections of a counted image (from memory or its label file), else None."""
        entry = self.image(image_id)
        if entry.state not in (COUNTED, STALE):
            return None
        if image_id in self._detections:
            return self._detections[image_id]
        in_memory = self._pending_labels.get(image_id, self._writing.get(image_id))
        if in_memory is not None:
            self.attach_labels(image_id, in_memory)
            return self._detections[image_id]
        if not entry.labels_file:
            return None
        try:
            labels = read_labels(self.folder / entry.labels_file)
        except CellCounterError as exc:
            log.warning("corrections of %s cannot apply: %s", entry.name, exc)
            return None
        self.attach_labels(image_id, labels)
        return self._detections[image_id]

    def correction_result(self, image_id: str) -> CorrectionResult | None:
        """What the corrections and regions make of an image's detections (for overlays).

        None when the image was counted but its label image is not available.
        """
        entry = self.image(image_id)
        detections = self.detections(image_id)
        if detections is None and entry.state in (COUNTED, STALE):
            return None
        return apply_to_detections(detections, entry.corrections, self.defaults.correction_radius, entry.regions)

    def _update_corrected(self, entry: ImageEntry, *, notify: bool) -> None:
        before = entry.corrected
        if not entry.is_corrected:
            entry.corrected = None
        else:
            result = self.correction_result(entry.id)
            entry.corrected = None if result is None else Corrected(
                result.count, result.n_detected, result.n_added, result.n_removed)
        if notify and entry.corrected != before:
            self.emit("image_changed", entry.id)
