"""read_image on PNG, JPEG and BMP files written with Pillow (and imagecodecs)."""

from __future__ import annotations

import imagecodecs
import numpy as np
import pytest
from PIL import Image

from cellcounter_app.errors import ImageReadError
from cellcounter_app.io import ReadOptions, read_image


def ramp(shape=(20, 30), dtype=np.uint8, scale=1) -> np.ndarray:
    return (np.arange(np.prod(shape)).reshape(shape) * scale % (np.iinfo(dtype).max + 1)).astype(dtype)


def test_png_grey_8bit(tmp_path):
    data = ramp()
    Image.fromarray(data).save(tmp_path / "a.png")
    image = read_image(tmp_path / "a.png")
    np.testing.assert_array_equal(image.data, data)
    assert image.data.dtype == np.uint8 and image.bit_depth == 8
    assert image.source_axes == "YX" and image.source_shape == (20, 30)
    assert image.channel_names == ("",) and not image.is_rgb
    assert image.pixel_size_um is None


@pytest.mark.parametrize(("scale", "bits"), [(1, 12), (80, 16)])
def test_png_grey_16bit(tmp_path, scale, bits):
    data = ramp(dtype=np.uint16, scale=scale)
    Image.fromarray(data).save(tmp_path / "a.png")
    image = read_image(tmp_path / "a.png")
    assert image.data.dtype == np.uint16 and image.bit_depth == bits
    np.testing.assert_array_equal(image.data, data)


def test_png_rgb_16bit_keeps_full_precision(tmp_path):
    data = np.stack([ramp(dtype=np.uint16, scale=s) for s in (70, 50, 30)], axis=-1)
    (tmp_path / "a.png").write_bytes(imagecodecs.png_encode(data))
    image = read_image(tmp_path / "a.png")
    assert image.is_rgb and image.data.dtype == np.uint16 and image.bit_depth == 16
    np.testing.assert_array_equal(image.data, data)


def test_png_rgba_16bit_drops_alpha(tmp_path):
    data = np.stack([ramp(dtype=np.uint16, scale=70)] * 3 + [np.full((20, 30), 65535, np.uint16)], axis=-1)
    (tmp_path / "a.png").write_bytes(imagecodecs.png_encode(data))
    image = read_image(tmp_path / "a.png")
    assert image.data.shape == (20, 30, 3) and image.source_shape == (20, 30, 4)
    np.testing.assert_array_equal(image.data, data[..., :3])


def test_png_grey_alpha_16bit_drops_alpha(tmp_path):
    data = np.stack([ramp(dtype=np.uint16, scale=70), np.full((20, 30), 65535, np.uint16)], axis=-1)
    (tmp_path / "a.png").write_bytes(imagecodecs.png_encode(data))
    image = read_image(tmp_path / "a.png")
    assert image.data.shape == (20, 30) and not image.is_rgb
    np.testing.assert_array_equal(image.data, data[..., 0])


def test_png_rgba_drops_alpha(tmp_path):
    data = np.zeros((8, 9, 4), np.uint8)
    data[..., 2], data[..., 3] = 180, 128
    Image.fromarray(data, "RGBA").save(tmp_path / "a.png")
    image = read_image(tmp_path / "a.png")
    assert image.is_rgb and image.channel_names == ("red", "green", "blue")
    assert image.source_axes == "YXS" and image.source_shape == (8, 9, 4)
    np.testing.assert_array_equal(image.data, data[..., :3])
    blue = read_image(tmp_path / "a.png", ReadOptions(channel="blue"))
    assert blue.data.shape == (8, 9) and int(blue.data.max()) == 180


def test_png_grey_alpha_drops_alpha(tmp_path):
    data = np.stack([ramp(), np.full((20, 30), 200, np.uint8)], axis=-1)
    Image.fromarray(data, "LA").save(tmp_path / "a.png")
    image = read_image(tmp_path / "a.png")
    assert image.data.shape == (20, 30) and image.source_shape == (20, 30, 2)
    np.testing.assert_array_equal(image.data, data[..., 0])


def test_palette_png_with_grey_palette_reads_grey(tmp_path):
    data = ramp() % 50
    image = Image.fromarray(data).convert("P")
    image.putpalette([v for i in range(256) for v in (i, i, i)])
    image.save(tmp_path / "a.png")
    loaded = read_image(tmp_path / "a.png")
    assert loaded.data.shape == (20, 30) and not loaded.is_rgb
    np.testing.assert_array_equal(loaded.data, data)


def test_palette_png_with_colours_reads_rgb(tmp_path):
    image = Image.new("P", (6, 4))
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * (254 * 3))
    image.putpixel((2, 1), 1)
    image.info["transparency"] = 0
    image.save(tmp_path / "a.png", transparency=0)
    loaded = read_image(tmp_path / "a.png")
    assert loaded.is_rgb and loaded.data.shape == (4, 6, 3)
    assert tuple(loaded.data[1, 2]) == (255, 0, 0) and int(loaded.data[0, 0].max()) == 0


def test_bilevel_png(tmp_path):
    Image.fromarray(np.eye(5, dtype=bool)).save(tmp_path / "a.png")
    image = read_image(tmp_path / "a.png")
    assert image.data.dtype == np.uint8 and image.bit_depth == 1
    np.testing.assert_array_equal(image.data, np.eye(5, dtype=np.uint8))


@pytest.mark.parametrize("suffix", [".jpg", ".jpeg"])
def test_jpeg_rgb_and_grey(tmp_path, suffix):
    rgb = np.zeros((16, 24, 3), np.uint8)
    rgb[..., 0] = 220
    Image.fromarray(rgb).save(tmp_path / f"c{suffix}", quality=95)
    colour = read_image(tmp_path / f"c{suffix}")
    assert colour.is_rgb and colour.data.shape == (16, 24, 3)
    assert abs(int(colour.data[..., 0].mean()) - 220) <= 3
    Image.fromarray(np.full((16, 24), 90, np.uint8)).save(tmp_path / f"g{suffix}", quality=95)
    grey = read_image(tmp_path / f"g{suffix}")
    assert grey.data.shape == (16, 24) and abs(int(grey.data.mean()) - 90) <= 2


def test_cmyk_jpeg_reads_as_rgb(tmp_path):
    Image.new("CMYK", (8, 6), (0, 0, 0, 0)).save(tmp_path / "a.jpg")
    image = read_image(tmp_path / "a.jpg")
    assert image.is_rgb and image.data.shape == (6, 8, 3)


def test_bmp_grey_and_rgb(tmp_path):
    data = ramp()
    Image.fromarray(data).save(tmp_path / "g.bmp")
    np.testing.assert_array_equal(read_image(tmp_path / "g.bmp").data, data)
    rgb = np.stack([data, data // 2, data // 3], axis=-1)
    Image.fromarray(rgb).save(tmp_path / "c.bmp")
    image = read_image(tmp_path / "c.bmp", ReadOptions(channel=1))
    np.testing.assert_array_equal(image.data, data // 2)


def test_float_tiff_written_by_pillow(tmp_path):
    data = ramp().astype(np.float32) / 7
    Image.fromarray(data).save(tmp_path / "f.tif")
    image = read_image(tmp_path / "f.tif")
    assert image.data.dtype == np.float32 and image.bit_depth == 32
    np.testing.assert_allclose(image.data, data)


def test_png_data_is_read_only(tmp_path):
    Image.fromarray(ramp()).save(tmp_path / "a.png")
    assert not read_image(tmp_path / "a.png").data.flags.writeable


def test_large_image_reads_without_a_decompression_bomb_warning(tmp_path, monkeypatch):
    Image.fromarray(ramp()).save(tmp_path / "a.png")  # 600 pixels
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 400)
    assert read_image(tmp_path / "a.png").data.shape == (20, 30)


def test_image_over_pillow_limit_is_refused(tmp_path, monkeypatch):
    Image.fromarray(ramp()).save(tmp_path / "a.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(ImageReadError, match="image too large for PNG decoding"):
        read_image(tmp_path / "a.png")
