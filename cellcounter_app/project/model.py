"""The project: a folder of images with their settings, results and corrections.

Plain Python, no Qt: the GUI is a view of a `Project`.  It listens with
:meth:`Project.subscribe` and writes edits back through the methods here.
Every callback is called as ``callback(event, payload)`` with one of:

==================  =========================================================
``image_added``     id of the new image
``images_removed``  list of the ids removed
``image_changed``   id of an image whose result, state, group, corrections
                    or regions changed
``params_changed``  id of the image whose overrides changed, or None for the
                    project defaults (parameters, model, reading, size)
``groups_changed``  name of the group whose settings changed
``saved``           path of the project file written
``dirty``           True after the first change since the last save, False
                    once saved
==================  =========================================================

The model is not thread-safe: workers hand their results to the thread that
owns the project (the GUI thread), which records them.

Results and corrected counts are recorded through :mod:`.counts`;
corrections and regions are edited through the undo/redo stack
(:meth:`Project.undo`, :meth:`Project.redo`) of :mod:`.edits`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from .. import __version__
from ..errors import ParameterError
from ..io.options import ReadOptions
from ..postprocess.params import SPECS_BY_NAME, PostprocessParams
from .counts import CountsMixin, now_iso
from .edits import EditsMixin
from .entry import COUNTED, STALE, Defaults, ImageEntry, check_params, clean_number
from .paths import new_image_id

log = logging.getLogger(__name__)

Callback = Callable[[str, Any], None]
DEFAULT_FIELDS = ("model", "read", "pixel_size_um", "size", "correction_radius", "markers")


@dataclass(eq=True)
class Project(CountsMixin, EditsMixin):
    """A counting project (see the module docstring for its events).

    Two projects compare equal when everything saved in the project file is
    equal; subscribers, the undo stack and caches are not compared.
    """

    folder: Path
    name: str = ""
    defaults: Defaults = field(default_factory=Defaults)
    images: list[ImageEntry] = field(default_factory=list)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    created: str = ""
    modified: str = ""
    app_version: str = __version__
    dirty: bool = field(default=False, compare=False, repr=False)
    notices: list[str] = field(default_factory=list, compare=False, repr=False)
    """What the user is to be told about how the project was opened (a damaged file kept aside, edits recovered)."""

    def __post_init__(self) -> None:
        self.folder = Path(os.path.abspath(self.folder))
        self.name = self.name or self.folder.name
        self.created = self.created or now_iso()
        self.modified = self.modified or self.created
        self._subscribers: list[Callback] = []
        self.revision = 0
        """Counts the changes; a save written in the background marks the project saved only if it is unchanged."""
        self._init_counts()
        self._init_history()

    # -- events ---------------------------------------------------------------
    def subscribe(self, callback: Callback) -> Callable[[], None]:
        """Call ``callback(event, payload)`` on every change; returns the function that unsubscribes."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def emit(self, event: str, payload: Any) -> None:
        """Tell every subscriber; an exception in one is raised after all were told."""
        failure: BaseException | None = None
        for callback in list(self._subscribers):
            try:
                callback(event, payload)
            except Exception as exc:  # noqa: BLE001 - re-raised below, once everyone was told
                log.exception("project subscriber %r failed on %s", callback, event)
                failure = failure or exc
        if failure is not None:
            raise failure

    def changed(self, event: str, payload: Any) -> None:
        """Mark the project dirty and emit ``event`` (then ``dirty`` if it just became so)."""
        became_dirty, self.dirty = not self.dirty, True
        self.revision += 1
        try:
            self.emit(event, payload)
        finally:
            if became_dirty:
                self.emit("dirty", True)

    def mark_saved(self, path: Path) -> None:
        """Called by the store once the project file is written."""
        was_dirty, self.dirty = self.dirty, False
        self.emit("saved", path)
        if was_dirty:
            self.emit("dirty", False)

    # -- images ---------------------------------------------------------------
    def image(self, image_id: str) -> ImageEntry:
        """The entry of ``image_id``; raises KeyError when there is none."""
        for entry in self.images:
            if entry.id == image_id:
                return entry
        raise KeyError(f"no image with id {image_id!r} in project {self.name!r}")

    def find(self, path: str | os.PathLike[str]) -> ImageEntry | None:
        """The entry of the file ``path``, if it is in the project."""
        target = Path(os.path.abspath(path))
        return next((entry for entry in self.images if entry.path == target), None)

    def add_images(self, paths: Iterable[str | os.PathLike[str]], group: str = "") -> list[str]:
        """Add image files (those already in the project are skipped); returns the new ids."""
        added = []
        for path in paths:
            if self.find(path) is not None:
                continue
            entry = ImageEntry(new_image_id({e.id for e in self.images}), Path(os.path.abspath(path)), group)
            entry.missing = not entry.path.is_file()
            self.images.append(entry)
            added.append(entry.id)
            self.changed("image_added", entry.id)
        return added

    def remove_images(self, image_ids: Iterable[str]) -> None:
        """Remove images (their label files go at the next save); not undoable."""
        ids = list(dict.fromkeys(image_ids))
        if not ids:
            return
        for image_id in ids:
            self.image(image_id)
        gone = set(ids)
        self.images = [entry for entry in self.images if entry.id not in gone]
        self.forget_counts(gone)
        self.history.forget(gone)
        self.changed("images_removed", ids)

    def set_group(self, image_ids: Iterable[str], group: str) -> None:
        """Put images in ``group`` ("" puts each back in the group named after its folder)."""
        for image_id in image_ids:
            entry = self.image(image_id)
            new_group = group or entry.path.parent.name
            if entry.group != new_group:
                entry.group = new_group
                self.changed("image_changed", image_id)

    def set_group_settings(self, group: str, settings: Mapping[str, Any]) -> None:
        """Store free settings of a group (``{}`` removes them)."""
        if settings:
            self.groups[group] = dict(settings)
        else:
            self.groups.pop(group, None)
        self.changed("groups_changed", group)

    def check_files(self) -> list[str]:
        """Look for every image file again; returns the ids whose ``missing`` flag changed."""
        flipped = []
        for entry in self.images:
            missing = not entry.path.is_file()
            if missing != entry.missing:
                entry.missing = missing
                flipped.append(entry.id)
                self.emit("image_changed", entry.id)
        return flipped

    # -- parameters -----------------------------------------------------------
    def user_params(self, image_id: str) -> dict[str, Any]:
        """The parameters the user set for an image: the defaults, then its overrides."""
        return {**self.defaults.params, **self.image(image_id).param_overrides}

    def effective_params(self, image_id: str, base: PostprocessParams) -> PostprocessParams:
        """``base`` (the model's parameters) with the user's parameters for ``image_id`` applied."""
        return base.replace(**self.user_params(image_id))

    def set_params(self, values: Mapping[str, Any], image_id: str | None = None) -> None:
        """Set post-processing parameters of the project (``image_id`` None) or one image.

        A value of None removes the setting (the model's or the project's value
        applies again).  Counted images whose parameters now differ from those
        used become ``stale``.
        """
        removed = {name for name, value in values.items() if value is None}
        unknown = removed - set(SPECS_BY_NAME)
        if unknown:
            raise ParameterError(f"unknown parameter(s) {', '.join(sorted(unknown))}; "
                                 f"known: {', '.join(SPECS_BY_NAME)}")
        checked = check_params({name: value for name, value in values.items() if value is not None})
        target = self.defaults.params if image_id is None else self.image(image_id).param_overrides
        for name in removed:
            target.pop(name, None)
        target.update(checked)
        affected = self.images if image_id is None else [self.image(image_id)]
        for entry in affected:
            user = self.user_params(entry.id)
            if any(name not in user for name in removed) or any(
                clean_number(entry.params_used.get(name)) != user[name] for name in checked if name in user
            ):
                self._make_stale(entry)
        self.changed("params_changed", image_id)

    def set_defaults(self, **changes: Any) -> None:
        """Change ``model``, ``read``, ``pixel_size_um``, ``size``, ``correction_radius`` or ``markers``.

        A new model makes images counted with another model stale; new reading
        options, pixel size, size setting or marker setup make every counted
        image stale.
        """
        unknown = set(changes) - set(DEFAULT_FIELDS)
        if unknown:
            raise ParameterError(f"unknown default(s) {', '.join(sorted(unknown))}; "
                                 f"known: {', '.join(DEFAULT_FIELDS)}")
        if "read" in changes and not isinstance(changes["read"], ReadOptions):
            raise ParameterError(f"read must be a ReadOptions, got {changes['read']!r}")
        current = {name: getattr(self.defaults, name) for name in DEFAULT_FIELDS}
        updated = Defaults(params=self.defaults.params, **{**current, **changes})
        changed = {name for name in DEFAULT_FIELDS if getattr(updated, name) != current[name]}
        if not changed:
            return
        self.defaults = updated
        for entry in self.images:
            other_model = entry.model is not None and entry.model.name != updated.model
            if changed & {"read", "pixel_size_um", "size", "markers"} or ("model" in changed and other_model):
                self._make_stale(entry)
        if "correction_radius" in changed:
            for entry in self.images:
                self._update_corrected(entry, notify=True)
        self.changed("params_changed", None)

    def _make_stale(self, entry: ImageEntry) -> None:
        if entry.state == COUNTED:
            entry.state = STALE
            self.emit("image_changed", entry.id)
