"""The Settings dialog: edits a `UserSettings` and returns a new one."""

from __future__ import annotations

from typing import Any, Sequence

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..errors import ParameterError
from ..postprocess.params import PARAM_SPECS, ParamSpec
from .settings import MAX_PIXEL_SIZE_UM, MAX_THREADS, MIN_PIXEL_SIZE_UM, UserSettings

AUTOMATIC = "Automatic"


class _ParamRow:
    """A checkbox "set this parameter" and its bounded editor."""

    def __init__(self, spec: ParamSpec) -> None:
        self.spec = spec
        self.enabled = QCheckBox(spec.title, objectName=f"set_{spec.name}")
        self.enabled.setToolTip(f"{spec.help}\nUnchecked: the model's own value.")
        if spec.kind is bool:
            self.editor: QWidget = QCheckBox(objectName=f"param_{spec.name}")
        elif spec.kind is int:
            self.editor = QSpinBox(objectName=f"param_{spec.name}")
            self.editor.setRange(int(spec.minimum or 0), int(min(spec.maximum or 2**31 - 1, 2**31 - 1)))
        else:
            self.editor = QDoubleSpinBox(objectName=f"param_{spec.name}", decimals=3, singleStep=0.01)
            self.editor.setRange(float(spec.minimum or 0.0), float(spec.maximum or 1e9))
        if spec.unit and not isinstance(self.editor, QCheckBox):
            self.editor.setSuffix(f" {spec.unit}")
        self.editor.setToolTip(spec.help)
        self.enabled.toggled.connect(self.editor.setEnabled)

    def set(self, value: Any) -> None:
        self.enabled.setChecked(value is not None)
        self.editor.setEnabled(value is not None)
        shown = self.spec.default if value is None else value
        if isinstance(self.editor, QCheckBox):
            self.editor.setChecked(bool(shown))
        else:
            self.editor.setValue(shown)

    def get(self) -> Any:
        if not self.enabled.isChecked():
            return None
        return self.editor.isChecked() if isinstance(self.editor, QCheckBox) else self.editor.value()


class QtSettingsDialog(QDialog):
    """Edit the user's settings; after ``exec()`` returns Accepted, `settings` has the result.

    Parameters
    ----------
    settings : UserSettings
        The current settings, shown first.
    model_names : sequence of str
        Installed models to offer as the default model.
    """

    def __init__(self, settings: UserSettings, model_names: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settings_dialog")
        self._initial = settings
        self._result = settings
        self._model_names = list(model_names)

        self.model_combo = QComboBox(objectName="default_model")
        self.use_gpu = QCheckBox("Use the GPU when it works", objectName="use_gpu")
        self.threads = QSpinBox(objectName="threads", minimum=0, maximum=MAX_THREADS)
        self.threads.setSpecialValueText("automatic")
        self.pixel_size = QDoubleSpinBox(objectName="pixel_size_um", decimals=4, suffix=" µm", singleStep=0.01)
        self.pixel_size.setRange(0.0, MAX_PIXEL_SIZE_UM)
        self.pixel_size.setSpecialValueText("from the image")
        self.pixel_size.setToolTip(f"Used for images without a pixel size; {MIN_PIXEL_SIZE_UM:g} to "
                                   f"{MAX_PIXEL_SIZE_UM:g} µm, or 0 to leave them uncalibrated")
        self.diameter = QLineEdit(objectName="diameter")
        self.diameter.setToolTip("Expected cell diameter: 12um, 30px, auto (estimated per image) or "
                                 "model (count at the model's own scale)")
        self.overlay_color = QLineEdit(objectName="overlay_color", maxLength=7)
        self.overlay_color.textChanged.connect(self._show_colour)
        self._swatch = QPushButton(objectName="pick_colour", toolTip="Choose the overlay colour")
        self._swatch.setFixedWidth(36)
        self._swatch.clicked.connect(self._pick_colour)
        self.overlay_opacity = QDoubleSpinBox(objectName="overlay_opacity", decimals=2, singleStep=0.05)
        self.overlay_opacity.setRange(0.0, 1.0)
        self._params = [_ParamRow(spec) for spec in PARAM_SPECS]
        self.error_label = QLabel(objectName="settings_error", wordWrap=True)
        self.error_label.setStyleSheet("color: #c0392b")

        form = QFormLayout()
        form.addRow("Default model", self.model_combo)
        form.addRow("", self.use_gpu)
        form.addRow("CPU threads", self.threads)
        form.addRow("Pixel size", self.pixel_size)
        form.addRow("Cell diameter", self.diameter)
        colour = QHBoxLayout()
        colour.addWidget(self.overlay_color)
        colour.addWidget(self._swatch)
        form.addRow("Overlay colour", colour)
        form.addRow("Overlay opacity", self.overlay_opacity)
        params = QGroupBox("Default post-processing (unchecked: the model's value)")
        params_form = QFormLayout(params)
        for row in self._params:
            params_form.addRow(row.enabled, row.editor)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.RestoreDefaults)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self.restore_defaults)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(params)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self._show(settings)

    def settings(self) -> UserSettings:
        """The accepted settings (the initial ones until the dialog is accepted)."""
        return self._result

    def edited(self) -> UserSettings:
        """Settings from the controls as they are now; raises `ParameterError` for a bad value."""
        params = {row.spec.name: row.get() for row in self._params}
        return self._initial.replace(
            default_model=self.model_combo.currentData() or "",
            default_params={name: value for name, value in params.items() if value is not None},
            use_gpu=self.use_gpu.isChecked(),
            threads=self.threads.value(),
            pixel_size_um=self.pixel_size.value() or None,
            diameter=self.diameter.text(),
            overlay_color=self.overlay_color.text(),
            overlay_opacity=self.overlay_opacity.value(),
        )

    def accept(self) -> None:
        """Close with the edited settings, or stay open and say what is wrong."""
        try:
            self._result = self.edited()
        except ParameterError as exc:
            self.error_label.setText(str(exc))
            return
        self.error_label.clear()
        super().accept()

    def restore_defaults(self) -> None:
        """Show the default settings (the remembered folders are kept)."""
        self._show(UserSettings(last_export_dir=self._initial.last_export_dir,
                                last_open_dir=self._initial.last_open_dir))

    def _show(self, settings: UserSettings) -> None:
        self.model_combo.clear()
        self.model_combo.addItem(AUTOMATIC, "")
        for name in self._model_names:
            self.model_combo.addItem(name, name)
        if settings.default_model and settings.default_model not in self._model_names:
            self.model_combo.addItem(f"{settings.default_model} (not installed)", settings.default_model)
        self.model_combo.setCurrentIndex(max(0, self.model_combo.findData(settings.default_model)))
        self.use_gpu.setChecked(settings.use_gpu)
        self.threads.setValue(settings.threads)
        self.pixel_size.setValue(settings.pixel_size_um or 0.0)
        self.diameter.setText(settings.diameter)
        self.overlay_color.setText(settings.overlay_color)
        self.overlay_opacity.setValue(settings.overlay_opacity)
        for row in self._params:
            row.set(settings.default_params.get(row.spec.name))
        self.error_label.clear()

    def _show_colour(self, text: str) -> None:
        colour = QColor(text)
        style = f"background-color: {colour.name()}" if len(text) == 7 and colour.isValid() else ""
        self._swatch.setStyleSheet(style)

    def _pick_colour(self) -> None:
        colour = QColorDialog.getColor(QColor(self.overlay_color.text()), self, "Overlay colour")
        if colour.isValid():
            self.overlay_color.setText(colour.name())
