"""The status bar: device and runtime, batch progress with time left, and the error counter."""

from __future__ import annotations

import math

import onnxruntime
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar, QWidget

from .error_log import ErrorLog
from .session import Session

MESSAGE_MS = 6000


class QtStatusBar(QStatusBar):
    """Shows what the app runs on, how far a batch is and how many errors there were.

    Signals
    -------
    errors_clicked()
        The user clicked the error counter (the window shows the error panel).
    """

    errors_clicked = Signal()

    def __init__(self, session: Session, error_log: ErrorLog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.device = QLabel()
        self.device.setObjectName("device_label")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.time_left = QLabel()
        self.errors = QPushButton()
        self.errors.setFlat(True)
        self.errors.setObjectName("error_counter")
        self.errors.clicked.connect(self.errors_clicked)
        self.addPermanentWidget(self.device)
        self.addPermanentWidget(self.progress)
        self.addPermanentWidget(self.time_left)
        self.addPermanentWidget(self.errors)
        session.batch_started.connect(self._on_started)
        session.batch_progress.connect(self._on_progress)
        session.batch_finished.connect(self._on_finished)
        session.message.connect(lambda text: self.showMessage(text, MESSAGE_MS))
        self.set_error_count(0)
        self.update_device()

    def update_device(self) -> None:
        """Say which device and ONNX Runtime provider the loaded models use."""
        models = self.session.models.loaded()
        providers = sorted({model.provider for model in models if model.provider})
        if not providers:
            self.device.setText(_expected_device(self.session.settings.use_gpu))
            return
        device = "GPU" if any("CUDA" in p or "DirectML" in p or "CoreML" in p for p in providers) else "CPU"
        names = ", ".join(p.replace("ExecutionProvider", "") for p in providers)
        self.device.setText(f"{device} · ONNX Runtime ({names})")

    def set_error_count(self, count: int) -> None:
        self.errors.setText(f"⚠ {count} error{'s' if count != 1 else ''}" if count else "no errors")
        self.errors.setEnabled(bool(count))

    def _on_started(self, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(0)
        self.progress.setFormat(f"0/{total} counted")
        self.progress.show()
        self.time_left.setText("")

    def _on_progress(self, done: int, total: int, seconds_left: float) -> None:
        self.update_device()
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done}/{total} counted")
        if math.isfinite(seconds_left) and done < total:
            minutes, seconds = divmod(int(round(seconds_left)), 60)
            self.time_left.setText(f"{minutes:02d}:{seconds:02d} left")
        else:
            self.time_left.setText("")

    def _on_finished(self, cancelled: bool, counted: int, failed: int) -> None:
        self.update_device()
        self.progress.hide()
        self.time_left.setText("cancelled" if cancelled else "")


def _expected_device(use_gpu: bool) -> str:
    """Where counting will run, before a model is loaded: the GPU when ONNX Runtime offers CUDA, else the CPU."""
    if use_gpu and "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        return "GPU (CUDA) when usable · ONNX Runtime"
    return "CPU · ONNX Runtime (CPU)"
