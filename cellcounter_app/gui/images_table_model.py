"""The per-image results table: a Qt table model that is a view of a `Project`.

One row per image of the project, in the project's order; the model listens to
the project's events and updates only the rows that changed.  A count the
pipeline flagged as unsure (``reliability`` "check" in its parameters, see
`cellcounter_app.reliability`) says ``check`` in the reliability column and
carries a warning mark before its name, with the reasons on hover.  Sorting is left
to `ImagesSortProxy`, which compares the numbers themselves (not their text)
and keeps empty cells last in either order.
"""

from __future__ import annotations

import math
import re
from functools import partial
from typing import Any, Callable, Sequence

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPen, QPixmap, QPolygonF

from ..project import Project
from ..project.entry import COUNTED, ERROR, MISSING, STALE, ImageEntry
from ..reliability import CHECK
from .counted_values import counted_summary

COLUMNS = ("image", "group", "count", "corrected", "density", "mean area", "positive", "model", "status",
           "reliability")
NUMERIC = frozenset({"count", "corrected", "density", "mean area", "positive"})
PERCENT_SUFFIX = "_percent_positive"
IMAGE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
"""Role under which every cell of a row gives the image id."""
WARNING_COLOUR = QColor("#c0392b")
CHECK_COLOUR = QColor("#d68910")
"""Amber: a count to check by eye (not an error)."""
_DISPLAY, _TOOLTIP = int(Qt.ItemDataRole.DisplayRole), int(Qt.ItemDataRole.ToolTipRole)
_ALIGNMENT, _FOREGROUND = int(Qt.ItemDataRole.TextAlignmentRole), int(Qt.ItemDataRole.ForegroundRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_ROLES = frozenset({_DISPLAY, _TOOLTIP, _ALIGNMENT, _FOREGROUND, _DECORATION, int(IMAGE_ID_ROLE)})
_ICON: list[QIcon] = []
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
AnyIndex = QModelIndex | QPersistentModelIndex


def _number(value: Any) -> float | None:
    """A finite float, or None for None, NaN and infinities."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _unsubscribe(subscription: list[Callable[[], None]], *_: Any) -> None:
    """Stop listening (also called when the model is deleted, so a project never calls a dead model)."""
    while subscription:
        subscription.pop()()


def marker_text(summary: dict[str, Any]) -> str:
    """``Cy3+ 34 (28.3%) · GFP+ 10 (8.0%)`` from an image's marker counts."""
    parts = []
    for key, percent in summary.items():
        if key.endswith(PERCENT_SUFFIX) and _number(percent) is not None:
            name = key[: -len(PERCENT_SUFFIX)]
            count = _number(summary.get(f"{name}_positive"))
            parts.append(f"{name}+ {int(count) if count is not None else '?'} ({percent:.1f}%)")
    return " · ".join(parts)


def reliability_of(entry: ImageEntry) -> tuple[str, str]:
    """``(flag, reasons)`` of a counted image (``("", "")`` when it has no count to judge).

    The flag is that of the last count (a changed image keeps it until it is recounted).
    """
    if entry.status not in (COUNTED, STALE):
        return "", ""
    flag = str(entry.params_used.get("reliability") or "")
    return flag, str(entry.params_used.get("reliability_reasons") or "") if flag == CHECK else ""


def check_text(reasons: str) -> str:
    """What a flagged count says on hover: ``check by eye: faint cells (...)``."""
    return f"check by eye: {reasons or 'the count is unsure'}"


def check_icon() -> QIcon:
    """A small amber warning triangle (drawn once, when first shown)."""
    if not _ICON:
        size = 16
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(CHECK_COLOUR.darker(130), 1))
        painter.setBrush(CHECK_COLOUR)
        painter.drawPolygon(QPolygonF([QPointF(8, 1.5), QPointF(15, 14.5), QPointF(1, 14.5)]))
        painter.setPen(QPen(QColor("white"), 2))
        painter.drawLine(QPointF(8, 5.5), QPointF(8, 9.5))
        painter.drawPoint(QPointF(8, 12.2))
        painter.end()
        _ICON.append(QIcon(pixmap))
    return _ICON[0]


def natural_key(text: str) -> tuple[tuple[int, Any], ...]:
    """Sort key that orders ``a2`` before ``a10`` and ignores case.

    Examples
    --------
    >>> sorted(["a10.tif", "A2.tif", "a1.tif"], key=natural_key)
    ['a1.tif', 'A2.tif', 'a10.tif']
    """
    parts = re.split(r"(\d+)", text.casefold())
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in parts if part)


class ImagesTableModel(QAbstractTableModel):
    """Rows of images: name, group, counts, density, mean area, model and status.

    Parameters
    ----------
    project : Project, optional
        The project shown; `set_project` swaps it.
    """

    def __init__(self, project: Project | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._project: Project | None = None
        self._ids: list[str] = []
        self._entries: list[ImageEntry] = []
        self._rows: dict[str, int] = {}
        self._subscription: list[Callable[[], None]] = []
        self._area_um = False
        self.destroyed.connect(partial(_unsubscribe, self._subscription))
        self.set_project(project)

    # -- the project ----------------------------------------------------------
    @property
    def project(self) -> Project | None:
        return self._project

    def set_project(self, project: Project | None) -> None:
        """Show ``project`` (None: nothing) and stop listening to the previous one."""
        self.beginResetModel()
        _unsubscribe(self._subscription)
        self._project = project
        self._entries = list(project.images) if project is not None else []
        self._ids = [entry.id for entry in self._entries]
        self._reindex()
        self._area_um = self._areas_in_um()
        if project is not None:
            self._subscription.append(project.subscribe(self._on_event))
        self.endResetModel()

    def image_id(self, row: int) -> str:
        """The id of the image in ``row`` (rows of this model, not of a proxy)."""
        return self._ids[row]

    def row_of(self, image_id: str) -> int | None:
        """The row of ``image_id``, or None when it is not shown."""
        return self._rows.get(image_id)

    def _entry(self, row: int) -> ImageEntry:
        return self._entries[row]

    def _reindex(self) -> None:
        self._rows = {image_id: row for row, image_id in enumerate(self._ids)}

    def _on_event(self, event: str, payload: Any) -> None:
        if event == "image_added":
            self._add(payload)
        elif event == "images_removed":
            self._remove(payload)
        elif event == "image_changed":
            self._refresh(payload)
        elif event == "params_changed":
            self._refresh_all()

    def _add(self, image_id: str) -> None:
        assert self._project is not None
        entry = self._project.image(image_id)
        position = min(self._project.images.index(entry), len(self._ids))
        self.beginInsertRows(QModelIndex(), position, position)
        self._ids.insert(position, image_id)
        self._entries.insert(position, entry)
        self._reindex()
        self.endInsertRows()
        self._update_area_unit()

    def _remove(self, image_ids: list[str]) -> None:
        for row in sorted((self._rows[i] for i in image_ids if i in self._rows), reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._ids[row]
            del self._entries[row]
            self._reindex()
            self.endRemoveRows()
        self._update_area_unit()

    def _refresh(self, image_id: str) -> None:
        row = self._rows.get(image_id)
        if row is None:
            return
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        self._update_area_unit()

    def _refresh_all(self) -> None:
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, len(COLUMNS) - 1))
        self._update_area_unit()

    def _areas_in_um(self) -> bool:
        """µm² when every image with a mean area has it in µm², else px² for all."""
        if self._project is None:
            return False
        areas = [entry.summary for entry in self._entries if _number(entry.summary.get("mean_area_px"))]
        return bool(areas) and all(_number(summary.get("mean_area_um2")) is not None for summary in areas)

    def _update_area_unit(self) -> None:
        in_um = self._areas_in_um()
        if in_um != self._area_um:
            self._area_um = in_um
            column = COLUMNS.index("mean area")
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, column, column)
            if self._ids:
                self.dataChanged.emit(self.index(0, column), self.index(len(self._ids) - 1, column))

    # -- Qt model interface ---------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return self.header(section)

    def header(self, column: int) -> str:
        """The column title, with its unit."""
        name = COLUMNS[column]
        if name == "density":
            return "density (/mm²)"
        if name == "mean area":
            return f"mean area ({'µm²' if self._area_um else 'px²'})"
        return name

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        role = int(role)
        if role not in _ROLES or not index.isValid():
            return None
        row, column = index.row(), COLUMNS[index.column()]
        if role == _DISPLAY:
            return self.text(row, index.column())
        if role == _TOOLTIP:
            return self._tooltip(self._entry(row), column)
        if role == _ALIGNMENT:
            return _RIGHT if column in NUMERIC else None
        if role == _FOREGROUND:
            if column == "status" and self._entry(row).status in (ERROR, MISSING):
                return QBrush(WARNING_COLOUR)
            if column == "reliability" and reliability_of(self._entry(row))[0] == CHECK:
                return QBrush(CHECK_COLOUR)
            return None
        if role == _DECORATION:
            flagged = column == "image" and reliability_of(self._entry(row))[0] == CHECK
            return check_icon() if flagged else None
        return self._ids[row]

    # -- values ---------------------------------------------------------------
    def value(self, row: int, column: int) -> Any:
        """The raw value of a cell: a number (None when empty) or text."""
        entry = self._entry(row)
        name = COLUMNS[column]
        if name == "image":
            return entry.name
        if name == "group":
            return entry.group
        if name == "count":
            return entry.count
        if name == "corrected":
            return entry.corrected_count
        if name == "density":
            return _number(self._counted(entry).get("density_per_mm2"))
        if name == "mean area":
            return _number(self._counted(entry).get("mean_area_um2" if self._area_um else "mean_area_px"))
        if name == "positive":
            percents = [v for k, v in entry.summary.items() if k.endswith(PERCENT_SUFFIX)]
            return _number(percents[0]) if percents else None
        if name == "model":
            return f"{entry.model.name} {entry.model.version}".strip() if entry.model else ""
        if name == "reliability":
            return reliability_of(entry)[0]
        return entry.status

    def _counted(self, entry: ImageEntry) -> dict[str, Any]:
        """The image's summary over the cells it counts (regions and corrections applied)."""
        return counted_summary(self._project, entry) if self._project is not None else entry.summary

    def text(self, row: int, column: int) -> str:
        """The text shown in a cell (also what is copied)."""
        value = self.value(row, column)
        name = COLUMNS[column]
        if value is None:
            return ""
        if name == "corrected":
            return f"{value}*" if self._entry(row).is_corrected else str(value)
        if name in ("density", "mean area"):
            return f"{value:.1f}"
        if name == "positive":
            return marker_text(self._entry(row).summary)
        return str(value)

    def sort_key(self, row: int, column: int) -> Any:
        """What rows are sorted by: numbers for numeric columns, natural order for text."""
        value = self.value(row, column)
        if COLUMNS[column] in NUMERIC or value is None:
            return value
        return natural_key(value) if value else None

    def _tooltip(self, entry: ImageEntry, column: str) -> str | None:
        if column in ("image", "reliability"):
            flag, reasons = reliability_of(entry)
            check = check_text(reasons) if flag == CHECK else ""
            if column == "reliability":
                return check or None
            return f"{entry.path}\n{check}" if check else str(entry.path)
        if column == "corrected" and entry.is_corrected:
            return self._correction_text(entry)
        if column == "status":
            if entry.status == ERROR:
                return entry.error or "counting failed"
            if entry.status == MISSING:
                return f"file not found: {entry.path}"
            if entry.status == STALE:
                return "parameters changed since this image was counted"
            if entry.params_used.get("note"):
                return str(entry.params_used["note"])
        if column == "model" and entry.model is not None:
            return "\n".join(part for part in (
                f"{entry.model.name} {entry.model.version}".strip(),
                f"SHA-256 {entry.model.sha256}" if entry.model.sha256 else "",
                entry.model.provider) if part)
        return None

    @staticmethod
    def _correction_text(entry: ImageEntry) -> str:
        parts = []
        if entry.corrected is not None:
            parts.append(f"{entry.corrected.n_added} added, {entry.corrected.n_removed} removed")
        elif not entry.corrections.is_empty:
            parts.append("corrections cannot apply: the label image is not available")
        if entry.regions:
            parts.append(f"inside {len(entry.regions)} region{'s' if len(entry.regions) > 1 else ''}")
        return "; ".join(parts)

    def rows_as_tsv(self, rows: Sequence[int] | None = None, columns: Sequence[int] | None = None) -> str:
        """Tab-separated text of ``rows`` and ``columns`` (default all) with a header line, as shown."""
        rows = range(len(self._ids)) if rows is None else rows
        columns = range(len(COLUMNS)) if columns is None else columns
        lines = ["\t".join(self.header(c) for c in columns)]
        lines += ["\t".join(self.text(r, c) for c in columns) for r in rows]
        return "\n".join(lines) + "\n"


class ImagesSortProxy(QSortFilterProxyModel):
    """Sorts an `ImagesTableModel` by value; empty cells stay last in both orders."""

    def lessThan(self, left: AnyIndex, right: AnyIndex) -> bool:
        model = self.sourceModel()
        assert isinstance(model, ImagesTableModel)
        a = model.sort_key(left.row(), left.column())
        b = model.sort_key(right.row(), right.column())
        descending = self.sortOrder() == Qt.SortOrder.DescendingOrder
        if a is None or b is None:
            return (a is None) == descending and (a is None) != (b is None)
        return bool(a < b)
