"""Export of the open project: Excel workbook, CSV tables, overlays and label images.

The project is saved first and the worker reads its own copy from disk, so
the window can go on editing while the results are gathered (corrections and
regions applied, see :mod:`cellcounter_app.reports`) and written.  Nothing is overwritten silently: the file
dialog asks before replacing a workbook, and CSV, overlay and label files go
to a folder the user picks, which must not already hold them.
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
from ..export import write_csv, write_label_image, write_overlay
from ..io import read_image
from ..project import load_project
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
    """Overlay PNG and label TIFF of every counted image (corrections applied to the overlay)."""
    def job(cancelled: Callable[[], bool]) -> Iterator[Any]:
        project = load_project(folder_of_project)
        counted = [e for e in project.images if project.detections(e.id) is not None]
        for done, entry in enumerate(counted, start=1):
            if cancelled():
                return
            detections = project.detections(entry.id)
            correction = project.correction_result(entry.id)
            labels = detections.labels.copy()
            if correction is not None:
                labels[~correction.kept_mask(labels)] = 0
            stem = Path(entry.name).stem
            write_label_image(labels, folder / f"{stem}_labels.tif")
            try:
                image = read_image(entry.path, project.defaults.read).data
            except Exception as exc:  # the label image is written; the overlay needs the pixels
                log.warning("%s: overlay not written: %s", entry.path, exc)
            else:
                write_overlay(image, labels, folder / f"{stem}_overlay.png")
            yield done, len(counted)
        yield folder
    return job


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
        self.menu = QMenu("&Export", window)
        self.menu.addActions([self.workbook, self.csv, self.images])

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
