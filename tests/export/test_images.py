from __future__ import annotations

import numpy as np
import pytest
import tifffile
from PIL import Image
from skimage.segmentation import find_boundaries

from cellcounter_app.export import OutputExistsError, render_overlay, write_label_image, write_overlay

GOLD = [255, 215, 0]


def _labels() -> np.ndarray:
    labels = np.zeros((40, 50), dtype=np.uint32)
    labels[5:15, 5:17] = 1
    labels[20:34, 25:45] = 2
    labels[20:34, 10:25] = 3  # touches object 2
    return labels


def test_label_tiff_round_trip_uint16_with_zlib(tmp_path):
    labels = _labels()
    path = write_label_image(labels, tmp_path / "a_labels.tif")
    with tifffile.TiffFile(path) as tif:
        back = tif.asarray()
        assert tif.pages[0].compression == tifffile.COMPRESSION.ADOBE_DEFLATE
    assert back.dtype == np.uint16
    np.testing.assert_array_equal(back, labels)


def test_label_tiff_uses_uint32_above_65535_objects(tmp_path):
    labels = np.arange(70_000, dtype=np.int64).reshape(200, 350)
    back = tifffile.imread(write_label_image(labels, tmp_path / "many.tif"))
    assert back.dtype == np.uint32
    np.testing.assert_array_equal(back, labels)


def test_label_tiff_refuses_to_overwrite_without_force(tmp_path):
    path = write_label_image(_labels(), tmp_path / "l.tif")
    with pytest.raises(OutputExistsError, match="l.tif already exists"):
        write_label_image(np.zeros((4, 4), np.uint8), path)
    write_label_image(np.zeros((4, 4), np.uint8), path, force=True)
    assert tifffile.imread(path).shape == (4, 4)


@pytest.mark.parametrize(
    ("labels", "message"),
    [(np.zeros((4, 4), float), "integer array, got dtype float64"),
     (np.full((4, 4), -1), "must be >= 0, got a minimum of -1"),
     (np.zeros(4, int), "2-D or 3-D array, got 1 dimension")],
)
def test_label_tiff_rejects_bad_labels(tmp_path, labels, message):
    with pytest.raises(ValueError, match=message):
        write_label_image(labels, tmp_path / "bad.tif")
    assert list(tmp_path.iterdir()) == []


def test_overlay_outlines_exactly_the_object_boundaries_and_keeps_the_image_elsewhere():
    labels = _labels()
    image = np.where(labels > 0, 1000, 100).astype(np.uint16)
    rgb = render_overlay(image, labels, centroids=False)
    assert rgb.shape == (40, 50, 3) and rgb.dtype == np.uint8
    boundary = find_boundaries(labels, mode="inner")
    assert (rgb[boundary] == GOLD).all()
    expected = np.where(labels > 0, 255, 0).astype(np.uint8)
    np.testing.assert_array_equal(rgb[~boundary], np.stack([expected] * 3, axis=-1)[~boundary])


def test_overlay_without_outline_is_the_stretched_image():
    labels = _labels()
    image = np.linspace(0, 1, labels.size).reshape(labels.shape)
    rgb = render_overlay(image, labels, outline=False, centroids=False)
    low, high = np.percentile(image, (1, 99.8))
    expected = np.rint(np.clip((image - low) / (high - low) * 255, 0, 255))
    np.testing.assert_allclose(rgb[..., 0], expected, atol=1)
    assert (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all()


def test_centroid_crosses_at_the_cells_coordinates():
    labels = np.zeros((30, 30), np.int32)
    labels[10:21, 5:16] = 1
    cells = {"x": np.array([10.0]), "y": np.array([15.0])}
    rgb = render_overlay(np.zeros(labels.shape), labels, cells, outline=False, color=(0, 255, 0))
    marked = np.argwhere((rgb == [0, 255, 0]).all(axis=-1))
    expected = {(15, 10 + d) for d in range(-2, 3)} | {(15 + d, 10) for d in range(-2, 3)}
    assert {tuple(p) for p in marked} == expected


def test_centroids_are_computed_from_labels_when_no_cells_are_given():
    labels = np.zeros((30, 30), np.int32)
    labels[0:5, 0:5] = 4
    rgb = render_overlay(np.zeros(labels.shape), labels, outline=False)
    marked = {tuple(p) for p in np.argwhere((rgb == GOLD).all(axis=-1))}
    assert marked == {(2, c) for c in range(0, 5)} | {(r, 2) for r in range(0, 5)}


def test_colour_images_stay_in_colour_and_multichannel_images_are_max_projected():
    labels = np.zeros((20, 20), np.int32)
    colour = np.zeros((20, 20, 3), np.uint8)
    colour[:10, :, 0] = 200
    colour[10:, :, 2] = 200
    rgb = render_overlay(colour, labels)
    assert rgb[0, 0].tolist() == [255, 0, 0] and rgb[19, 0].tolist() == [0, 0, 255]
    channels = np.zeros((2, 20, 20), np.uint16)
    channels[0, :10] = 4000
    channels[1, 10:15] = 2000
    grey = render_overlay(channels, labels)
    assert [grey[0, 0].tolist(), grey[12, 0].tolist(), grey[19, 0].tolist()] == [[255] * 3, [128] * 3, [0] * 3]


def test_overlay_rejects_mismatched_shapes_and_bad_colours():
    labels = np.zeros((10, 10), np.int32)
    with pytest.raises(ValueError, match=r"labels shape \(10, 10\), got shape \(10, 12\)"):
        render_overlay(np.zeros((10, 12)), labels)
    with pytest.raises(ValueError, match=r"3 integers between 0 and 255, got \(300, 0, 0\)"):
        render_overlay(np.zeros((10, 10)), labels, color=(300, 0, 0))


def test_write_overlay_png_round_trip(tmp_path):
    labels = _labels()
    image = np.where(labels > 0, 50.0, 5.0)
    path = write_overlay(image, labels, tmp_path / "a_overlay.png", color=(255, 0, 0))
    with Image.open(path) as png:
        assert png.format == "PNG" and png.mode == "RGB"
        back = np.asarray(png)
    np.testing.assert_array_equal(back, render_overlay(image, labels, color=(255, 0, 0)))
    with pytest.raises(OutputExistsError):
        write_overlay(image, labels, path)


def test_image_outputs_are_checked_before_a_batch(tmp_path):
    from cellcounter_app.errors import CellCounterError
    from cellcounter_app.export import check_image_outputs, label_path

    labels = tmp_path / "labels"
    check_image_outputs(["a.tif", "day1/b.tif"], labels, tmp_path / "new" / "overlays")
    assert labels.is_dir() and (tmp_path / "new" / "overlays").is_dir()
    label_path(labels, "day1/b.tif").parent.mkdir()
    label_path(labels, "day1/b.tif").write_bytes(b"old")
    with pytest.raises(OutputExistsError, match=r"day1/b_labels.tif already exist.*--force"):
        check_image_outputs(["a.tif", "day1/b.tif"], labels)
    check_image_outputs(["a.tif", "day1/b.tif"], labels, force=True)
    with pytest.raises(CellCounterError, match=r"a.tif and a.png would both write .*a_labels.tif"):
        check_image_outputs(["a.tif", "a.png"], labels)
    with pytest.raises(CellCounterError, match=r"too long for the file system"):
        check_image_outputs(["x" * 240 + ".tif"], labels)
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(CellCounterError, match=r"a file of that name is in the way"):
        check_image_outputs(["a.tif"], None, tmp_path / "file")
