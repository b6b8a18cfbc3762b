"""Export of the open project: Excel workbook, CSV tables, overlays and label images, ROI sets, GeoJSON.

The project is saved first and the worker reads its own copy from disk, so
the window can go on editing while the results are gathered (corrections and
regions applied, see :mod:`cellcounter_app.reports`) and written.  Nothing is
overwritten silently: the file dialog asks before replacing a workbook, and
CSV, overlay, label, ROI set and GeoJSON files go to a folder the user picks,
which must not already hold them (the per-image exports check every file
before writing the first, so a refused export leaves the folder as it was).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from ..errors import CellCounterError
from ..export import OutputExistsError, label_path, overlay_path, write_csv, write_label_image, write_overlay
from ..export.geojson import geojson_path, write_geojson
from ..export.rois import roi_set_path, write_roi_set
from ..io import read_image
from ..project import ImageEntry, Project, load_project
from ..reports import export_workbook, project_results
from .qt_worker import QtWorker
from .settings import save_settings

if TYPE_CHECKING:
    from .main_window import QtMainWindow

log = logging.getLogger(__name__)


def tables_job(folder_of_project: Path, write: Callable[[Any, list[Any]], Any]) -> Callable[[Callable[[], bool]], Iterator[Any]]:
    """The worker job gathering every image's results, then ``write(project, results)``.

    Yields ``(done, total)`` per image, then what ``write`` returned.
    """
    def job(cancelled: Callable[[], bool]) -> Iterator[Any]:
        project = load_project(folder_of_project)
        results = []
        for done, total, result in project_results(project, cancel=cancelled):
            results.append(result)
            yield done, total
        if not cancelled():
            yield write(project, results)
    return job


def workbook_job(folder_of_project: Path, path: Path) -> Callable[[Callable[[], bool]], Iterator[Any]]:
    """Write the Excel workbook ``path`` (the user confirmed replacing it in the file dialog)."""
    return tables_job(folder_of_project, lambda project, results: export_workbook(project, path, force=True,
                                                                                   results=results))


def csv_job(folder_of_project: Path, folder: Path) -> Callable[[Callable[[], bool]], Iterator[Any]]:
    """Write ``images.csv``, ``cells.csv`` and ``summary.csv`` into ``folder`` (never over existing ones)."""
    return tables_job(folder_of_project, lambda project, results: write_csv(results, folder))


def images_job(folder_of_project: Path, folder: Path) -> Callable[[Callable[[], bool]], Iterator[Any]]:
    """Overlay PNG and label TIFF (with the pixel size) of every counted image, corrections applied."""
    def job(cancelled: Callable[[], bool]) -> Iterator[Any]:
        project = load_project(folder_of_project)
        counted = counted_images(project)
        check_free([p for e in counted for p in (label_path(folder, e.name), overlay_path(folder, e.name))], folder)
        for done, entry in enumerate(counted, start=1):
            if cancelled():
                return
            detections = project.detections(entry.id)
            correction = project.correction_result(entry.id)
            labels = detections.labels.copy()
            if correction is not None:
                labels[~correction.kept_mask(labels)] = 0
            write_label_image(labels, label_path(folder, entry.name),
                              pixel_size_um=entry.summary.get("pixel_size_um"))
            try:
                image = read_image(entry.path, project.defaults.read).data
            except Exception as exc:  # the label image is written; the overlay needs the pixels
                log.warning("%s: overlay not written: %s", entry.path, exc)
            else:
                write_overlay(image, labels, overlay_path(folder, entry.name))
            yield done, len(counted)
        yield folder
    return job


SHAPE_WRITERS = {"rois": (roi_set_path, write_roi_set), "geojson": (geojson_path, write_geojson)}
"""The per-image shape exports: where the file of an image goes, and the writer the command line also uses."""


def shapes_job(folder_of_project: Path, folder: Path, kind: str) -> Callable[[Callable[[], bool]], Iterator[Any]]:
    """An ImageJ ROI set (``kind="rois"``) or a QuPath GeoJSON (``"geojson"``) per counted image.

    The cells are those of the tables (`cellcounter_app.reports.project_results`):
    the detections kept by the corrections inside the regions, then the cells
    added by hand, as points.  Yields ``(done, total)`` per image, then ``folder``.
    """
    target_of, write = SHAPE_WRITERS[kind]

    def job(cancelled: Callable[[], bool]) -> Iterator[Any]:
        project = load_project(folder_of_project)
        counted = counted_images(project)
        check_free([target_of(folder, entry.name) for entry in counted], folder)
        results = project_results(project, [entry.id for entry in counted], cancel=cancelled)
        for (done, total, result), entry in zip(results, counted):
            write(project.detections(entry.id).labels, result.cells, target_of(folder, entry.name))
            yield done, total
        if not cancelled():
            yield folder
    return job


def counted_images(project: Project) -> list[ImageEntry]:
    """The images of ``project`` whose detections are at hand (the ones the per-image exports write)."""
    return [entry for entry in project.images if project.detections(entry.id) is not None]


def check_free(targets: list[Path], folder: Path) -> None:
    """Refuse, before anything is written, targets that exist or that two images would share."""
    seen: set[Path] = set()
    shared: set[str] = set()
    for target in targets:
        if target in seen:
            shared.add(target.name)
        seen.add(target)
    if shared:
        raise CellCounterError(f"two images would write the same file in {folder}: {', '.join(sorted(shared)[:5])}"
                               " (images of the same name from different folders); rename one of them")
    existing = [t.name for t in targets if t.exists()]
    if existing:
        more = f" and {len(existing) - 5} more" if len(existing) > 5 else ""
        raise OutputExistsError(f"{folder} already holds {', '.join(existing[:5])}{more}; nothing was written."
                                " Choose an empty folder, or remove these files first")


class ExportActions(QObject):
    """The Export menu of the window and the worker that writes the files.

    Signals
    -------
    finished(object)
        An export ended: the workbook or folder written, or None when it
        failed or was cancelled.
    """

    finished = Signal(object)

    def __init__(self, window: "QtMainWindow") -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.worker: QtWorker | None = None
        self.last_written: Any = None
        self.workbook = QAction("Export to Excel…", window)
        self.workbook.setToolTip("Write the Images, Cells and Summary sheets of the project")
        self.workbook.triggered.connect(lambda *_: self.export_workbook())
        self.csv = QAction("Export CSV tables…", window)
        self.csv.triggered.connect(lambda *_: self.export_csv())
        self.images = QAction("Export overlays and label images…", window)
        self.images.triggered.connect(lambda *_: self.export_images())
        self.rois = QAction("Export ImageJ ROI sets…", window)
        self.rois.setToolTip("One ROI set (.zip) per counted image, for Fiji's ROI Manager")
        self.rois.triggered.connect(lambda *_: self.export_shapes("rois"))
        self.geojson = QAction("Export QuPath GeoJSON…", window)
        self.geojson.setToolTip("One GeoJSON per counted image: QuPath's File > Import objects, or napari")
        self.geojson.triggered.connect(lambda *_: self.export_shapes("geojson"))
        self.menu = QMenu("&Export", window)
        self.menu.addActions([self.workbook, self.csv, self.images, self.rois, self.geojson])

    def _start_dir(self) -> str:
        settings = self.session.settings
        if settings.last_export_dir:
            return settings.last_export_dir
        return str(self.session.project.folder) if self.session.project else str(Path.home())

    def _remember(self, folder: Path) -> None:
        self.session.settings = replace(self.session.settings, last_export_dir=str(folder))
        try:
            save_settings(self.session.settings)
        except Exception as exc:  # the export itself goes on
            log.warning("settings not saved: %s", exc)

    def export_workbook(self, path: str | Path | None = None) -> None:
        """Export to ``path`` (asks where when None; the dialog confirms replacing a file)."""
        project = self.session.project
        if project is None:
            return
        if path is None:
            default = str(Path(self._start_dir()) / f"{project.name}.xlsx")
            chosen, _ = QFileDialog.getSaveFileName(self.window, "Export to Excel", default, "Excel (*.xlsx)")
            if not chosen:
                return
            path = chosen if chosen.lower().endswith(".xlsx") else chosen + ".xlsx"
        self._remember(Path(path).parent)
        self._run(lambda f: workbook_job(f, Path(path)), "export workbook")

    def export_csv(self, folder: str | Path | None = None) -> None:
        project = self.session.project
        if project is None:
            return
        folder = folder or QFileDialog.getExistingDirectory(self.window, "Export CSV tables into", self._start_dir())
        if folder:
            self._remember(Path(folder))
            self._run(lambda f: csv_job(f, Path(folder)), "export CSV")

    def export_images(self, folder: str | Path | None = None) -> None:
        project = self.session.project
        if project is None:
            return
        folder = folder or QFileDialog.getExistingDirectory(self.window, "Export overlays and labels into",
                                                            self._start_dir())
        if folder:
            self._remember(Path(folder))
            self._run(lambda f: images_job(f, Path(folder)), "export images")

    def export_shapes(self, kind: str, folder: str | Path | None = None) -> None:
        """Write a ROI set (``kind="rois"``) or a GeoJSON (``"geojson"``) per counted image into ``folder``."""
        project = self.session.project
        if project is None:
            return
        what = {"rois": "ImageJ ROI sets", "geojson": "QuPath GeoJSON"}[kind]
        folder = folder or QFileDialog.getExistingDirectory(self.window, f"Export {what} into", self._start_dir())
        if folder:
            self._remember(Path(folder))
            self._run(lambda f: shapes_job(f, Path(folder), kind), f"export {what}")

    def _run(self, make_job: Callable[[Path], Callable[[Callable[[], bool]], Iterator[Any]]], name: str) -> None:
        if self.worker is not None and self.worker.is_running():
            QMessageBox.information(self.window, "Export running", "Wait for the export in progress to finish.")
            return
        try:
            project_file = self.session.save()
        except CellCounterError as exc:
            QMessageBox.warning(self.window, "Export failed", f"The project could not be saved first: {exc}")
            return
        job = make_job(project_file.parent)
        self.worker = QtWorker(job, name, self.window)
        self.worker.yielded.connect(self._on_progress)
        self.last_written = None
        self.worker.failed.connect(lambda exc: self.session.message.emit(f"Export failed: {exc}"))
        self.worker.finished.connect(self._on_finished)
        self.worker.start()

    def _on_progress(self, item: Any) -> None:
        if isinstance(item, tuple) and len(item) == 2 and all(isinstance(v, int) for v in item):
            self.session.message.emit(f"Exporting… {item[0]}/{item[1]} images")
        else:
            self.last_written = item
            shown = item[0] if isinstance(item, list) and item else item
            self.session.message.emit(f"Exported to {shown}")

    def _on_finished(self, cancelled: bool) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.wait()
            worker.deleteLater()
        written = None if cancelled else self.last_written
        if isinstance(written, list):
            written = Path(written[0]).parent if written else None
        self.finished.emit(written)
