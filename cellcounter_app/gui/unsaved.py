"""Quitting with changes that could not be saved: save elsewhere, discard them, or stay."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox

if TYPE_CHECKING:
    from .main_window import QtMainWindow

SAVED, DISCARD, CANCEL = "saved", "discard", "cancel"


def settle_unsaved(window: "QtMainWindow") -> str:
    """Save the project before the window closes; ask the user while it cannot be saved.

    Returns `SAVED` (nothing is left unsaved: close), `DISCARD` (the user
    lets the unsaved changes go: close without saving) or `CANCEL` (keep
    the window open).
    """
    session = window.session
    while True:
        error = session.save_pending()
        if error is None:
            return SAVED
        box = QMessageBox(QMessageBox.Icon.Warning, "Project not saved",
                          f"The changes to {session.project.name} could not be saved:\n\n{error}\n\n"
                          "Save the project into another folder, quit and lose the changes since the "
                          "last save, or go back to the window?", parent=window)
        elsewhere = box.addButton("Save elsewhere…", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard changes", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(elsewhere)
        box.exec()
        clicked = box.clickedButton()
        if clicked is discard:
            return DISCARD
        if clicked is not elsewhere:
            return CANCEL
        window.actions.save_project_as()
