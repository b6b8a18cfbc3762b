"""The main window: it only assembles the panels around the session.

Layout (see ``UI.md``): image browser on the left, the viewer in the middle,
DETECTION and THIS IMAGE (with Train, Markers and Stain as tabs) on the right,
results and errors at the bottom, and a status bar with the device, the
progress of a batch and the error count.
Menus and toolbar actions live in :mod:`.qt_actions`; the overlay and
correction logic in :mod:`.qt_viewer_bridge`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QIcon
from PySide6.QtWidgets import QDockWidget, QLineEdit, QMainWindow, QMessageBox, QTabWidget, QVBoxLayout, QWidget

from .error_log import ErrorLog
from .images_table_model import COLUMNS
from .qt_actions import Actions
from .qt_cells_table import QtCellsTable
from .qt_controls import QtControlsPanel
from .qt_error_panel import QtErrorPanel
from .qt_image_summary import QtImageSummary
from .qt_images_table import QtImagesTable
from .qt_markers_panel import QtMarkersPanel
from .qt_stain_panel import QtStainPanel
from .qt_status import QtStatusBar
from .qt_training_panel import QtTrainingPanel
from .qt_viewer import QtImageViewer
from .qt_viewer_bridge import ViewerBridge
from .resources import icon_path
from .scrolling import scrolled
from .session import Session
from .unsaved import CANCEL, DISCARD, settle_unsaved

log = logging.getLogger(__name__)

BROWSER_COLUMNS = ("image", "corrected", "status")
MIN_RESULTS_HEIGHT = 90
WIDE_PX = 1200
"""From this window width on, the side docks start wider."""
PREFERRED_SIZE = QSize(1400, 900)
"""The first size of the window, made smaller to fit the screen."""


class QtMainWindow(QMainWindow):
    """CellCounter's window around a `Session` (the open project and its work)."""

    def __init__(self, session: Session, error_log: ErrorLog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.error_log = error_log
        self.setWindowTitle("CellCounter")
        icon = icon_path()
        if icon is not None:
            self.setWindowIcon(QIcon(str(icon)))
        self.setAcceptDrops(True)
        self.resize(self._fitting(PREFERRED_SIZE))

        self.viewer = QtImageViewer()
        self.setCentralWidget(self.viewer)
        self.browser = QtImagesTable()
        self.browser.setObjectName("image_browser")
        self.results = QtImagesTable()
        self.results.setObjectName("results_table")
        self.cells = QtCellsTable()
        self.controls = QtControlsPanel(session)
        self.summary = QtImageSummary(session)
        self.errors = QtErrorPanel(error_log)
        self.bridge = ViewerBridge(session, self.viewer, self.cells)

        self.filter = QLineEdit()
        self.filter.setPlaceholderText("filter: part of a name")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._on_filter)
        browser_panel = QWidget()
        browser_layout = QVBoxLayout(browser_panel)
        browser_layout.setContentsMargins(0, 0, 0, 0)
        browser_layout.addWidget(self.browser, 1)
        browser_layout.addWidget(self.filter)
        left = self._dock("Images", browser_panel, Qt.DockWidgetArea.LeftDockWidgetArea, scroll=False)
        right = self._dock("Detection", self.controls, Qt.DockWidgetArea.RightDockWidgetArea, scroll=False)
        this_image = self._dock("This image", self.summary, Qt.DockWidgetArea.RightDockWidgetArea)
        self.training = QtTrainingPanel(session)
        self.training_dock = self._dock("Train", self.training, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(this_image, self.training_dock)
        self.markers = QtMarkersPanel(session)
        self.markers_dock = self._dock("Markers", self.markers, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(this_image, self.markers_dock)
        self.markers.threshold_moved.connect(lambda _value: self.bridge.schedule_overlay())
        self.stain = QtStainPanel(session, target=self.controls.target)
        self.stain_dock = self._dock("Stain", self.stain, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(this_image, self.stain_dock)
        this_image.raise_()
        self.training.model_trained.connect(lambda _name: self.controls.fill_models())
        self.tabs = QTabWidget()
        self.tabs.addTab(self.results, "Images")
        self.tabs.addTab(self.cells, "Cells of this image")
        self.tabs.addTab(self.errors, "Errors")
        self.tabs.setMinimumHeight(MIN_RESULTS_HEIGHT)
        self.results_dock = bottom = self._dock("Results", self.tabs, Qt.DockWidgetArea.BottomDockWidgetArea,
                                                scroll=False)
        wide = self.width() >= WIDE_PX
        self.resizeDocks([left, right], [250 if wide else 200, 390 if wide else 320], Qt.Orientation.Horizontal)
        self.resizeDocks([right, this_image], [440, 300], Qt.Orientation.Vertical)
        self.resizeDocks([bottom], [170], Qt.Orientation.Vertical)

        self.status = QtStatusBar(session, error_log)
        self.status.errors_clicked.connect(lambda: self.tabs.setCurrentWidget(self.errors))
        self.errors.error_count_changed.connect(self.status.set_error_count)
        self.setStatusBar(self.status)
        self.actions = Actions(self)
        self.restore_layout()

        self.apply_overlay_settings()
        for table in (self.browser, self.results):
            table.image_selected.connect(session.set_current)
        session.current_changed.connect(self._on_current)
        session.project_opened.connect(self._on_project)
        if session.project is not None:
            self._on_project(session.project)

    def apply_overlay_settings(self) -> None:
        """Draw the overlay as the user set it: outlines, centroids, ids, accent colour and opacity."""
        settings = self.session.settings
        view = self.actions.overlay_parts
        self.viewer.set_overlay_options(
            outlines=view.get("outlines", True), centroids=view.get("centroids", True), ids=view.get("ids", False),
            opacity=settings.overlay_opacity, color=settings.overlay_color)

    def _on_filter(self, text: str) -> None:
        """Show only the images whose name contains ``text`` (any case) in the browser."""
        proxy = self.browser.proxy
        proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        proxy.setFilterKeyColumn(COLUMNS.index("image"))
        proxy.setFilterFixedString(text)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea, *, scroll: bool = True) -> QDockWidget:
        """A dock of ``widget``; it scrolls (``scroll``) rather than making the window taller than the screen."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower().replace(' ', '_')}")
        dock.setWidget(scrolled(widget) if scroll else widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    # -- size and layout ------------------------------------------------------
    def _fitting(self, size: QSize) -> QSize:
        """``size`` made small enough for the screen the window is on (its free area, without task bars)."""
        screen = self.screen()
        if screen is None:
            return size
        free = screen.availableGeometry().size()
        return size.boundedTo(free).expandedTo(self.minimumSizeHint().boundedTo(free))

    def restore_layout(self) -> None:
        """Put the window and its docks where the user left them (kept within the screen)."""
        settings = self.session.settings
        if settings.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(settings.window_geometry.encode("ascii")))
        if settings.window_state:
            self.restoreState(QByteArray.fromBase64(settings.window_state.encode("ascii")))
        fitted = self._fitting(self.size())
        if fitted != self.size():
            self.resize(fitted)

    def layout_state(self) -> dict[str, str]:
        """The window's size and dock layout as settings (`restore_layout` puts them back)."""
        return {"window_geometry": bytes(self.saveGeometry().toBase64()).decode("ascii"),
                "window_state": bytes(self.saveState().toBase64()).decode("ascii")}

    def _on_project(self, project: Any) -> None:
        for table in (self.browser, self.results):
            table.set_project(project)
        for column, name in enumerate(COLUMNS):
            self.browser.setColumnHidden(column, name not in BROWSER_COLUMNS)
        header = self.browser.horizontalHeader()
        for name, width in (("image", 140), ("corrected", 62)):
            header.resizeSection(COLUMNS.index(name), width)
        self.browser.fit_headers()
        self._update_title()
        project.subscribe(lambda event, payload: event in ("dirty", "saved") and self._update_title())
        if project.notices:
            QTimer.singleShot(0, lambda: self._show_notices(project))

    def _show_notices(self, project: Any) -> None:
        """Tell the user, once, what happened when the project was opened (see ``Project.notices``)."""
        notices, project.notices = list(project.notices), []
        if notices and project is self.session.project:
            QMessageBox.information(self, f"Opening {project.name}", "\n\n".join(notices))

    def _update_title(self) -> None:
        project = self.session.project
        if project is None:
            self.setWindowTitle("CellCounter")
            return
        self.setWindowTitle(f"{project.name}{' •' if project.dirty else ''} — CellCounter")
        self.setWindowFilePath(str(project.folder))

    def _on_current(self, image_id: str) -> None:
        for table in (self.browser, self.results):
            if image_id and image_id not in table.selected_image_ids():
                table.select_image(image_id)

    # -- drag and drop --------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.actions.add_paths(paths)

    # -- closing --------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.session.busy:
            answer = QMessageBox.question(
                self, "Counting in progress",
                "Images are still being counted. Stop counting and quit? What was counted is kept.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.session.stop_work()
        outcome = settle_unsaved(self)
        if outcome == CANCEL:
            event.ignore()
            return
        self.actions.remember_state()
        self.training.shutdown()
        self.stain.stop_fit()
        self.session.shutdown(save=outcome != DISCARD)
        super().closeEvent(event)
