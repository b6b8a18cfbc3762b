"""Undoable edits of a project: correction points and counting regions.

Mixed into `~.model.Project`.  Each method records an `~.history.Edit`, so
:meth:`EditsMixin.undo` and :meth:`EditsMixin.redo` restore exactly the
corrections or regions an image had, and recompute its corrected count.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import ParameterError
from .corrections import Corrections
from .history import Edit, History
from .regions import Region


class EditsMixin:
    """Correction and region edits with undo/redo.

    Part of `~.model.Project`, whose ``image``, ``changed`` and
    ``_update_corrected`` it uses.
    """

    history: History
    defaults: Any

    def _init_history(self) -> None:
        self.history = History()

    @property
    def can_undo(self) -> bool:
        return self.history.can_undo

    @property
    def can_redo(self) -> bool:
        return self.history.can_redo

    def add_point(self, image_id: str, point: Sequence[float]) -> None:
        """Count a cell the detector missed, at ``point`` ``(x, y)``."""
        entry = self.image(image_id)
        self._apply(Edit("add point", image_id, "corrections", entry.corrections,
                         entry.corrections.with_added(point)))

    def remove_added_point(self, image_id: str, index: int) -> None:
        """Take back the added point number ``index``."""
        entry = self.image(image_id)
        self._apply(Edit("remove added point", image_id, "corrections", entry.corrections,
                         entry.corrections.without_added(index)))

    def remove_cell(self, image_id: str, centroid: Sequence[float]) -> None:
        """Uncount the detection whose centroid is ``centroid`` (see `~.corrections.cell_at`)."""
        entry = self.image(image_id)
        self._apply(Edit("remove cell", image_id, "corrections", entry.corrections,
                         entry.corrections.with_removed(centroid)))

    def restore_cell(self, image_id: str, index: int) -> None:
        """Count again the removed detection number ``index``."""
        entry = self.image(image_id)
        self._apply(Edit("restore cell", image_id, "corrections", entry.corrections,
                         entry.corrections.without_removed(index)))

    def click(self, image_id: str, point: Sequence[float]) -> str:
        """What one click at ``point`` ``(x, y)`` means in correction mode; returns the edit's name.

        A click on (or within the correction radius of) a point added by hand
        takes it back; on a detection removed by hand counts it again; on a
        counted detection removes it; anywhere else adds a cell.
        """
        edit, argument = self.click_effect(image_id, point)
        {"remove added point": self.remove_added_point, "restore cell": self.restore_cell,
         "remove cell": self.remove_cell, "add point": self.add_point}[edit](image_id, argument)
        return edit

    def click_effect(self, image_id: str, point: Sequence[float]) -> tuple[str, Any]:
        """What `click` at ``point`` would do, without doing it: the edit's name and its argument."""
        entry = self.image(image_id)
        radius = self.defaults.correction_radius
        x, y = float(point[0]), float(point[1])
        added = np.asarray(entry.corrections.added, dtype=float).reshape(-1, 2)
        if len(added):
            distances = np.hypot(added[:, 0] - x, added[:, 1] - y)
            if distances.min() <= radius:
                return "remove added point", int(np.argmin(distances))
        detections = self.detections(image_id)
        index = -1
        if detections is not None and len(detections.ids):
            label = detections.id_at((x, y))
            hits = np.flatnonzero(detections.ids == label) if label else ()
            index = int(hits[0]) if len(hits) else detections.nearest((x, y), radius)
        if index >= 0:
            centroid = detections.centroids[index]
            for number, removed in enumerate(entry.corrections.removed):
                if detections.id_at(removed) == detections.ids[index] or np.hypot(*(centroid - removed)) <= 1e-6:
                    return "restore cell", number
            return "remove cell", (float(centroid[0]), float(centroid[1]))
        return "add point", (x, y)

    def clear_corrections(self, image_id: str) -> None:
        entry = self.image(image_id)
        if not entry.corrections.is_empty:
            self._apply(Edit("clear corrections", image_id, "corrections", entry.corrections, Corrections()))

    def add_region(self, image_id: str, region: Region) -> None:
        """Count only inside this region (and the image's other regions)."""
        if not isinstance(region, Region):
            raise ParameterError(f"region must be a Region, got {region!r}")
        entry = self.image(image_id)
        self._apply(Edit("add region", image_id, "regions", entry.regions, entry.regions + (region,)))

    def remove_region(self, image_id: str, index: int) -> None:
        entry = self.image(image_id)
        if not 0 <= index < len(entry.regions):
            raise ParameterError(f"region index must be between 0 and {len(entry.regions) - 1}, got {index}")
        self._apply(Edit("remove region", image_id, "regions", entry.regions,
                         entry.regions[:index] + entry.regions[index + 1:]))

    def clear_regions(self, image_id: str) -> None:
        entry = self.image(image_id)
        if entry.regions:
            self._apply(Edit("clear regions", image_id, "regions", entry.regions, ()))

    def undo(self) -> Edit | None:
        """Undo the last edit and return it (None when there is nothing to undo)."""
        if not self.history.can_undo:
            return None
        edit = self.history.pop_undo()
        self._set(edit.image_id, edit.field, edit.before)
        return edit

    def redo(self) -> Edit | None:
        """Redo the last undone edit and return it (None when there is nothing to redo)."""
        if not self.history.can_redo:
            return None
        edit = self.history.pop_redo()
        self._set(edit.image_id, edit.field, edit.after)
        return edit

    def _apply(self, edit: Edit) -> None:
        self.history.push(edit)
        self._set(edit.image_id, edit.field, edit.after)

    def _set(self, image_id: str, field: str, value: Any) -> None:
        entry = self.image(image_id)
        setattr(entry, field, value)
        self._update_corrected(entry, notify=False)
        self.changed("image_changed", image_id)

