"""Menus, toolbar and shortcuts of the main window, and what each action does.

Project files (New / Open / Save / Save As / recent), adding images,
counting, corrections and regions, export, settings and help.  File dialogs
remember their last folder in the user settings.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QToolBar

from ..errors import CellCounterError
from ..project import ProjectError, RecentProjects
from .export_actions import ExportActions
from .qt_about import QtAboutDialog
from .qt_settings_dialog import QtSettingsDialog
from .settings import save_settings, settings_path

if TYPE_CHECKING:
    from .main_window import QtMainWindow

log = logging.getLogger(__name__)

IMAGE_FILTER = "Images (*.tif *.tiff *.png *.jpg *.jpeg *.bmp);;All files (*)"
MODES = (("View", "view", "V", "Pan and zoom"),
         ("Correct", "edit", "C", "Click to add a cell, click a cell to remove it; Shift+click always adds"),
         ("Polygon region", "polygon", "P", "Click the corners of a counting region; double-click to close"),
         ("Rectangle region", "rectangle", "R", "Drag a rectangular counting region"))


class Actions:
    """Builds the menus and toolbar of ``window`` and carries out their actions."""

    def __init__(self, window: "QtMainWindow") -> None:
        self.window = window
        self.session = window.session
        self.recent = RecentProjects(settings_path().parent / "recent.json")
        self.exports = ExportActions(window)
        self._build()

    def _action(self, text: str, slot: Callable[[], Any], shortcut: Any = None, tip: str = "") -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda *_: slot())
        return action

    def _build(self) -> None:
        w, s = self.window, self.session
        menu = w.menuBar()
        self.new = self._action("&New project", self.new_project, QKeySequence.StandardKey.New)
        self.open = self._action("&Open project…", self.open_project, QKeySequence.StandardKey.Open,
                                 "Open a project folder")
        self.save = self._action("&Save", self.save_project, QKeySequence.StandardKey.Save, "Save the project")
        self.save_as = self._action("Save project &as…", self.save_project_as, QKeySequence.StandardKey.SaveAs)
        self.add_images = self._action("Add &images…", self.choose_images, "Ctrl+I")
        self.add_folder = self._action("Add &folder…", self.choose_folder, "Ctrl+Shift+I",
                                       "Add every image of a folder (and its subfolders) and count them")
        self.quit = self._action("&Quit", w.close, QKeySequence.StandardKey.Quit)
        self.recent_menu = QMenu("Open &recent", w)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu = menu.addMenu("&File")
        for item in (self.new, self.open, self.recent_menu, self.save, self.save_as, None, self.add_images,
                     self.add_folder, None, self.exports.menu, None, self.quit):
            _add(file_menu, item)

        self.undo = self._action("&Undo", self.undo_edit, QKeySequence.StandardKey.Undo)
        self.redo = self._action("&Redo", self.redo_edit, "Ctrl+Shift+Z")
        self.remove = self._action("Remove selected images", self.remove_images, "Del",
                                   "Take the selected images out of the project (the files stay)")
        self.clear_corrections = self._action("Clear corrections of this image", self._clear_corrections)
        self.clear_regions = self._action("Clear regions of this image", self._clear_regions)
        self.preferences = self._action("&Preferences…", self.edit_settings, QKeySequence.StandardKey.Preferences)
        edit_menu = menu.addMenu("&Edit")
        for item in (self.undo, self.redo, None, self.remove, self.clear_corrections, self.clear_regions, None,
                     self.preferences):
            _add(edit_menu, item)

        view_menu = menu.addMenu("&View")
        self.modes = QActionGroup(w)
        for title, mode, key, tip in MODES:
            action = self._action(title, lambda m=mode: w.viewer.set_mode(m), key, tip)
            action.setCheckable(True)
            action.setChecked(mode == "view")
            action.setData(mode)
            self.modes.addAction(action)
            view_menu.addAction(action)
        view_menu.addSeparator()
        view_menu.addAction(w.viewer.overlay_action)
        self.overlay_parts = {"outlines": True, "centroids": True, "ids": False}
        for part, title in (("outlines", "Cell outlines"), ("centroids", "Cell centres"), ("ids", "Cell ids")):
            action = QAction(title, w, checkable=True, checked=self.overlay_parts[part])
            action.toggled.connect(lambda on, p=part: self._show_overlay_part(p, on))
            view_menu.addAction(action)
        self.next_image = self._action("Next image", lambda: self.step(1), "PgDown")
        self.previous_image = self._action("Previous image", lambda: self.step(-1), "PgUp")
        view_menu.addActions([self.next_image, self.previous_image])

        self.count_all = self._action("Count all ▶", s.count_pending, "Ctrl+R",
                                      "Count every new, changed or failed image")
        self.recount = self._action("Recount this image", self._recount_current, "Ctrl+Shift+R")
        self.cancel = self._action("Cancel ■", s.cancel, "Esc", "Stop counting after the current image")
        self.cancel.setEnabled(False)
        self.show_markers = self._action("Marker-positive cells…", self.show_markers_panel, tip=(
            "Find cells in one channel and call them positive or negative for markers in the others"))
        analysis = menu.addMenu("&Analysis")
        analysis.addActions([self.count_all, self.recount, self.cancel])
        analysis.addSeparator()
        analysis.addAction(self.show_markers)
        models = menu.addMenu("&Models")
        models.addAction(self._action("Refresh model list", w.controls.fill_models))
        models.addAction(self._action("Train a model on this project…", self.show_training,
                                      tip="Fine-tune a model on the corrected or annotated images"))
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self._action("&About CellCounter", self.about))
        help_menu.addAction(self._action("Open log file", w.errors.open_log_file))

        bar = QToolBar("Main", w)
        bar.setObjectName("main_toolbar")
        bar.setMovable(False)
        for item in (self.open, self.save, self.add_folder, None, self.count_all, self.cancel, None,
                     self.exports.workbook, None, *self.modes.actions()):
            _add(bar, item)
        w.addToolBar(bar)
        s.batch_started.connect(lambda _: self.cancel.setEnabled(True))
        s.batch_finished.connect(lambda *_: self.cancel.setEnabled(False))

    # -- projects -------------------------------------------------------------
    def new_project(self) -> None:
        self.session.new_project()

    def open_project(self, folder: str | Path | None = None) -> bool:
        """Open a project folder (asks for one when not given); True when it opened."""
        if folder is None:
            start = self.window_settings().last_open_dir or str(Path.home())
            folder = QFileDialog.getExistingDirectory(self.window, "Open project folder", start)
            if not folder:
                return False
        try:
            self.session.open_project(folder)
        except ProjectError as exc:
            if not getattr(exc, "backup_available", False):
                QMessageBox.warning(self.window, "Cannot open project", str(exc))
                return False
            answer = QMessageBox.question(
                self.window, "Project file damaged",
                f"{exc}\n\nOpen the backup made at the previous save instead?")
            if answer != QMessageBox.StandardButton.Yes:
                return False
            try:
                self.session.open_project(folder, from_backup=True)
            except ProjectError as again:
                QMessageBox.warning(self.window, "Cannot open the backup either", str(again))
                return False
        self.recent.add(self.session.project.folder)
        self.update_settings(last_open_dir=str(Path(folder).parent))
        return True

    def save_project(self) -> None:
        try:
            path = self.session.save()
        except CellCounterError as exc:
            QMessageBox.warning(self.window, "Not saved", str(exc))
            return
        self.recent.add(path.parent)
        self.session.message.emit(f"Saved {path}")

    def save_project_as(self) -> None:
        start = self.window_settings().last_open_dir or str(Path.home())
        folder, _ = QFileDialog.getSaveFileName(self.window, "Save project as (a new folder)", start)
        if not folder:
            return
        target = Path(folder)
        if target.exists() and any(target.iterdir()):
            QMessageBox.warning(self.window, "Folder not empty",
                                f"{target} already has files in it; choose a new folder name.")
            return
        old_folder = self.session.project.folder
        try:
            path = self.session.save_as(target)
        except CellCounterError as exc:
            QMessageBox.warning(self.window, "Not saved", str(exc))
            return
        if not old_folder.exists():
            self.recent.remove(old_folder)
        self.recent.add(path.parent)
        self.window._update_title()
        self.session.message.emit(f"Saved as {path.parent}")

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        folders = self.recent.list()
        if not folders:
            self.recent_menu.addAction("(none)").setEnabled(False)
        for folder in folders:
            self.recent_menu.addAction(str(folder), lambda f=folder: self.open_project(f))

    # -- images ---------------------------------------------------------------
    def add_paths(self, paths: list[Path]) -> list[str]:
        """Add dropped or chosen files and folders to the project and count them."""
        if self.session.project is None:
            self.session.new_project()
        added = self.session.add_paths(paths)
        self.session.message.emit(f"Added {len(added)} image(s)" if added else "No new images found there")
        return added

    def choose_images(self) -> None:
        start = self.window_settings().last_open_dir or str(Path.home())
        files, _ = QFileDialog.getOpenFileNames(self.window, "Add images", start, IMAGE_FILTER)
        if files:
            self.update_settings(last_open_dir=str(Path(files[0]).parent))
            self.add_paths([Path(f) for f in files])

    def choose_folder(self) -> None:
        start = self.window_settings().last_open_dir or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self.window, "Add a folder of images", start)
        if folder:
            self.update_settings(last_open_dir=folder)
            self.add_paths([Path(folder)])

    def remove_images(self) -> None:
        ids = self.window.browser.selected_image_ids() or self.window.results.selected_image_ids()
        if ids and self.session.project is not None:
            self.session.project.remove_images(ids)

    def _show_overlay_part(self, part: str, on: bool) -> None:
        self.overlay_parts[part] = on
        self.window.apply_overlay_settings()

    def step(self, delta: int) -> None:
        """Show the next (``delta`` 1) or previous (-1) image in the browser's order."""
        table = self.window.browser
        ids = [table.proxy.mapToSource(table.proxy.index(row, 0)).row() for row in range(table.proxy.rowCount())]
        ids = [table.table_model.image_id(row) for row in ids]
        if not ids:
            return
        current = ids.index(self.session.current) if self.session.current in ids else -1
        self.session.set_current(ids[max(0, min(len(ids) - 1, current + delta))])

    def _recount_current(self) -> None:
        if self.session.current:
            self.session.count([self.session.current])

    # -- edits ----------------------------------------------------------------
    def undo_edit(self) -> None:
        project = self.session.project
        edit = project.undo() if project is not None else None
        self.session.message.emit(f"Undid {edit.kind}" if edit else "Nothing to undo")
        if edit is not None and edit.image_id != self.session.current:
            self.session.set_current(edit.image_id)

    def redo_edit(self) -> None:
        project = self.session.project
        edit = project.redo() if project is not None else None
        self.session.message.emit(f"Redid {edit.kind}" if edit else "Nothing to redo")
        if edit is not None and edit.image_id != self.session.current:
            self.session.set_current(edit.image_id)

    def _clear_corrections(self) -> None:
        if self.session.project is not None and self.session.current:
            self.session.project.clear_corrections(self.session.current)

    def _clear_regions(self) -> None:
        if self.session.project is not None and self.session.current:
            self.session.project.clear_regions(self.session.current)

    # -- settings and help ----------------------------------------------------
    def window_settings(self) -> Any:
        return self.session.settings

    def update_settings(self, **changes: Any) -> None:
        self.session.settings = replace(self.session.settings, **changes)
        try:
            save_settings(self.session.settings)
        except CellCounterError as exc:
            log.warning("settings not saved: %s", exc)

    def edit_settings(self) -> None:
        names = [self.window.controls.model_box.itemData(i) for i in range(self.window.controls.model_box.count())]
        dialog = QtSettingsDialog(self.session.settings, names, self.window)
        if dialog.exec():
            self.session.settings = dialog.settings()
            self.session.models.clear()
            save_settings(self.session.settings)
            self.window.apply_overlay_settings()

    def show_markers_panel(self) -> None:
        self.window.markers_dock.show()
        self.window.markers_dock.raise_()
        self.window.markers.refresh()

    def show_training(self) -> None:
        self.window.training_dock.show()
        self.window.training_dock.raise_()
        self.window.training.refresh()

    def about(self) -> None:
        QtAboutDialog(self.window.errors.log_file, self.window).exec()

    def remember_state(self) -> None:
        """Before the window closes: the project in the recent list, the layout and last image in the settings."""
        if self.session.project is not None:
            self.recent.add(self.session.project.folder)
        self.update_settings(**self.window.layout_state())


def _add(container: Any, item: Any) -> None:
    if item is None:
        container.addSeparator()
    elif isinstance(item, QMenu):
        container.addMenu(item) if hasattr(container, "addMenu") else container.addAction(item.menuAction())
    else:
        container.addAction(item)
