"""The Settings dialog edits every setting within its bounds and returns new UserSettings."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QSpinBox  # noqa: E402

from cellcounter_app.gui.qt_settings_dialog import QtSettingsDialog  # noqa: E402
from cellcounter_app.gui.settings import UserSettings  # noqa: E402
from cellcounter_app.postprocess.size import DEFAULT_SIZE  # noqa: E402
from cellcounter_app.postprocess.params import SPECS_BY_NAME  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def initial():
    return UserSettings(default_model="nuclei", default_params={"threshold": 0.6}, threads=2,
                        last_export_dir="/data/out")


@pytest.fixture
def dialog(qtbot, initial):
    widget = QtSettingsDialog(initial, ["classical", "nuclei"])
    qtbot.addWidget(widget)
    return widget


def test_shows_the_current_settings(dialog, initial):
    assert dialog.model_combo.currentText() == "nuclei" and dialog.threads.value() == 2
    assert dialog.use_gpu.isChecked() and dialog.pixel_size.value() == 0.0
    assert dialog.diameter.text() == DEFAULT_SIZE.to_text() and dialog.overlay_color.text() == "#00e5ff"
    assert dialog.findChild(QCheckBox, "set_threshold").isChecked()
    assert dialog.findChild(QDoubleSpinBox, "param_threshold").value() == pytest.approx(0.6)
    assert not dialog.findChild(QCheckBox, "set_min_size").isChecked()
    assert not dialog.findChild(QSpinBox, "param_min_size").isEnabled()
    assert dialog.edited() == initial


def test_accept_returns_the_edited_settings(qtbot, dialog):
    dialog.model_combo.setCurrentIndex(0)
    dialog.use_gpu.setChecked(False)
    dialog.threads.setValue(8)
    dialog.pixel_size.setValue(0.65)
    dialog.diameter.setText("14 um")
    dialog.overlay_color.setText("#FFAA00")
    dialog.overlay_opacity.setValue(0.4)
    dialog.findChild(QCheckBox, "set_threshold").setChecked(False)
    dialog.findChild(QCheckBox, "set_min_size").setChecked(True)
    dialog.findChild(QSpinBox, "param_min_size").setValue(40)
    dialog.findChild(QCheckBox, "set_split_touching").setChecked(True)
    dialog.findChild(QCheckBox, "param_split_touching").setChecked(False)
    with qtbot.waitSignal(dialog.accepted):
        dialog.accept()
    assert dialog.settings() == UserSettings(
        default_model="", default_params={"min_size": 40, "split_touching": False}, use_gpu=False, threads=8,
        pixel_size_um=0.65, diameter="14um", overlay_color="#ffaa00", overlay_opacity=0.4,
        last_export_dir="/data/out")


def test_bounds_come_from_the_settings_and_parameter_specs(dialog):
    assert (dialog.threads.minimum(), dialog.threads.maximum()) == (0, 256)
    assert (dialog.overlay_opacity.minimum(), dialog.overlay_opacity.maximum()) == (0.0, 1.0)
    threshold = dialog.findChild(QDoubleSpinBox, "param_threshold")
    spec = SPECS_BY_NAME["threshold"]
    assert (threshold.minimum(), threshold.maximum()) == (spec.minimum, spec.maximum)
    dialog.threads.setValue(1000)
    assert dialog.threads.value() == 256


def test_a_bad_value_keeps_the_dialog_open_and_says_why(qtbot, dialog, initial):
    dialog.diameter.setText("large")
    with qtbot.assertNotEmitted(dialog.accepted):
        dialog.accept()
    assert "diameter must look like 12um" in dialog.error_label.text()
    assert dialog.settings() == initial
    dialog.diameter.setText("auto")
    dialog.overlay_color.setText("#12")
    dialog.accept()
    assert "overlay_color" in dialog.error_label.text()


def test_restore_defaults_keeps_the_remembered_folders(dialog):
    dialog.restore_defaults()
    assert dialog.edited() == UserSettings(last_export_dir="/data/out")


def test_a_model_no_longer_installed_is_kept_and_marked(qtbot):
    dialog = QtSettingsDialog(UserSettings(default_model="old"), ["classical"])
    qtbot.addWidget(dialog)
    assert dialog.model_combo.currentText() == "old (not installed)" and dialog.edited().default_model == "old"
