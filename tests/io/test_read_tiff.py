"""read_image on TIFF, OME-TIFF and ImageJ TIFF files written with tifffile."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from cellcounter_app.errors import ImageReadError
from cellcounter_app.io import LoadedImage, ReadOptions, read_image


def ramp(shape=(24, 32), dtype=np.uint16, scale=1) -> np.ndarray:
    return (np.arange(np.prod(shape)).reshape(shape) * scale).astype(dtype)


@pytest.mark.parametrize("compression", [None, "lzw", "zlib"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.int32, np.float32])
def test_lossless_grey_round_trip(tmp_path, compression, dtype):
    data = ramp(dtype=dtype)
    path = tmp_path / "a.tif"
    tifffile.imwrite(path, data, compression=compression)
    image = read_image(path)
    assert isinstance(image, LoadedImage)
    assert image.path == path
    assert image.data.dtype == dtype
    np.testing.assert_array_equal(image.data, data)
    assert (image.height, image.width, image.n_channels) == (24, 32, 1)
    assert image.channel_names == ("",)
    assert image.source_axes == "YX" and image.source_shape == (24, 32)
    assert not image.is_rgb
    assert image.pixel_size_um is None


def test_data_is_read_only(tmp_path):
    tifffile.imwrite(tmp_path / "a.tif", ramp())
    data = read_image(tmp_path / "a.tif").data
    with pytest.raises(ValueError, match="read-only"):
        data[0, 0] = 1


@pytest.mark.parametrize(
    ("data", "kwargs", "expected"),
    [
        (ramp(dtype=np.uint8), {}, 8),
        (ramp(scale=10), {}, 16),                      # max 7670 > 4095
        (ramp(), {}, 12),                              # max 767 <= 4095: 12-bit camera data
        (np.zeros((4, 4), np.uint16), {}, 12),         # all-zero images read fine
        (ramp(scale=5), {"bitspersample": 12}, 12),
        (ramp(dtype=np.float32), {}, 32),
        (np.eye(8, dtype=bool), {}, 1),
    ],
)
def test_bit_depth(tmp_path, data, kwargs, expected):
    tifffile.imwrite(tmp_path / "a.tif", data, **kwargs)
    assert read_image(tmp_path / "a.tif").bit_depth == expected


def test_bilevel_image_reads_as_uint8(tmp_path):
    tifffile.imwrite(tmp_path / "a.tif", np.eye(8, dtype=bool))
    data = read_image(tmp_path / "a.tif").data
    assert data.dtype == np.uint8
    np.testing.assert_array_equal(data, np.eye(8, dtype=np.uint8))


def test_jpeg_compressed_rgb(tmp_path):
    data = np.zeros((32, 48, 3), np.uint8)
    data[..., 1] = 200
    tifffile.imwrite(tmp_path / "a.tif", data, photometric="rgb", compression="jpeg")
    image = read_image(tmp_path / "a.tif")
    assert image.is_rgb and image.channel_names == ("red", "green", "blue")
    assert image.data.shape == (32, 48, 3) and image.data.dtype == np.uint8
    assert np.abs(image.data.astype(int) - data).max() <= 3  # lossy


def test_jpeg_compressed_grey(tmp_path):
    data = np.full((32, 48), 120, np.uint8)
    tifffile.imwrite(tmp_path / "a.tif", data, compression="jpeg")
    image = read_image(tmp_path / "a.tif")
    assert image.data.shape == (32, 48)
    assert np.abs(image.data.astype(int) - 120).max() <= 2


def test_rgba_alpha_is_dropped(tmp_path):
    data = np.zeros((8, 8, 4), np.uint8)
    data[..., 0], data[..., 3] = 50, 255
    tifffile.imwrite(tmp_path / "a.tif", data, photometric="rgb", extrasamples=["unassalpha"])
    image = read_image(tmp_path / "a.tif")
    assert image.data.shape == (8, 8, 3)
    assert image.source_shape == (8, 8, 4) and image.source_axes == "YXS"
    assert image.channel_names == ("red", "green", "blue")
    assert int(image.data[..., 0].max()) == 50


def test_rgb_channel_by_name_and_index(tmp_path):
    data = np.stack([np.full((6, 7), v, np.uint8) for v in (10, 20, 30)], axis=-1)
    tifffile.imwrite(tmp_path / "a.tif", data, photometric="rgb")
    green = read_image(tmp_path / "a.tif", ReadOptions(channel="Green"))
    assert green.data.shape == (6, 7) and int(green.data.max()) == 20
    assert green.channel_names == ("green",) and green.is_rgb
    assert int(read_image(tmp_path / "a.tif", ReadOptions(channel=2)).data.max()) == 30
    brightest = read_image(tmp_path / "a.tif", ReadOptions(channel="max"))
    assert int(brightest.data.max()) == 30 and brightest.channel_names == ("max",)


def ome_stack(tmp_path, **metadata):
    """Z=3, C=2 stack: value = 100 * (c + 1) + 10 * z, one bright pixel per plane."""
    data = np.zeros((3, 2, 16, 20), np.uint16)
    for z in range(3):
        for c in range(2):
            data[z, c] = 100 * (c + 1) + 10 * z
            data[z, c, z, c] = 1000 + 10 * z + c
    path = tmp_path / "stack.ome.tif"
    tifffile.imwrite(path, data, ome=True, metadata={"axes": "ZCYX", **metadata})
    return path, data


def test_ome_multichannel_z_stack_defaults(tmp_path):
    path, data = ome_stack(tmp_path, PhysicalSizeX=0.325, Channel={"Name": ["DAPI", "GFP"]})
    image = read_image(path)
    assert image.source_axes == "ZCYX" and image.source_shape == (3, 2, 16, 20)
    assert image.data.shape == (16, 20, 2)
    assert image.channel_names == ("DAPI", "GFP")
    assert image.pixel_size_um == pytest.approx(0.325)
    np.testing.assert_array_equal(image.data, np.moveaxis(data.max(axis=0), 0, -1))


def test_ome_channel_by_name_and_plane(tmp_path):
    path, data = ome_stack(tmp_path, Channel={"Name": ["DAPI", "GFP"]})
    image = read_image(path, ReadOptions(channel="GFP", z=1))
    assert image.channel_names == ("GFP",)
    np.testing.assert_array_equal(image.data, data[1, 1])
    projected = read_image(path, ReadOptions(channel="dapi"))
    np.testing.assert_array_equal(projected.data, data[:, 0].max(axis=0))


def test_max_over_channels_and_planes(tmp_path):
    path, data = ome_stack(tmp_path)
    image = read_image(path, ReadOptions(channel="max", z="max"))
    assert image.data.shape == (16, 20) and image.channel_names == ("max",)
    np.testing.assert_array_equal(image.data, data.max(axis=(0, 1)))


def test_ome_pixel_size_in_nanometres(tmp_path):
    path, _ = ome_stack(tmp_path, PhysicalSizeX=650, PhysicalSizeXUnit="nm")
    assert read_image(path).pixel_size_um == pytest.approx(0.65)


def test_plane_out_of_range_names_the_valid_range(tmp_path):
    path, _ = ome_stack(tmp_path)
    with pytest.raises(ImageReadError, match=r"Z plane 3 does not exist: the image has 3 planes \(0–2\)") as info:
        read_image(path, ReadOptions(z=3))
    assert info.value.path == path


def test_plane_of_a_2d_image(tmp_path):
    tifffile.imwrite(tmp_path / "a.tif", ramp())
    assert read_image(tmp_path / "a.tif", ReadOptions(z=0)).data.shape == (24, 32)
    with pytest.raises(ImageReadError, match=r"Z plane 1 does not exist: the image has 1 plane \(0\)"):
        read_image(tmp_path / "a.tif", ReadOptions(z=1))


def test_missing_channel_index_lists_the_channels(tmp_path):
    path, _ = ome_stack(tmp_path, Channel={"Name": ["DAPI", "GFP"]})
    with pytest.raises(ImageReadError, match=r"channel 2 does not exist: the image has 2 channels: 0 'DAPI', 1 'GFP'"):
        read_image(path, ReadOptions(channel=2))


def test_missing_channel_name_lists_the_channels(tmp_path):
    path, _ = ome_stack(tmp_path, Channel={"Name": ["DAPI", "GFP"]})
    with pytest.raises(ImageReadError, match=r"no channel named 'RFP': the image has 2 channels: 0 'DAPI', 1 'GFP'"):
        read_image(path, ReadOptions(channel="RFP"))


def test_channel_name_on_unnamed_image(tmp_path):
    tifffile.imwrite(tmp_path / "a.tif", ramp())
    with pytest.raises(ImageReadError, match=r"no channel named 'DAPI': the image has 1 channel \(index 0\), without"):
        read_image(tmp_path / "a.tif", ReadOptions(channel="DAPI"))
    assert read_image(tmp_path / "a.tif", ReadOptions(channel=0)).data.shape == (24, 32)


def test_imagej_hyperstack_labels_and_calibration(tmp_path):
    data = np.zeros((3, 2, 10, 12), np.uint8)
    data[2, 1, 5, 6] = 77
    tifffile.imwrite(tmp_path / "ij.tif", data, imagej=True, resolution=(1 / 0.5, 1 / 0.5),
                     metadata={"axes": "ZCYX", "unit": "um", "Labels": ["DAPI", "GFP"] * 3})
    image = read_image(tmp_path / "ij.tif", ReadOptions(channel="GFP"))
    assert image.source_axes == "ZCYX"
    assert image.channel_names == ("GFP",)
    assert image.pixel_size_um == pytest.approx(0.5)
    assert int(image.data[5, 6]) == 77


@pytest.mark.parametrize(("unit", "expected"), [("micron", 0.25), ("\\u00B5m", 0.25), ("nm", None),
                                                ("mm", None), ("pixel", None)])
def test_imagej_units(tmp_path, unit, expected):
    """0.25 µm/px read in its unit; 0.00025 µm (nm) and 250 µm (mm) are outside 0.01-100 µm: ignored."""
    tifffile.imwrite(tmp_path / "ij.tif", ramp(), imagej=True, resolution=(4.0, 4.0), metadata={"unit": unit})
    size = read_image(tmp_path / "ij.tif").pixel_size_um
    assert size == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(("resolution", "unit", "expected"),
                         [((20_000.0, 20_000.0), "CENTIMETER", 0.5), ((72.0, 72.0), "INCH", None),
                          ((300.0, 300.0), "INCH", None), ((25_400 / 0.2, 25_400 / 0.2), "INCH", 0.2)])
def test_resolution_tags(tmp_path, resolution, unit, expected):
    tifffile.imwrite(tmp_path / "a.tif", ramp(), resolution=resolution, resolutionunit=unit)
    size = read_image(tmp_path / "a.tif").pixel_size_um
    assert size == (None if expected is None else pytest.approx(expected))


def test_unlabelled_page_stack_is_read_as_z(tmp_path):
    data = ramp((4, 6, 8))
    tifffile.imwrite(tmp_path / "pages.tif", data, photometric="minisblack")
    image = read_image(tmp_path / "pages.tif")
    np.testing.assert_array_equal(image.data, data.max(axis=0))
    np.testing.assert_array_equal(read_image(tmp_path / "pages.tif", ReadOptions(z=2)).data, data[2])


def test_leading_singleton_axes_are_squeezed(tmp_path):
    tifffile.imwrite(tmp_path / "a.tif", ramp((1, 1, 5, 6)), photometric="minisblack")
    image = read_image(tmp_path / "a.tif")
    assert image.data.shape == (5, 6)
    assert image.source_axes == "QQYX" and image.source_shape == (1, 1, 5, 6)


def test_singleton_time_and_channel_keep_the_channel_name(tmp_path):
    tifffile.imwrite(tmp_path / "a.ome.tif", ramp((1, 1, 1, 5, 6)), ome=True,
                     metadata={"axes": "TZCYX", "Channel": {"Name": ["DAPI"]}})
    image = read_image(tmp_path / "a.ome.tif", ReadOptions(channel="DAPI"))
    assert image.data.shape == (5, 6) and image.channel_names == ("DAPI",)


def test_singleton_time_point_with_channels(tmp_path):
    data = ramp((1, 2, 5, 6))
    tifffile.imwrite(tmp_path / "a.tif", data, photometric="minisblack", metadata={"axes": "TCYX"})
    image = read_image(tmp_path / "a.tif", ReadOptions(channel=1))
    np.testing.assert_array_equal(image.data, data[0, 1])


def test_time_series_is_unsupported(tmp_path):
    tifffile.imwrite(tmp_path / "t.ome.tif", ramp((3, 5, 6)), ome=True, metadata={"axes": "TYX"})
    with pytest.raises(ImageReadError, match=r"unsupported layout: 3 time points") as info:
        read_image(tmp_path / "t.ome.tif")
    assert "t.ome.tif" in str(info.value)


def test_channels_of_colour_samples_are_unsupported(tmp_path):
    tifffile.imwrite(tmp_path / "cs.ome.tif", np.zeros((2, 5, 6, 3), np.uint8), ome=True,
                     photometric="rgb", metadata={"axes": "CYXS"})
    with pytest.raises(ImageReadError, match="unsupported layout"):
        read_image(tmp_path / "cs.ome.tif")


def test_one_by_one_image(tmp_path):
    tifffile.imwrite(tmp_path / "px.tif", np.array([[7]], np.uint16))
    image = read_image(tmp_path / "px.tif")
    assert image.data.shape == (1, 1) and int(image.data[0, 0]) == 7


def test_float_image_with_some_nan_reads(tmp_path):
    data = np.full((4, 5), np.nan, np.float32)
    data[1, 2] = 3.5
    tifffile.imwrite(tmp_path / "f.tif", data)
    image = read_image(tmp_path / "f.tif")
    assert image.data.dtype == np.float32 and float(np.nanmax(image.data)) == 3.5


def test_projection_ignores_nan_planes(tmp_path):
    data = np.full((2, 4, 5), np.nan, np.float32)
    data[1] = 2.0
    tifffile.imwrite(tmp_path / "f.tif", data, metadata={"axes": "ZYX"})
    np.testing.assert_array_equal(read_image(tmp_path / "f.tif").data, np.full((4, 5), 2.0, np.float32))


def test_big_endian_file_reads_in_native_order(tmp_path):
    data = ramp()
    tifffile.imwrite(tmp_path / "be.tif", data, byteorder=">")
    image = read_image(tmp_path / "be.tif")
    assert image.data.dtype.isnative
    np.testing.assert_array_equal(image.data, data)


def test_tiff_content_with_png_name_reads(tmp_path):
    tifffile.imwrite(tmp_path / "really-a-tiff.png", ramp())
    assert read_image(tmp_path / "really-a-tiff.png").data.shape == (24, 32)
