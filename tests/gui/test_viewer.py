"""The image viewer: display, overlay, mouse mapping, drawing tools, keys."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pyqtgraph")

from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QComboBox  # noqa: E402
from skimage.segmentation import find_boundaries  # noqa: E402

from cellcounter_app.errors import ParameterError  # noqa: E402
from cellcounter_app.gui.qt_contrast import COMPOSITE  # noqa: E402
from cellcounter_app.gui.qt_viewer import QtImageViewer  # noqa: E402

pytestmark = pytest.mark.gui

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def viewer(qtbot):
    widget = QtImageViewer()
    qtbot.addWidget(widget)
    widget.resize(640, 480)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def labelled(shape=(60, 80)):
    """Four squares, two of them touching, and their centroids."""
    labels = np.zeros(shape, np.int32)
    labels[5:15, 5:15] = 1
    labels[5:15, 15:25] = 2
    labels[30:40, 40:52] = 3
    labels[45:50, 60:70] = 4
    ids = np.arange(1, 5)
    rows, cols = np.indices(shape)
    cells = {
        "cell_id": ids,
        "x": np.array([cols[labels == i].mean() for i in ids]),
        "y": np.array([rows[labels == i].mean() for i in ids]),
    }
    return labels, cells


def viewport_point(viewer, x, y):
    """Viewport position of the centre of pixel (row y, column x), mapped through the image item.

    pyqtgraph puts pixel (r, c) of an image item at ``[c, c+1] x [r, r+1]`` in the
    item's own coordinates, so its centre is ``(c + 0.5, r + 0.5)``.
    """
    QApplication.processEvents()  # lay out the view and apply its range
    scene = viewer.image_item.mapToScene(QPointF(x + 0.5, y + 0.5))
    return viewer.graphics_view.mapFromScene(scene)


def histogram_item(viewer):
    return viewer.graphics_view.ci.getItem(0, 1)


@pytest.mark.parametrize("data, shown_shape, channels", [
    (np.random.default_rng(0).integers(0, 255, (60, 80), dtype=np.uint8), (60, 80), 0),
    (np.random.default_rng(1).integers(0, 4095, (60, 80), dtype=np.uint16), (60, 80), 0),
    (np.random.default_rng(2).random((60, 80)).astype(np.float32), (60, 80), 0),
    (np.random.default_rng(3).integers(0, 255, (60, 80, 3), dtype=np.uint8), (60, 80, 3), 4),
    (np.random.default_rng(4).integers(0, 999, (60, 80, 2), dtype=np.uint16), (60, 80), 3),
    (np.random.default_rng(5).random((60, 80, 5)), (60, 80), 6),
])
def test_set_image_shows_every_kind_of_image(viewer, data, shown_shape, channels):
    viewer.set_image(data)
    assert viewer.displayed_data().shape == shown_shape
    low, high = viewer.levels()
    assert data.min() <= low < high <= data.max()
    combo = viewer.findChild(QComboBox, "channel_combo")
    assert combo.count() == channels
    QApplication.processEvents()
    assert combo.isVisibleTo(viewer) == (channels > 0)
    lut_combo = viewer.findChild(QComboBox, "lut_combo")
    assert lut_combo.isEnabled() == (len(shown_shape) == 2)
    (x0, x1), (y0, y1) = viewer.view_range()
    assert x0 <= -0.5 and x1 >= 79.5 and y0 <= -0.5 and y1 >= 59.5


def test_automatic_contrast_uses_percentiles(viewer):
    data = np.arange(100 * 100, dtype=np.uint16).reshape(100, 100)
    viewer.set_image(data)
    assert viewer.levels() == pytest.approx(tuple(np.percentile(data, (1, 99.8))))


def test_channel_combo_switches_the_displayed_data(viewer):
    data = np.random.default_rng(6).integers(0, 999, (60, 80, 3), dtype=np.uint16)
    viewer.set_image(data, channel_names=("DAPI", "GFP", "RFP"))
    combo = viewer.findChild(QComboBox, "channel_combo")
    assert [combo.itemText(i) for i in range(4)] == ["composite (RGB)", "DAPI", "GFP", "RFP"]
    assert viewer.channel() == COMPOSITE
    np.testing.assert_array_equal(viewer.displayed_data(), data)
    combo.setCurrentIndex(2)
    assert viewer.channel() == 1
    np.testing.assert_array_equal(viewer.displayed_data(), data[:, :, 1])
    viewer.set_image(data[::-1], keep_view=True)
    np.testing.assert_array_equal(viewer.displayed_data(), data[::-1, :, 1])


def test_set_image_rejects_bad_input_and_clears_on_none(viewer):
    with pytest.raises(ParameterError, match="one name per channel"):
        viewer.set_image(np.zeros((10, 10, 2)), channel_names=("a",))
    with pytest.raises(ParameterError, match="2-D"):
        viewer.set_image(np.zeros((2, 3, 4, 5)))
    viewer.set_image(np.zeros((10, 10)))
    viewer.set_image(None)
    assert viewer.displayed_data() is None


def test_keep_view_keeps_the_zoom(viewer):
    viewer.set_image(np.zeros((60, 80), np.uint8))
    viewer.set_view_range((10, 30), (20, 35))
    kept = viewer.view_range()
    assert kept[0][0] <= 10 and kept[0][1] >= 30 and kept[1][0] <= 20 and kept[1][1] >= 35
    viewer.set_image(np.ones((60, 80), np.uint8), keep_view=True)
    assert np.ravel(viewer.view_range()) == pytest.approx(np.ravel(kept))
    viewer.set_image(np.ones((60, 80), np.uint8))
    assert viewer.view_range()[0][1] - viewer.view_range()[0][0] > 79


def test_user_contrast_changes_are_signalled_but_not_automatic_ones(viewer, qtbot):
    viewer.set_image(np.arange(6000, dtype=np.uint16).reshape(60, 100))
    with qtbot.assertNotEmitted(viewer.contrast_changed):
        viewer.set_levels(10, 500)
        viewer.auto_contrast()
    with qtbot.waitSignal(viewer.contrast_changed) as blocker:
        histogram_item(viewer).region.setRegion((100, 2000))
    assert blocker.args == pytest.approx([100, 2000])
    with pytest.raises(ParameterError, match="low < high"):
        viewer.set_levels(5, 5)


def test_lut_choice_colours_single_channels(viewer):
    viewer.set_image(np.arange(256, dtype=np.uint8).reshape(16, 16))
    viewer.set_lut("green")
    lut = viewer.image_item.lut(viewer.displayed_data(), 256)
    assert tuple(lut[-1][:3]) == (0, 255, 0) and tuple(lut[0][:3]) == (0, 0, 0)
    with pytest.raises(ParameterError, match="LUT must be one of"):
        viewer.set_lut("plaid")


def test_outlines_match_an_independent_boundary_count(viewer):
    labels, cells = labelled()
    viewer.set_image(np.zeros(labels.shape, np.uint16))
    viewer.set_overlay(labels, cells, added=[(70, 10)], removed=[(20, 40), (3, 3)],
                       regions=[[(0, 0), (40, 0), (40, 30)], [(1, 1), (2, 2)]])
    stats = viewer.overlay_pixmap_stats()
    assert stats["outline_pixels"] == np.count_nonzero(find_boundaries(labels, mode="inner"))
    assert stats["n_markers"] == 4 and stats["n_added"] == 1 and stats["n_removed"] == 2
    assert stats["n_regions"] == 1


def test_excluded_objects_are_outlined_in_grey(viewer):
    labels, cells = labelled()
    viewer.set_image(np.zeros(labels.shape, np.uint16))
    viewer.set_overlay(labels, cells, excluded_ids=[3])
    stats = viewer.overlay_pixmap_stats()
    assert stats["n_markers"] == 3 and stats["n_excluded"] == 1
    rgba = next(item.image for item in viewer.image_item.scene().items()
                if item is not viewer.image_item and getattr(item, "image", None) is not None
                and getattr(item.image, "ndim", 0) == 3)
    boundary = find_boundaries(labels, mode="inner")
    grey = boundary & (labels == 3)
    assert np.unique(rgba[grey][:, :3], axis=0).tolist() == [[140, 140, 140]]
    assert np.unique(rgba[boundary & (labels != 3)][:, :3], axis=0).tolist() == [[255, 215, 0]]


def test_overlay_options_and_the_o_key_hide_the_overlay(viewer, qtbot):
    labels, cells = labelled()
    viewer.set_image(np.zeros(labels.shape, np.uint16))
    viewer.set_overlay(labels, cells)
    viewer.set_overlay_options(outlines=False)
    assert viewer.overlay_pixmap_stats()["outline_pixels"] == 0
    assert viewer.overlay_pixmap_stats()["n_markers"] == 4
    viewer.set_overlay_options(outlines=True, centroids=False, opacity=0.3, color="#00ff00")
    assert viewer.overlay_pixmap_stats()["outline_pixels"] > 0
    assert viewer.overlay_pixmap_stats()["n_markers"] == 0
    viewer.graphics_view.setFocus()
    qtbot.keyClick(viewer.graphics_view, Qt.Key.Key_O)
    assert viewer.overlay_pixmap_stats()["outline_pixels"] == 0
    qtbot.keyClick(viewer.graphics_view, Qt.Key.Key_O)
    assert viewer.overlay_pixmap_stats()["outline_pixels"] > 0
    with pytest.raises(ParameterError, match="opacity must be between 0 and 1"):
        viewer.set_overlay_options(opacity=1.5)
    with pytest.raises(ParameterError, match="colour"):
        viewer.set_overlay_options(color="not a colour")
    with pytest.raises(ParameterError, match="image shape"):
        viewer.set_overlay(np.zeros((5, 5), int))


def test_ids_are_drawn_only_when_few_are_visible(viewer):
    labels, cells = labelled()
    viewer.set_image(np.zeros(labels.shape, np.uint16))
    viewer.set_overlay(labels, cells)
    assert viewer.overlay_pixmap_stats()["n_ids"] == 0
    viewer.set_overlay_options(ids=True)
    assert viewer.overlay_pixmap_stats()["n_ids"] == 4
    rng = np.random.default_rng(7)
    many = {"x": rng.uniform(0, 79, 400), "y": rng.uniform(0, 59, 400), "cell_id": np.arange(1, 401)}
    viewer.set_overlay(None, many)
    assert viewer.overlay_pixmap_stats()["n_ids"] == 0
    viewer.set_view_range((0, 10), (0, 8))
    assert 0 < viewer.overlay_pixmap_stats()["n_ids"] < 300


def test_markers_sit_on_pixel_centres(viewer):
    labels, cells = labelled()
    viewer.set_image(np.zeros(labels.shape, np.uint16))
    viewer.set_overlay(None, {"x": np.array([12.0]), "y": np.array([7.0])})
    scatter = next(item for item in viewer.image_item.scene().items()
                   if isinstance(item, pg.ScatterPlotItem) and len(item.data) == 1)
    marker = scatter.mapToScene(QPointF(12.0, 7.0))
    centre = viewer.image_item.mapToScene(QPointF(12.5, 7.5))
    assert (marker.x(), marker.y()) == pytest.approx((centre.x(), centre.y()))


@pytest.mark.parametrize("x, y", [(0, 0), (12, 7), (79, 59), (40, 30)])
def test_a_click_in_edit_mode_gives_the_pixel(viewer, qtbot, x, y):
    viewer.set_image(np.zeros((60, 80), np.uint8))
    viewer.set_mode("edit")
    with qtbot.waitSignal(viewer.point_clicked) as blocker:
        qtbot.mouseClick(viewer.graphics_view.viewport(), LEFT, pos=viewport_point(viewer, x, y))
    got_x, got_y, modifiers = blocker.args
    assert viewer.map_from_viewport(viewport_point(viewer, x, y)) == pytest.approx((got_x, got_y))
    assert abs(got_x - x) <= 0.5 and abs(got_y - y) <= 0.5
    assert modifiers == Qt.KeyboardModifier.NoModifier


def test_a_double_click_in_edit_mode_is_one_click(viewer, qtbot):
    viewer.set_image(np.zeros((60, 80), np.uint8))
    viewer.set_mode("edit")
    clicks = []
    viewer.point_clicked.connect(lambda x, y, modifiers: clicks.append((x, y)))
    double_click(qtbot, viewer.graphics_view.viewport(), viewport_point(viewer, 20, 30))
    qtbot.wait(20)
    assert len(clicks) == 1 and clicks[0] == pytest.approx((20, 30), abs=0.5)


def test_a_click_carries_its_modifiers(viewer, qtbot):
    viewer.set_image(np.zeros((60, 80), np.uint8))
    viewer.set_mode("edit")
    with qtbot.waitSignal(viewer.point_clicked) as blocker:
        qtbot.mouseClick(viewer.graphics_view.viewport(), LEFT, Qt.KeyboardModifier.ShiftModifier,
                         pos=viewport_point(viewer, 5, 5))
    assert blocker.args[2] & Qt.KeyboardModifier.ShiftModifier


def test_no_click_is_signalled_in_view_mode_or_outside_the_image(viewer, qtbot):
    viewer.set_image(np.zeros((60, 80), np.uint8))
    viewport = viewer.graphics_view.viewport()
    with qtbot.assertNotEmitted(viewer.point_clicked, wait=50):
        qtbot.mouseClick(viewport, LEFT, pos=viewport_point(viewer, 10, 10))
        viewer.set_mode("edit")
        qtbot.mouseClick(viewport, LEFT, pos=viewport_point(viewer, 10, 64))
    with pytest.raises(ParameterError, match="mode must be one of"):
        viewer.set_mode("paint")


def drag(qtbot, widget, start, end):
    qtbot.mousePress(widget, LEFT, pos=start)
    for t in np.linspace(0.2, 1.0, 4):
        qtbot.wait(15)
        qtbot.mouseMove(widget, QPoint(round(start.x() + t * (end.x() - start.x())),
                                       round(start.y() + t * (end.y() - start.y()))))
    qtbot.wait(15)
    qtbot.mouseRelease(widget, LEFT, pos=end)


def test_rectangle_drawing_gives_four_vertices(viewer, qtbot):
    viewer.set_image(np.zeros((60, 80), np.uint8))
    viewer.set_mode("rectangle")
    with qtbot.waitSignal(viewer.region_drawn) as blocker:
        drag(qtbot, viewer.graphics_view.viewport(), viewport_point(viewer, 50, 40), viewport_point(viewer, 10, 5))
    vertices = blocker.args[0]
    assert len(vertices) == 4
    expected = [(10, 5), (50, 5), (50, 40), (10, 40)]
    assert np.abs(np.array(vertices) - expected).max() <= 0.5


def double_click(qtbot, widget, position):
    """What a widget gets from a real double click in Qt 6: press, release, double-click, release.

    (``qtbot.mouseDClick`` alone sends only the double-click event.)
    """
    qtbot.mouseClick(widget, LEFT, pos=position)
    qtbot.mouseDClick(widget, LEFT, pos=position)
    qtbot.mouseRelease(widget, LEFT, pos=position)


def test_polygon_drawing_closes_on_double_click(viewer, qtbot):
    viewer.set_image(np.zeros((60, 80), np.uint8))
    viewer.set_mode("polygon")
    viewport = viewer.graphics_view.viewport()
    corners = [(10, 10), (60, 12), (55, 45), (15, 40)]
    with qtbot.waitSignal(viewer.region_drawn) as blocker:
        for x, y in corners[:3]:
            qtbot.mouseClick(viewport, LEFT, pos=viewport_point(viewer, x, y))
            qtbot.wait(10)
        double_click(qtbot, viewport, viewport_point(viewer, *corners[3]))
    vertices = blocker.args[0]
    assert len(vertices) == 4
    assert np.abs(np.array(vertices) - corners).max() <= 0.5


def test_polygon_closes_on_enter_and_escape_cancels(viewer, qtbot):
    viewer.set_image(np.zeros((60, 80), np.uint8))
    viewer.set_mode("polygon")
    viewport = viewer.graphics_view.viewport()
    viewer.graphics_view.setFocus()
    with qtbot.assertNotEmitted(viewer.region_drawn, wait=50):
        for x, y in [(10, 10), (60, 12), (55, 45)]:
            qtbot.mouseClick(viewport, LEFT, pos=viewport_point(viewer, x, y))
            qtbot.wait(10)
        qtbot.keyClick(viewer.graphics_view, Qt.Key.Key_Escape)
        qtbot.keyClick(viewer.graphics_view, Qt.Key.Key_Return)
    with qtbot.waitSignal(viewer.region_drawn) as blocker:
        for x, y in [(10, 10), (60, 12), (55, 45)]:
            qtbot.mouseClick(viewport, LEFT, pos=viewport_point(viewer, x, y))
            qtbot.wait(10)
        qtbot.keyClick(viewer.graphics_view, Qt.Key.Key_Return)
    assert len(blocker.args[0]) == 3


def test_plus_and_minus_keys_zoom(viewer, qtbot):
    viewer.set_image(np.zeros((60, 80), np.uint8))
    width = viewer.view_range()[0][1] - viewer.view_range()[0][0]
    viewer.graphics_view.setFocus()
    qtbot.keyClick(viewer.graphics_view, Qt.Key.Key_Plus)
    zoomed = viewer.view_range()[0][1] - viewer.view_range()[0][0]
    assert zoomed == pytest.approx(width / 1.25)
    qtbot.keyClick(viewer.graphics_view, Qt.Key.Key_Minus)
    assert viewer.view_range()[0][1] - viewer.view_range()[0][0] == pytest.approx(width)
    viewer.zoom(4)
    viewer.fit_action.trigger()
    assert viewer.view_range()[0][1] - viewer.view_range()[0][0] == pytest.approx(width)


def test_clicks_on_overlay_markers_reach_the_viewer(viewer, qtbot):
    labels = np.zeros((40, 50), np.int32)
    labels[5:15, 5:15] = 1
    viewer.set_image(np.zeros(labels.shape, np.uint8))
    viewer.set_overlay(labels, {"cell_id": np.array([1]), "x": np.array([9.5]), "y": np.array([9.5])},
                       added=[(30.0, 30.0)])
    viewer.set_mode("edit")
    for x, y in ((9, 9), (30, 30)):
        with qtbot.waitSignal(viewer.point_clicked):
            qtbot.mouseClick(viewer.graphics_view.viewport(), LEFT, pos=viewport_point(viewer, x, y), delay=500)


def test_marker_positive_cells_are_drawn_in_their_own_colour(viewer):
    labels = np.zeros((40, 50), np.int32)
    labels[5:15, 5:15] = 1
    labels[20:30, 25:35] = 2
    cells = {"cell_id": np.array([1, 2]), "x": np.array([9.5, 29.5]), "y": np.array([9.5, 24.5])}
    viewer.set_image(np.zeros(labels.shape, np.uint8))
    viewer.set_overlay(labels, cells)
    plain = viewer.overlay_pixmap_stats()
    viewer.set_overlay(labels, cells, positive_ids=[2])
    stats = viewer.overlay_pixmap_stats()
    assert (plain["n_markers"], plain["n_positive"]) == (2, 0)
    assert (stats["n_markers"], stats["n_positive"]) == (1, 1)
    rgba = viewer._overlay.outlines.image
    magenta = np.all(rgba[..., :3] == (0xFF, 0x2B, 0xD6), axis=-1)
    assert magenta[20, 25] and not magenta[5, 5] and stats["outline_pixels"] == plain["outline_pixels"]
