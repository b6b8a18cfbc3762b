"""The undo/redo stack of a project's edits (corrections and regions).

Every edit is stored as the value of one field of one image before and after
it, so undoing restores exactly what was there, whatever the edit was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EDIT_KINDS = ("add point", "remove added point", "remove cell", "restore cell", "clear corrections",
              "add region", "remove region", "clear regions")
FIELDS = ("corrections", "regions")
MAX_EDITS = 1000


@dataclass(frozen=True)
class Edit:
    """One undoable edit: ``field`` of image ``image_id`` went from ``before`` to ``after``."""

    kind: str
    image_id: str
    field: str
    before: Any
    after: Any

    def __post_init__(self) -> None:
        if self.kind not in EDIT_KINDS:
            raise ValueError(f"edit kind must be one of {', '.join(EDIT_KINDS)}, got {self.kind!r}")
        if self.field not in FIELDS:
            raise ValueError(f"edit field must be one of {', '.join(FIELDS)}, got {self.field!r}")


class History:
    """Undo and redo stacks of `Edit`; a new edit clears the redo stack.

    Examples
    --------
    >>> h = History()
    >>> h.push(Edit("add point", "a1", "corrections", 0, 1))
    >>> h.can_undo, h.can_redo
    (True, False)
    >>> h.pop_undo().after, h.can_redo
    (1, True)
    """

    def __init__(self, max_edits: int = MAX_EDITS):
        if max_edits < 1:
            raise ValueError(f"max_edits must be at least 1, got {max_edits}")
        self.max_edits = max_edits
        self._undo: list[Edit] = []
        self._redo: list[Edit] = []

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def next_undo(self) -> Edit | None:
        """The edit :meth:`pop_undo` would return (for a menu text such as "Undo add point")."""
        return self._undo[-1] if self._undo else None

    def next_redo(self) -> Edit | None:
        return self._redo[-1] if self._redo else None

    def push(self, edit: Edit) -> None:
        self._undo.append(edit)
        del self._undo[:-self.max_edits]
        self._redo.clear()

    def pop_undo(self) -> Edit:
        if not self._undo:
            raise IndexError("nothing to undo")
        edit = self._undo.pop()
        self._redo.append(edit)
        return edit

    def pop_redo(self) -> Edit:
        if not self._redo:
            raise IndexError("nothing to redo")
        edit = self._redo.pop()
        self._undo.append(edit)
        return edit

    def forget(self, image_ids: set[str]) -> None:
        """Drop the edits of images that left the project."""
        self._undo = [e for e in self._undo if e.image_id not in image_ids]
        self._redo = [e for e in self._redo if e.image_id not in image_ids]
