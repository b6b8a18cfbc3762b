"""Every way a file can fail to read ends in one ImageReadError naming the file and the reason."""

from __future__ import annotations

import io

import numpy as np
import pytest
import tifffile
from PIL import Image

from cellcounter_app.errors import ImageReadError, ParameterError
from cellcounter_app.io import ReadOptions, read_image


def tiff_bytes(compression=None, shape=(64, 80)) -> bytes:
    buffer = io.BytesIO()
    data = (np.arange(np.prod(shape)).reshape(shape) % 4000).astype(np.uint16)
    tifffile.imwrite(buffer, data, compression=compression)
    return buffer.getvalue()


def png_bytes(shape=(64, 80)) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray((np.arange(np.prod(shape)).reshape(shape) % 251).astype(np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (64, 80, 3), dtype=np.uint8)).save(buffer, "JPEG")
    return buffer.getvalue()


def read_error(path, options=ReadOptions()) -> ImageReadError:
    with pytest.raises(ImageReadError) as info:
        read_image(path, options)
    error = info.value
    assert error.path == path
    assert str(error).startswith(str(path) + ": ")
    return error


def test_missing_file(tmp_path):
    assert read_error(tmp_path / "nothing.tif").reason == "no such file"


def test_folder(tmp_path):
    (tmp_path / "x.tif").mkdir()
    assert read_error(tmp_path / "x.tif").reason == "is a folder, not an image file"


def test_zero_byte_file(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    assert read_error(tmp_path / "empty.png").reason == "zero-byte file"


@pytest.mark.parametrize("name", ["data.xyz", "notes.txt", "noext"])
def test_unsupported_extension(tmp_path, name):
    tifffile.imwrite(tmp_path / name, np.zeros((4, 4), np.uint8))
    reason = read_error(tmp_path / name).reason
    assert reason.startswith("unsupported file type") and ".tif" in reason and ".png" in reason


@pytest.mark.parametrize(("name", "kind"), [("a.tif", "TIFF"), ("a.png", "PNG"), ("a.jpg", "JPEG")])
def test_text_file_with_an_image_extension(tmp_path, name, kind):
    (tmp_path / name).write_text("sample,count\nA01,12\n", encoding="utf-8")
    assert read_error(tmp_path / name).reason == f"not a {kind} image: the file contains text"


@pytest.mark.parametrize("compression", [None, "zlib"])
def test_truncated_tiff(tmp_path, compression):
    data = tiff_bytes(compression)
    (tmp_path / "cut.tif").write_bytes(data[: len(data) // 2])
    error = read_error(tmp_path / "cut.tif")
    assert error.reason.startswith("truncated TIFF file")


def test_truncated_png(tmp_path):
    data = png_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    error = read_error(tmp_path / "cut.png")
    assert error.reason.startswith("truncated PNG file")
    assert isinstance(error.__cause__, OSError)


def test_truncated_jpeg(tmp_path):
    data = jpeg_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    assert read_error(tmp_path / "cut.jpg").reason.startswith("truncated JPEG file")


def test_corrupt_compressed_tiff_data(tmp_path):
    data = bytearray(tiff_bytes("zlib"))
    data[200:260] = bytes(range(60))
    (tmp_path / "bad.tif").write_bytes(bytes(data))
    error = read_error(tmp_path / "bad.tif")
    assert error.reason.startswith("corrupt TIFF file")
    assert error.__cause__ is not None


@pytest.mark.parametrize(("name", "kind"), [("a.tif", "TIFF"), ("a.png", "PNG"), ("a.bmp", "BMP")])
def test_random_bytes(tmp_path, name, kind):
    rng = np.random.default_rng(1)
    (tmp_path / name).write_bytes(b"\x00\x01" + rng.integers(0, 256, 300, dtype=np.uint8).tobytes())
    assert read_error(tmp_path / name).reason == f"not a {kind} image: unrecognised file content"


def test_tiff_header_without_image(tmp_path):
    (tmp_path / "head.tif").write_bytes(b"II*\x00" + b"\xff\xff\xff\x7f")
    reason = read_error(tmp_path / "head.tif").reason
    assert "TIFF file" in reason


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_no_finite_pixel_values(tmp_path, value):
    tifffile.imwrite(tmp_path / "nan.tif", np.full((6, 7), value, np.float32))
    assert read_error(tmp_path / "nan.tif").reason == "no finite pixel values (all NaN or infinite)"


def test_selected_channel_without_finite_values(tmp_path):
    data = np.zeros((2, 5, 6), np.float32)
    data[1] = np.nan
    tifffile.imwrite(tmp_path / "c.tif", data, photometric="minisblack", metadata={"axes": "CYX"})
    assert read_image(tmp_path / "c.tif", ReadOptions(channel=0)).data.shape == (5, 6)
    assert read_error(tmp_path / "c.tif", ReadOptions(channel=1)).reason.startswith("no finite pixel values")


def test_all_zero_image_reads(tmp_path):
    tifffile.imwrite(tmp_path / "zero.tif", np.zeros((9, 9), np.float32))
    assert float(read_image(tmp_path / "zero.tif").data.max()) == 0.0


def test_options_must_be_read_options(tmp_path):
    tifffile.imwrite(tmp_path / "a.tif", np.zeros((4, 4), np.uint8))
    with pytest.raises(ParameterError, match="options must be a ReadOptions, got dict"):
        read_image(tmp_path / "a.tif", {"channel": 0})


@pytest.mark.parametrize(("make", "name"), [(tiff_bytes, "a.tif"), (png_bytes, "a.png"), (jpeg_bytes, "a.jpg")])
def test_damaged_files_read_or_raise_image_read_error(tmp_path, make, name):
    """Cut or overwrite a valid file at many places: nothing but ImageReadError may escape."""
    good = make()
    rng = np.random.default_rng(2)
    path = tmp_path / name
    failures = 0
    for trial in range(40):
        damaged = bytearray(good)
        if trial % 2:
            damaged = damaged[: int(rng.integers(1, len(good)))]
        else:
            start = int(rng.integers(0, len(good) - 16))
            damaged[start:start + 16] = rng.integers(0, 256, 16, dtype=np.uint8).tobytes()
        path.write_bytes(bytes(damaged))
        try:
            image = read_image(path)
        except ImageReadError as exc:
            failures += 1
            assert exc.path == path and exc.reason
        else:
            assert image.data.ndim in (2, 3)
    assert failures > 0


def test_out_of_memory_while_decoding_is_reported(tmp_path, monkeypatch):
    def no_memory(*args, **kwargs):
        raise MemoryError

    tifffile.imwrite(tmp_path / "a.tif", np.zeros((4, 4), np.uint8))
    monkeypatch.setattr(tifffile.TiffPageSeries, "asarray", no_memory)
    error = read_error(tmp_path / "a.tif")
    assert error.reason == "not enough memory to read this image"
    assert isinstance(error.__cause__, MemoryError)
