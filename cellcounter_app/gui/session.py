"""The window's working state: the open project, the current image, counting and previews.

`Session` owns the Qt-free `Project` and the two workers (the batch count and
the live preview), keeps recently used images and probability maps in an
`ImageCache`, autosaves, and tells the panels what changed through signals.
Panels read the project and the session; they never run work themselves.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from PySide6.QtCore import QObject, QTimer, Signal

from ..errors import CellCounterError
from ..io import LoadedImage, ReadOptions, find_images, read_image
from ..pipeline import default_model_name
from ..postprocess.size import DEFAULT_SIZE, SizeSetting
from ..project import (
    COUNTED, ERROR, NEW, PROJECT_FILE, STALE, Autosaver, Project, load_project, save_project,
)
from ..project.journal import EditJournal, recover_edits
from ..reports import SECONDS_KEY
from ..results import ImageResult
from .background_save import BackgroundSave
from .image_cache import ImageCache
from .untitled import is_untitled, remove_untitled, untitled_folder
from ..markers.setup import marker_specs, measure_saved, read_options
from .jobs import (
    PROJECT_MODELS_DIR, CountEnded, CountStarted, ImageDone, ModelCache, PreviewRequest, count_request,
    preview_with_stain, run_count,
)
from .qt_worker import QtWorker
from .stain_finder import StainFinder

log = logging.getLogger(__name__)

AUTOSAVE_DELAY_S = 1.5
TICK_MS = 500


class Session(QObject):
    """The open project and the work on it (see the module docstring)."""

    project_opened = Signal(object)
    current_changed = Signal(str)
    result_changed = Signal(str)
    batch_started = Signal(int)
    batch_progress = Signal(int, int, float)
    batch_finished = Signal(bool, int, int)
    preview_finished = Signal(str, float)
    message = Signal(str)

    def __init__(self, settings: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.models = ModelCache()
        self.cache = ImageCache()
        self.project: Project | None = None
        self.current = ""
        self.shown_marker = ""
        self._unreadable: dict[str, str] = {}
        """Why an image could not be read for display, by image id."""
        """The marker whose positive cells the overlay colours ("" for none)."""
        self._autosaver: Autosaver | None = None
        self._journal: EditJournal | None = None
        self._unsubscribe = lambda: None
        self._batch: QtWorker | None = None
        self._queued: list[str] = []
        self._batch_signature: tuple = ()
        self._batch_ids: frozenset[str] = frozenset()
        self._refresh_after_batch = False
        """A parameter changed while the batch was counting the current image: preview it once counted."""
        self._preview: QtWorker | None = None
        self._preview_next: PreviewRequest | None = None
        self._preview_start = self._rescored_at = 0.0  # a preview started before a re-score is stale
        self.stains = StainFinder(self.models, self._preview_request, self._stain_key, self)
        """The stain of every object of an image, before ``min_stain`` (the Stain panel's histogram)."""
        self._saver = BackgroundSave(lambda project: self._autosaver if project is self.project else None, self)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    # -- project lifecycle ----------------------------------------------------
    def new_project(self, folder: str | os.PathLike[str] | None = None) -> Project:
        """Start an empty project (in ``folder``, or an untitled one) with the user's defaults."""
        project = Project(Path(folder) if folder else untitled_folder())
        model = self.settings.default_model or default_model_name()
        size = SizeSetting.parse(self.settings.diameter or DEFAULT_SIZE.to_text())
        project.set_defaults(model=model, size=size.to_dict(), pixel_size_um=self.settings.pixel_size_um)
        if self.settings.default_params:
            project.set_params(dict(self.settings.default_params))
        save_project(project)
        self._install(project)
        return project

    def open_project(self, path: str | os.PathLike[str], *, from_backup: bool = False) -> Project:
        """Open a project; raises `ProjectError` (with ``backup_available``) when it cannot be read.

        Corrections made after the last save are replayed from the edit journal
        (a crash). What the user is to be told about how it was opened
        (``Project.notices``: a damaged file kept aside, edits recovered) is
        logged; the window shows it.
        """
        project = load_project(path, from_backup=from_backup)
        recover_edits(project)
        for notice in project.notices:
            log.warning("%s: %s", project.name, notice)
        self._install(project)
        missing = sum(entry.missing for entry in project.images)
        if missing:
            log.warning("%s: %d image(s) not found; they are marked missing", project.name, missing)
        return project

    def save(self, folder: str | os.PathLike[str] | None = None) -> Path:
        """Save the project now (into ``folder`` for Save As), after any autosave in progress."""
        assert self.project is not None
        self._saver.finish(wait=True)
        path = save_project(self.project, folder)
        self.models.set_extra_dirs((self.project.folder / PROJECT_MODELS_DIR,))
        return path

    def save_as(self, folder: str | os.PathLike[str]) -> Path:
        """Save the project into a new ``folder`` and rename it after that folder; returns the project file.

        A project named after its old folder takes the new folder's name (the
        window title, the project file, the default export name and the
        workbook's Info follow).  An untitled project is moved: its old folder
        in `projects_dir` is removed once the new one is written.
        """
        assert self.project is not None
        project = self.project
        old_folder, old_name = project.folder, project.name
        target = Path(os.path.abspath(folder))
        if target.name.endswith(PROJECT_FILE):
            target = target.parent
        if project.name == old_folder.name:
            project.name = target.name
        try:
            path = self.save(target)
        except BaseException:
            project.name, project.folder = old_name, old_folder
            raise
        if is_untitled(old_folder) and old_folder != project.folder:
            remove_untitled(old_folder, project)
        return path

    def stop_work(self) -> None:
        """Cancel the batch and wait for every worker (what was counted is kept)."""
        self.cancel()
        self._stop_workers()

    def save_pending(self) -> CellCounterError | None:
        """Save now whatever is not saved yet; returns the reason when it could not be saved (None: saved)."""
        if self.project is None:
            return None
        self._saver.finish(wait=True)
        if not self.project.dirty and not (self._autosaver is not None and self._autosaver.pending):
            return None
        try:
            self.save()
        except CellCounterError as exc:
            log.error("the project could not be saved: %s", exc)
            return exc
        return None

    def close_project(self, *, save: bool = True) -> None:
        """Stop all work, save what changed (unless not ``save``) and let the project go."""
        self.stop_work()
        if self._autosaver is not None:
            if save:
                self._flush()
            self._autosaver.close()
        if self._journal is not None:
            if save:
                self._journal.close()
            else:
                self._journal.discard()
            self._journal = None
        self._unsubscribe()
        self._autosaver, self.project, self.current = None, None, ""
        self.cache.forget()

    def shutdown(self, *, save: bool = True) -> None:
        """Before the window closes: cancel work, wait for the threads, save (unless not ``save``)."""
        self._timer.stop()
        self.close_project(save=save)

    def _install(self, project: Project) -> None:
        if self.project is not None:
            self.close_project()
        self.project = project
        self.models.set_extra_dirs((project.folder / PROJECT_MODELS_DIR,))
        self._autosaver = Autosaver(project, AUTOSAVE_DELAY_S)
        self._journal = EditJournal(project)
        self._unsubscribe = project.subscribe(self._on_project_event)
        self.project_opened.emit(project)
        if project.images:
            last = self.settings.last_images.get(str(project.folder), "")
            self.set_current(last if self._has(last) else project.images[0].id)

    # -- images ---------------------------------------------------------------
    def add_paths(self, paths: Iterable[str | os.PathLike[str]], *, count: bool = True) -> list[str]:
        """Add dropped files and folders (searched recursively); new images are counted."""
        assert self.project is not None
        files, skipped = find_images(list(paths))
        for path, reason in skipped:
            log.warning("%s: not added: %s", path, reason)
        added = self.project.add_images(files)
        if added and not self.current:
            self.set_current(added[0])
        if count and added:
            self.count(added)
        return added

    def set_current(self, image_id: str) -> None:
        """Show ``image_id`` (read from disk unless cached; "" shows nothing)."""
        if image_id == self.current:
            return
        self.current = image_id
        self.cache.pin(image_id)
        if image_id and self.project is not None:
            self.settings = self.settings.with_last_image(self.project.folder, image_id)
            self._load(image_id)
        self.current_changed.emit(image_id)

    def read_options(self) -> ReadOptions:
        """How images are read: every channel when markers are scored (as the pipeline reads them)."""
        assert self.project is not None
        return read_options(self.project.defaults.read, self.project.defaults.markers)

    def why_not_shown(self, image_id: str) -> str:
        """Why the image cannot be shown: its file is missing or could not be read ("" when it can)."""
        if self.project is None or not image_id or self.image(image_id) is not None:
            return ""
        entry = self.project.image(image_id)
        if entry.missing:
            return f"{entry.name}: file not found at {entry.path}"
        reason = self._unreadable.get(image_id) or (entry.error if entry.state == ERROR else "")
        return f"{entry.name} cannot be read: {reason}" if reason else ""

    def image(self, image_id: str) -> LoadedImage | None:
        item = self.cache.peek(image_id)
        return None if item is None else item.image

    def result(self, image_id: str) -> ImageResult | None:
        """The image's latest result in memory, with its cells (None when not counted or not loaded)."""
        item = self.cache.peek(image_id)
        return None if item is None else item.result

    def _load(self, image_id: str) -> None:
        assert self.project is not None
        entry = self.project.image(image_id)
        item = self.cache.get(image_id)
        if item.image is None and not entry.missing:
            try:
                item.image = read_image(entry.path, self.read_options())
            except CellCounterError as exc:  # the batch reports it in the error panel, once
                log.info("cannot show %s", exc)
                self._unreadable[image_id] = str(exc)
                self.message.emit(str(exc))
                return
            self._unreadable.pop(image_id, None)
        if item.result is None and item.image is not None and entry.state in (COUNTED, STALE):
            detections = self.project.detections(image_id)
            if detections is not None:
                calibration = self.project.defaults.pixel_size_um or item.image.pixel_size_um
                saved = ImageResult(entry.path, entry.name, summary=dict(entry.summary), model=entry.model,
                                    params=dict(entry.params_used), timestamp=entry.timestamp,
                                    labels=detections.labels)
                item.result = measure_saved(saved, detections.labels, item.image, self.project.defaults.markers,
                                            calibration)

    # -- counting -------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """Whether images are being counted or wait to be (until the batch's end was handled)."""
        return self._batch is not None or bool(self._queued)

    def count(self, image_ids: Iterable[str]) -> None:
        """Count these images in the background (after the batch running now)."""
        ids = [i for i in dict.fromkeys(image_ids) if i not in self._queued]
        self._queued.extend(ids)
        if self._batch is None:
            self._start_batch()

    def count_pending(self) -> None:
        """Count every image that is new, stale or failed ("Apply to all" / "Count all")."""
        assert self.project is not None
        self.count([e.id for e in self.project.images if e.state in (NEW, STALE, ERROR) and not e.missing])

    def cancel(self) -> None:
        """Stop the batch after the image being counted; what was counted is kept."""
        self._queued.clear()
        if self._batch is not None:
            self._batch.cancel()

    def _start_batch(self) -> None:
        if self.project is None or not self._queued:
            return
        ids = [i for i in self._queued if self._has(i)]
        self._queued.clear()
        request = count_request(self.project, ids, use_gpu=self.settings.use_gpu,
                                threads=self.settings.threads or None)
        if not request.jobs:
            return
        models = self.models
        self._batch_signature = self.signature()
        self._batch_ids = frozenset(job.image_id for job in request.jobs)
        self._batch = QtWorker(lambda cancelled: run_count(request, models, cancelled), "count", self)
        self._batch.yielded.connect(self._on_batch_event)
        self._batch.failed.connect(lambda exc: self.message.emit(f"Counting stopped: {exc}"))
        self._batch.finished.connect(self._on_batch_finished)
        self.batch_started.emit(len(request.jobs))
        self._batch.start()

    def _has(self, image_id: str) -> bool:
        try:
            self.project.image(image_id)  # type: ignore[union-attr]
        except KeyError:
            return False
        return True

    def _on_batch_event(self, event: object) -> None:
        if self.project is None:
            return
        if isinstance(event, CountStarted):
            self.message.emit(f"Counting {event.total} image(s) with {event.model}…")
        elif isinstance(event, ImageDone):
            if self._has(event.image_id):
                self._record(event.image_id, event.result, self._batch_signature)
            self.batch_progress.emit(event.done, event.total, event.seconds_left)
        elif isinstance(event, CountEnded):
            what = "cancelled" if event.cancelled else "done"
            self.message.emit(f"Counting {what}: {event.counted} counted, {event.failed} failed "
                              f"in {event.seconds:.1f} s")

    def _on_batch_finished(self, cancelled: bool) -> None:
        worker, self._batch, self._batch_ids = self._batch, None, frozenset()
        if worker is not None:
            worker.wait()
            worker.deleteLater()
        counted = failed = 0
        if self.project is not None:
            counted = sum(e.state == COUNTED for e in self.project.images)
            failed = sum(e.state == ERROR for e in self.project.images)
        self.batch_finished.emit(cancelled, counted, failed)
        if self._refresh_after_batch:
            self._refresh_after_batch = False
            self.refresh_current()
        if self._queued:
            self._start_batch()

    def signature(self) -> tuple:
        """What a probability map depends on: model, cell size, reading, calibration, detection channel, markers.

        A marker's rule is not part of it: a new rule re-scores the stored values.
        """
        assert self.project is not None
        defaults = self.project.defaults
        channels = [(m.get("name"), m.get("channel")) for m in defaults.markers.get("markers", ())]
        return (defaults.model, tuple(sorted(defaults.size.items())), defaults.read, defaults.pixel_size_um,
                defaults.markers.get("detect_channel"), repr(channels))

    def _record(self, image_id: str, result: ImageResult, signature: tuple | None = None) -> None:
        assert self.project is not None
        if result.ok:
            self.cache.set_result(image_id, result, signature)
            result = dataclasses.replace(result, summary={**result.summary, SECONDS_KEY: result.seconds})
        self.project.record_result(image_id, result)
        if image_id == self.current:
            if self.image(image_id) is None:
                self._load(image_id)
            self.result_changed.emit(image_id)

    def show_rescored(self, image_id: str, result: ImageResult) -> None:
        """Record a result whose marker positivity was re-scored in place (threshold dragged)."""
        self._rescored_at = time.perf_counter()
        self._record(image_id, result)

    # -- live preview ---------------------------------------------------------
    def refresh_current(self) -> None:
        """Recount the current image with the project's parameters now (preview or full count)."""
        if self.project is None or not self.current:
            return
        entry = self.project.image(self.current)
        request = self._preview_request(self.current)
        if request is None:
            if self._batch is not None and self.current in self._batch_ids:
                self._refresh_after_batch = True  # one network run; the newest values follow from its map
            elif entry.state != NEW and not entry.missing:
                self.count([self.current])
            return
        if self._preview is not None:
            self._preview_next = request
            return
        self._start_preview(request)

    def _start_preview(self, request: PreviewRequest) -> None:
        models = self.models
        key = self._stain_key(request.image_id, request.overrides)
        self._preview_start = time.perf_counter()
        self._preview = QtWorker(lambda cancelled: iter([preview_with_stain(request, models)]), "preview", self)
        self._preview.yielded.connect(lambda found: self._on_preview(request.image_id, key, *found))
        self._preview.finished.connect(self._on_preview_finished)
        self.stains.expect(request.image_id, key)
        self._preview.start()

    def _on_preview(self, image_id: str, key: tuple, result: ImageResult, every: np.ndarray) -> None:
        if self.project is None or not self._has(image_id):
            return
        self.stains.offer(image_id, key, every)
        if self._preview_next is None and self._preview_start > self._rescored_at:
            self._record(image_id, result)
            self.preview_finished.emit(image_id, time.perf_counter() - self._preview_start)

    def _on_preview_finished(self, cancelled: bool) -> None:
        self.stains.settle()
        worker, self._preview = self._preview, None
        if worker is not None:
            worker.wait()
            worker.deleteLater()
        request, self._preview_next = self._preview_next, None
        if request is not None and self.project is not None:
            self._start_preview(request)

    # -- recounts from the cached map -----------------------------------------
    def _preview_request(self, image_id: str) -> PreviewRequest | None:
        """A recount of ``image_id`` from its cached probability map (None when there is none that still holds)."""
        assert self.project is not None
        item = self.cache.peek(image_id)
        if (item is None or item.result is None or item.result.probability is None or item.image is None
                or item.signature != self.signature()):
            return None
        detect_channel, markers = marker_specs(self.project.defaults.markers)
        return PreviewRequest(image_id, item.result, item.image, self.project.defaults.model,
                              dict(self.project.user_params(image_id)), self.settings.use_gpu,
                              self.settings.threads or None, detect_channel, markers)

    def can_preview(self, image_id: str) -> bool:
        """Whether ``image_id`` can be recounted at once from its cached probability map."""
        return self.project is not None and self._has(image_id) and self._preview_request(image_id) is not None

    def _stain_key(self, image_id: str, overrides: Mapping[str, Any] | None = None) -> tuple:
        """What the objects found before ``min_stain`` depend on: the map, and every other parameter
        (the user's of a recount request, ``overrides``, or the project's now)."""
        assert self.project is not None
        overrides = self.project.user_params(image_id) if overrides is None else overrides
        others = sorted((k, repr(v)) for k, v in overrides.items() if k != "min_stain")
        return self.signature(), tuple(others)

    # -- housekeeping ---------------------------------------------------------
    def _on_project_event(self, event: str, payload: Any) -> None:
        if event == "params_changed" and self.current and (payload is None or payload == self.current):
            QTimer.singleShot(0, self.refresh_current)
        elif event == "images_removed":
            self.cache.forget(list(payload))
            if self.current in payload:
                self.current = ""
                self.current_changed.emit("")

    def _tick(self) -> None:
        if self._autosaver is not None and self._saver.ready() and self._autosaver.due():
            self._save_in_background()

    def save_in_background(self, then: Callable[[Path | None], None]) -> None:
        """Save without blocking the window; ``then(project file)`` is called once written (None: it failed)."""
        self._saver.finish(wait=True)
        self._save_in_background(then)

    def _save_in_background(self, then: Callable[[Path | None], None] | None = None) -> None:
        assert self.project is not None and self._autosaver is not None
        self._saver.start(self.project, self._autosaver, then)

    def _flush(self) -> None:
        self._saver.finish(wait=True)
        try:
            self._autosaver.flush()  # type: ignore[union-attr]
        except CellCounterError as exc:
            log.error("autosave failed: %s", exc)

    def _stop_workers(self) -> None:
        self._saver.finish(wait=True)
        self.stains.stop()
        for worker in (self._batch, self._preview):
            if worker is not None:
                worker.blockSignals(True)
                worker.cancel()
                worker.wait()
                worker.deleteLater()
        self._batch = self._preview = self._preview_next = None
