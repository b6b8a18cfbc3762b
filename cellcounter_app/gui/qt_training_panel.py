"""TRAIN: teach a model with the project's corrected or annotated images, without a terminal.

Lists the images that can teach (corrected counts, imported annotations),
imports ground truth for the current image (label/mask images, ImageJ ROI
sets, CSV point lists), and runs `train_project` in a worker thread with live
loss and validation-F1 curves.  When a model is written it appears in the
model picker; "Use this model" switches the project to it.  Training needs
the ``train`` extra (torch); without it the panel says so.

Training runs in a child process (`training.process_runner`), not in a
thread: in a thread, importing torch and the first steps froze the window
for up to 1.6 s (``bench/bench_gui.py --training`` measures the longest
stall while a run goes on).  The worker thread here only relays the child's
reports.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import time
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..errors import CellCounterError
from ..inference import list_models
from ..io.annotations import EXTENSIONS, GEOJSON_EXTENSIONS, LABEL_EXTENSIONS, POINT_EXTENSIONS, ROI_EXTENSIONS
from .qt_worker import QtWorker
from .qt_histogram import PanelPlot
from .session import Session

log = logging.getLogger(__name__)

ANNOTATION_FILTER = ";;".join(
    f"{kind} ({' '.join('*' + ext for ext in extensions)})" for kind, extensions in (
        ("Annotations", EXTENSIONS), ("Label or mask images", LABEL_EXTENSIONS), ("ImageJ ROI sets", ROI_EXTENSIONS),
        ("QuPath GeoJSON", GEOJSON_EXTENSIONS), ("Point lists", POINT_EXTENSIONS))) + ";;All files (*)"
SCRATCH = "(from scratch)"
LOSS_COLOUR, F1_COLOUR = "#1f77b4", "#d62728"


LOSS_TIP = ("What the training minimises, i.e. how a wrong pixel is penalised. The model's default suits most "
            "images; 'dice' and 'focal' weigh the few cell pixels more on sparse images, 'bce' is plain "
            "pixel-by-pixel. The curve below should fall: a lower loss means the network agrees better with "
            "your annotations.")
VALIDATION_TIP = ("The share of the annotated cells set aside to check the new model instead of teaching it "
                  "(whole images when there are several, else a part of the image). The validation F1 below "
                  "and the final comparison with the base model are measured on them.")
CELLS_TIP = ("Cells this image teaches: the kept detections and the cells added by hand (with counting "
             "regions, those in the box around the regions), or the imported annotation's cells")


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


class QtTrainingPanel(QWidget):
    """The training panel of the open project.

    Signals
    -------
    model_trained(str)
        A run wrote a new model (its name) into the project's models folder.
    started()
        The training process was started (after the project was saved).
    """

    model_trained = Signal(str)
    started = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.worker: QtWorker | None = None
        self._starting = False
        self.result: Any = None
        self._started = 0.0
        self._steps: list[tuple[int, float]] = []
        self._epochs: list[tuple[int, float]] = []
        layout = QVBoxLayout(self)
        self.images = QTableWidget(0, 3)
        self.images.setHorizontalHeaderLabels(["image", "ground truth", "cells"])
        self.images.horizontalHeaderItem(2).setToolTip(CELLS_TIP)
        self.images.horizontalHeader().setStretchLastSection(True)
        self.images.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(QLabel("Images that can teach the model (corrected or annotated):"))
        layout.addWidget(self.images, 1)
        row = QHBoxLayout()
        self.import_button = QPushButton("Import annotations for this image…")
        self.import_button.setToolTip("A label or mask image (TIFF/PNG), an ImageJ ROI set (.zip), a QuPath GeoJSON"
                                      " (.geojson) or a CSV of points")
        self.import_button.clicked.connect(lambda: self.import_annotations())
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        row.addWidget(self.import_button)
        row.addWidget(refresh)
        layout.addLayout(row)

        form = QFormLayout()
        self.base = QComboBox()
        self.base.setToolTip("The model to start from; its weights are fine-tuned on your images")
        form.addRow("Start from", self.base)
        self.loss = QComboBox()
        self.loss.addItem("(model's default)", "")
        self.loss.setToolTip(LOSS_TIP)
        form.addRow("Loss", self.loss)
        form.labelForField(self.loss).setToolTip(LOSS_TIP)
        self.minutes = QDoubleSpinBox()
        self.minutes.setRange(0.5, 24 * 60)
        self.minutes.setValue(5.0)
        self.minutes.setSuffix(" min")
        form.addRow("Time budget", self.minutes)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 100_000)
        self.epochs.setValue(200)
        form.addRow("At most", self.epochs)
        self.epochs.setSuffix(" epochs")
        self.val_fraction = QDoubleSpinBox()
        self.val_fraction.setRange(0.05, 0.9)
        self.val_fraction.setSingleStep(0.05)
        self.val_fraction.setValue(0.25)
        self.val_fraction.setToolTip(VALIDATION_TIP)
        form.addRow("Kept for validation", self.val_fraction)
        form.labelForField(self.val_fraction).setToolTip(VALIDATION_TIP)
        layout.addLayout(form)

        buttons = QHBoxLayout()
        self.start_button = QPushButton("Train ▶")
        self.start_button.clicked.connect(lambda: self.start())
        self.cancel_button = QPushButton("Stop ■")
        self.cancel_button.setToolTip("Stop after this step; the best model so far is kept and scored")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.use_button = QPushButton("Use this model")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self.use_model)
        for button in (self.start_button, self.cancel_button, self.use_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setObjectName("training_status")
        layout.addWidget(self.status)
        self.legend = QLabel(f'<span style="color:{LOSS_COLOUR}">━ training loss</span> &nbsp; '
                             f'<span style="color:{F1_COLOUR}">━● validation F1</span>')
        self.legend.setObjectName("training_legend")
        self.legend.setToolTip("The legend sits above the plot so that it never hides a curve")
        layout.addWidget(self.legend)
        self.plot = PanelPlot()
        self.plot.setMinimumHeight(150)
        self.plot.setLabel("bottom", "step")
        self.loss_curve = self.plot.plot([], [], pen=pg.mkPen(LOSS_COLOUR, width=1.5), name="training loss")
        self.f1_curve = self.plot.plot([], [], pen=pg.mkPen(F1_COLOUR, width=2), symbol="o", symbolSize=5,
                                       symbolBrush=F1_COLOUR, name="validation F1")
        layout.addWidget(self.plot, 1)
        session.project_opened.connect(lambda _: self.refresh())
        self.refresh()

    # -- the list of images ---------------------------------------------------
    def teaching_images(self) -> list[tuple[str, str, str]]:
        """``(image, ground truth, cells)`` of the images that can teach.

        The cells are those the training run will use (`training_images`, as
        in the new model's card), so the table, the status line and the card agree.
        """
        from ..training.project_data import training_images

        project = self.session.project
        if project is None:
            return []
        return [(Path(image.name).name, image.kind, str(image.n_cells))
                for image in training_images(project).images]

    def refresh(self) -> None:
        """List the project's usable images and the models to start from."""
        self.base.clear()
        self.base.addItem(SCRATCH, "")
        for entry in list_models(self.session.models.extra_dirs):
            if entry.name != "classical":
                self.base.addItem(f"{entry.name} {entry.version} ({entry.source})", entry.name)
        current = self.session.project.defaults.model if self.session.project else ""
        index = self.base.findData(current)
        self.base.setCurrentIndex(index if index >= 0 else min(1, self.base.count() - 1))
        if self.loss.count() == 1:
            from ..training.config import LOSS_TERMS

            for name in LOSS_TERMS:
                self.loss.addItem(name, name)
        rows = self.teaching_images()
        self.images.setRowCount(len(rows))
        for row, values in enumerate(rows):
            for column, text in enumerate(values):
                self.images.setItem(row, column, QTableWidgetItem(text))
        project = self.session.project
        self.start_button.setEnabled(torch_available() and project is not None and self.worker is None)
        if not torch_available():
            self.status.setText("Training needs PyTorch: install CellCounter with its 'train' extra "
                                "(pip install 'cellcounter[train]').")

    def import_annotations(self, path: str | Path | None = None, units: str = "px") -> bool:
        """Import ground truth for the current image (asks for the file when ``path`` is None)."""
        from ..training.annotation_store import import_annotation

        project, image_id = self.session.project, self.session.current
        if project is None or not image_id:
            self.status.setText("Choose an image first.")
            return False
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Import annotations", str(project.folder), ANNOTATION_FILTER)
            if not path:
                return False
        try:
            annotation = import_annotation(project, image_id, path, units=units)
        except CellCounterError as exc:
            log.warning("%s", exc)
            self.status.setText(str(exc))
            return False
        self.status.setText(f"Imported {annotation.n_cells} cells for {project.image(image_id).name}.")
        self.refresh()
        return True

    # -- running --------------------------------------------------------------
    def start(self, **options: Any) -> bool:
        """Start training (options override the panel's, e.g. ``epochs=2`` in tests).

        Too little ground truth is refused here, with what to add, before any
        process starts (False).  Otherwise the project is saved in the
        background and the training process starts after it (`started`).
        """
        from ..training.project_data import NotEnoughAnnotations, check_enough, training_images

        project = self.session.project
        if project is None or self.worker is not None or self._starting:
            return False
        settings = {"base": self.base.currentData() or "", "loss": self.loss.currentData() or "",
                    "minutes": float(self.minutes.value()), "epochs": int(self.epochs.value()),
                    "val_fraction": float(self.val_fraction.value()), **options}
        try:
            check_enough(training_images(project).images)
        except NotEnoughAnnotations as exc:
            self.status.setText(str(exc))
            return False
        self.start_button.setEnabled(False)
        self.status.setText("Saving the project…")
        self._starting = True
        self.session.save_in_background(lambda path: self._launch(path, settings))
        return True

    def _launch(self, project_file: Path | None, settings: dict[str, Any]) -> None:
        """Start the child process on the saved project (the save ran in the background)."""
        from ..training.process_runner import relay

        self._starting = False
        if project_file is None:
            self.status.setText("The project could not be saved before training; see the error panel.")
            self.start_button.setEnabled(True)
            return
        folder = project_file.parent
        self._steps, self._epochs, self.result = [], [], None
        self.loss_curve.setData([], [])
        self.f1_curve.setData([], [])
        self.use_button.setEnabled(False)
        self._started = time.monotonic()
        self.worker = QtWorker(lambda cancelled: relay(folder, settings, cancelled), "training", self)
        self.worker.yielded.connect(self._on_report)
        self.worker.finished.connect(self._on_finished)
        self.cancel_button.setEnabled(True)
        self.status.setText("Preparing the images…")
        self.worker.start()
        self.started.emit()

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.status.setText("Stopping after this step; the best model so far will be kept…")

    def _on_report(self, report: Any) -> None:
        kind = getattr(report, "report_type", type(report).__name__)
        if kind == "TrainingStarted":
            self.status.setText(self._started_text(report))
        elif kind == "ProcessFailed":
            self.status.setText(f"Training stopped: {report.message}")
            log.error("training: %s", report.message)
        elif kind == "TrainingNotice":
            self.status.setText(report.message)
            log.warning("training: %s", report.message)
        elif kind == "StepReport" and math.isfinite(report.loss):
            self._steps.append((report.step, report.loss))
            if len(self._steps) % 5 == 1:
                self.loss_curve.setData(*zip(*self._steps))
            self.status.setText(self._progress_text(report))
        elif kind == "EpochReport":
            if math.isfinite(report.val_f1):
                self._epochs.append((report.step, report.val_f1))
                self.f1_curve.setData(*zip(*self._epochs))
            self.loss_curve.setData(*zip(*self._steps)) if self._steps else None
        elif kind == "ProjectTrainResult":
            self.result = report
            self.status.setText(self._result_text(report))
            if report.ok:
                (log.info if report.stop in ("completed", "time budget", "cancelled") else log.warning)(
                    "training: %s", report.message)
                self.session.models.forget(report.model_name)
                self._offer(report)
                self.model_trained.emit(report.model_name)
            else:
                log.warning("training: %s", report.message)

    def _started_text(self, report: Any) -> str:
        """Where the cells go: the table's total, split between training and validation."""
        listed = sum(int(self.images.item(row, 2).text() or 0) for row in range(self.images.rowCount())
                     if self.images.item(row, 2) is not None)
        split = report.train_cells + report.val_cells
        text = (f"Training {report.model_name} from {report.base or 'scratch'}: {listed or split} annotated cells, "
                f"{report.train_cells} on {len(report.train_images)} image part(s) for training and "
                f"{report.val_cells} on {len(report.val_images)} for validation")
        if listed and split > listed:
            text += f" (an image split in two counts the {split - listed} cell(s) on the cut in both parts)"
        return text + "…"

    def _progress_text(self, report: Any) -> str:
        budget = float(self.minutes.value()) * 60
        elapsed = time.monotonic() - self._started
        left = max(0.0, budget - elapsed)
        f1 = f", validation F1 {self._epochs[-1][1]:.3f}" if self._epochs else ""
        return (f"step {report.step}, epoch {report.epoch}: loss {report.loss:.4f}{f1} · "
                f"{report.images_per_s:.1f} images/s · about {left / 60:.1f} min left")

    @staticmethod
    def _result_text(result: Any) -> str:
        if not result.ok:
            return f"No model was written: {result.message}"
        scores = ""
        if result.f1 is not None and result.base_f1 is not None:
            scores = (f" Detection F1 on the validation images, counted as the window counts (the card's "
                      f"evaluation): {result.f1:.3f} (new) vs {result.base_f1:.3f} ({result.reference}).")
            if result.f1 <= result.base_f1:
                scores += f" Not better than {result.reference}: keep counting with it, or add more annotations."
        return (f"{result.model_name} written after {result.steps} steps, {result.minutes:.1f} min on "
                f"{result.device or 'CPU'} ({result.stop}).{scores}")

    def _offer(self, result: Any) -> None:
        """Offer the new model unless it scored no better than its base on the validation images."""
        worse = result.f1 is not None and result.base_f1 is not None and result.f1 <= result.base_f1
        self.use_button.setEnabled(not worse)
        self.use_button.setToolTip(
            f"Not better than {result.reference} on the validation images; it stays in the model picker "
            "(Detection → Model) if you want it anyway" if worse else "Count the project with the new model")

    def _on_finished(self, cancelled: bool) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.wait()
            worker.deleteLater()
        self.cancel_button.setEnabled(False)
        self.refresh()
        if self.result is not None:
            self.status.setText(self._result_text(self.result))

    def use_model(self) -> None:
        """Count the project with the model just trained."""
        if self.result is None or not self.result.ok or self.session.project is None:
            return
        self.session.project.set_defaults(model=self.result.model_name)
        self.session.count_pending()

    def shutdown(self) -> None:
        """Stop a run and wait for its thread (the window is closing)."""
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait(120_000)
