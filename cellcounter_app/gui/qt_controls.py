"""The DETECTION panel: model, cell diameter and every post-processing parameter.

A view of the project's defaults (or of the current image's own overrides
when "this image only" is ticked).  Each edit is written to the project; the
session then recounts the current image from its cached probability map, and
the other images are marked stale until "Apply to all".
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .mixins import DeferredRefresh
from ..errors import CellCounterError
from ..inference import list_models
from ..postprocess.params import PARAM_SPECS
from ..postprocess.size import DEFAULT_SIZE, SizeSetting
from ..project import COUNTED, STALE
from .qt_param_widgets import QtParamControl
from .scrolling import scrolled
from .size_text import diameter_text
from .session import Session

log = logging.getLogger(__name__)


class QtControlsPanel(DeferredRefresh, QWidget):
    """Model picker, diameter and parameters of the open project (see the module docstring)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._unsubscribe = lambda: None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        fields = QWidget()
        fields.setObjectName("detection_fields")
        form = QFormLayout(fields)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.model_box = QComboBox()
        self.model_box.setToolTip("The model that finds the cells. Changing it recounts the images.")
        self.model_box.activated.connect(self._on_model)
        form.addRow("Model", self.model_box)
        self.diameter = QLineEdit()
        self.diameter.setPlaceholderText(f"{DEFAULT_SIZE.to_text()} (default); or 14um, 30px, model")
        self.diameter.setToolTip(
            "The expected cell diameter; type a value and press Enter.\n"
            f"Default: {DEFAULT_SIZE.to_text()} — estimated for each image (This image says the diameter used "
            "and how sure the estimate is).\n"
            "14um: in µm (needs a pixel size: from the image or Settings).\n"
            "30px: in pixels of the image.\n"
            "model: the size the model was trained on, no rescaling.\n"
            "Set it when the outlines split cells or merge neighbours.")
        self.diameter.editingFinished.connect(self._on_diameter)
        form.addRow("Cell diameter", self.diameter)
        self.estimate = QLabel()
        self.estimate.setObjectName("diameter_used")
        self.estimate.setWordWrap(True)
        form.addRow("", self.estimate)
        self.controls: dict[str, QtParamControl] = {}
        for spec in PARAM_SPECS:
            control = QtParamControl(spec)
            control.edited.connect(self._on_edited)
            self.controls[spec.name] = control
            form.addRow("" if spec.kind is bool else spec.title, control)
        self.fields = scrolled(fields)
        layout.addWidget(self.fields, 1)
        self.this_image = QCheckBox("Only this image")
        self.this_image.setToolTip("Store the changes for the current image only, not as project defaults.")
        self.this_image.toggled.connect(lambda _: self.refresh())
        layout.addWidget(self.this_image)
        buttons = QHBoxLayout()
        self.reset = QPushButton("Model defaults")
        self.reset.setToolTip("Forget the values set by hand: use the model's calibrated parameters.")
        self.reset.clicked.connect(self._on_reset)
        self.apply_all = QPushButton("Apply to all")
        self.apply_all.setToolTip("Count every new, changed or failed image with these settings.")
        self.apply_all.clicked.connect(session.count_pending)
        buttons.addWidget(self.reset)
        buttons.addWidget(self.apply_all)
        layout.addLayout(buttons)
        session.project_opened.connect(self._on_project)
        session.current_changed.connect(lambda _: self.schedule_refresh())
        session.result_changed.connect(lambda image_id: image_id == session.current and self.schedule_refresh())
        self.fill_models()
        if session.project is not None:
            self._on_project(session.project)

    def fill_models(self) -> None:
        """List the installed models (call again after a model was added)."""
        current = self.model_box.currentData()
        self.model_box.clear()
        for entry in list_models(self.session.models.extra_dirs):
            label = f"{entry.name} {entry.version}".strip()
            self.model_box.addItem(label, entry.name)
            self.model_box.setItemData(self.model_box.count() - 1, entry.description, Qt.ItemDataRole.ToolTipRole)
        if current is not None:
            self._select_model(current)

    def _select_model(self, name: str) -> None:
        index = self.model_box.findData(name)
        if index < 0 and name:
            self.model_box.addItem(f"{name} (not installed)", name)
            index = self.model_box.count() - 1
        self.model_box.setCurrentIndex(index)

    def _on_project(self, project: Any) -> None:
        self.fill_models()
        self._unsubscribe()
        self._unsubscribe = project.subscribe(self._on_event)
        self.refresh()

    def _on_event(self, event: str, payload: Any) -> None:
        if event in ("params_changed", "images_removed") or (event == "image_changed" and payload == self.session.current):
            self.schedule_refresh()

    def target(self) -> str | None:
        """Where an edit goes: the current image's id with "Only this image" ticked, else None (the project)."""
        return self.session.current if self.this_image.isChecked() and self.session.current else None

    def refresh(self) -> None:
        """Show the values that apply to the current image."""
        self.refresh_started()
        project = self.session.project
        self.setEnabled(project is not None)
        if project is None:
            return
        self._select_model(project.defaults.model)
        self.diameter.setText(SizeSetting.from_dict(project.defaults.size).to_text())
        current = self.session.current
        used: dict[str, Any] = {}
        user = dict(project.defaults.params)
        if current:
            entry = project.image(current)
            used = dict(entry.params_used) if entry.state in (COUNTED, STALE) else {}  # a failure used nothing
            user = project.user_params(current)
            self.estimate.setText(_diameter_text(used, entry.summary.get("pixel_size_um")))
        else:
            self.estimate.setText("")
        model_params = self._model_params()
        for name, control in self.controls.items():
            value = user.get(name, used.get(name, model_params.get(name, control.spec.default)))
            control.set_value(value)
            font = control.font()
            font.setBold(name in user)
            control.setFont(font)

    def _model_params(self) -> dict[str, Any]:
        project = self.session.project
        try:
            model = self.session.models.get(project.defaults.model, self.session.settings.use_gpu,
                                            self.session.settings.threads or None)
        except CellCounterError:
            return {}
        return model.meta.default_params().to_dict()

    def _on_model(self, index: int) -> None:
        name = self.model_box.itemData(index)
        if self.session.project is not None and name and name != self.session.project.defaults.model:
            self.session.project.set_defaults(model=name)

    def _on_diameter(self) -> None:
        project = self.session.project
        if project is None:
            return
        try:
            size = SizeSetting.parse(self.diameter.text())
        except CellCounterError as exc:
            self.diameter.setStyleSheet("QLineEdit { border: 1px solid #d9534f; }")
            self.diameter.setToolTip(str(exc))
            return
        self.diameter.setStyleSheet("")
        if size.to_dict() != dict(project.defaults.size):
            project.set_defaults(size=size.to_dict())

    def _on_edited(self, name: str, value: Any) -> None:
        project = self.session.project
        if project is None:
            return
        try:
            project.set_params({name: value}, self.target())
        except CellCounterError as exc:
            log.warning("%s", exc)
            self.refresh()

    def _on_reset(self) -> None:
        project = self.session.project
        if project is not None:
            project.set_params({spec.name: None for spec in PARAM_SPECS}, self.target())

    def closeEvent(self, event: Any) -> None:
        self._unsubscribe()
        super().closeEvent(event)


def _diameter_text(used: dict[str, Any], pixel_size: Any) -> str:
    text = diameter_text(used, pixel_size)
    return f"this image: {text}" if text else ""
