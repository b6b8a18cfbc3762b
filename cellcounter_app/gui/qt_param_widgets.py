"""One control per post-processing parameter, built from its `ParamSpec`.

The spec gives the type, range, unit, title and help text, so a new
parameter in `PARAM_SPECS` gets its control without touching the window.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QHBoxLayout, QSlider, QSpinBox, QWidget

from ..postprocess.params import ParamSpec

INT_LIMIT = 2**31 - 1
SLIDER_STEPS = 100


class QtParamControl(QWidget):
    """An editor for one parameter: a checkbox, a spin box, or a slider with a spin box.

    Signals
    -------
    edited(str, object)
        The user changed the value: parameter name and new value (not
        emitted by :meth:`set_value`).
    """

    edited = Signal(str, object)

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self._slider: QSlider | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.setToolTip(spec.help)
        self.editor: QCheckBox | QSpinBox | QDoubleSpinBox
        if spec.kind is bool:
            self.editor = QCheckBox(spec.title)
            self.editor.toggled.connect(lambda value: self._emit(bool(value)))
        elif spec.kind is int:
            self.editor = QSpinBox()
            self.editor.setRange(int(spec.minimum or 0), int(min(spec.maximum or INT_LIMIT, INT_LIMIT)))
            if spec.unit:
                self.editor.setSuffix(f" {spec.unit}")
            self.editor.setKeyboardTracking(False)
            self.editor.valueChanged.connect(lambda value: self._emit(int(value)))
        else:
            self.editor = QDoubleSpinBox()
            lo, hi = float(spec.minimum or 0.0), float(spec.maximum if spec.maximum is not None else 1e9)
            self.editor.setRange(lo, hi)
            self.editor.setDecimals(2)
            self.editor.setSingleStep(0.01)
            self.editor.setKeyboardTracking(False)
            if spec.unit:
                self.editor.setSuffix(f" {spec.unit}")
            if hi - lo <= 1.0:
                self._slider = QSlider(Qt.Orientation.Horizontal)
                self._slider.setRange(round(lo * SLIDER_STEPS), round(hi * SLIDER_STEPS))
                self._slider.setToolTip(spec.help)
                self._slider.valueChanged.connect(self._on_slider)
                layout.addWidget(self._slider, 1)
            self.editor.valueChanged.connect(self._on_spin)
        self.editor.setToolTip(spec.help)
        self.editor.setObjectName(f"param_{spec.name}")
        layout.addWidget(self.editor)

    @property
    def slider(self) -> QSlider | None:
        return self._slider

    def value(self) -> Any:
        if isinstance(self.editor, QCheckBox):
            return self.editor.isChecked()
        return self.editor.value()

    def set_value(self, value: Any) -> None:
        """Show ``value`` without reporting an edit."""
        widgets = [self.editor, *([self._slider] if self._slider else [])]
        for widget in widgets:
            widget.blockSignals(True)
        try:
            if isinstance(self.editor, QCheckBox):
                self.editor.setChecked(bool(value))
            else:
                self.editor.setValue(value)
            if self._slider is not None:
                self._slider.setValue(round(float(value) * SLIDER_STEPS))
        finally:
            for widget in widgets:
                widget.blockSignals(False)

    def _on_slider(self, position: int) -> None:
        value = position / SLIDER_STEPS
        self.editor.blockSignals(True)
        self.editor.setValue(value)
        self.editor.blockSignals(False)
        self._emit(round(value, 2))

    def _on_spin(self, value: float) -> None:
        if self._slider is not None:
            self._slider.blockSignals(True)
            self._slider.setValue(round(value * SLIDER_STEPS))
            self._slider.blockSignals(False)
        self._emit(round(float(value), 4))

    def _emit(self, value: Any) -> None:
        self.edited.emit(self.spec.name, value)
