"""More awkward inputs: pipes, devices, link loops, a damaged PNG, hidden files, a second page (issue 18, item 12)."""

from __future__ import annotations

import io
import os
import sys

import numpy as np
import pytest
import tifffile
from PIL import Image

from cellcounter_app.cli import main
from cellcounter_app.errors import ImageReadError
from cellcounter_app.inference.registry import load_model
from cellcounter_app.io.discover import find_images
from cellcounter_app.io.reader import read_image
from cellcounter_app.pipeline import count_image

posix_only = pytest.mark.skipif(sys.platform.startswith("win"), reason="POSIX file types")
FIFO = "not a regular file: a named pipe (FIFO)"


def reason(path) -> str:
    with pytest.raises(ImageReadError) as info:
        read_image(path)
    return info.value.reason


def png_bytes() -> bytearray:
    out = io.BytesIO()
    Image.fromarray((np.arange(64 * 64) % 251).astype(np.uint8).reshape(64, 64)).save(out, "PNG")
    return bytearray(out.getvalue())


@posix_only
def test_a_fifo_named_tif_is_not_a_regular_file_and_is_never_opened(tmp_path):
    fifo = tmp_path / "pipe.tif"
    os.mkfifo(fifo)  # opening it for reading would block this test forever
    assert reason(fifo) == FIFO
    assert find_images([tmp_path]) == ([], [(fifo, FIFO)])
    assert find_images([fifo]) == ([], [(fifo, FIFO)])


@posix_only
@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_a_link_to_dev_zero_named_tif_says_it_is_a_device(tmp_path):
    link = tmp_path / "zero.tif"
    link.symlink_to("/dev/zero")
    expected = "not a regular file: a character device (zero.tif links to /dev/zero)"
    assert reason(link) == expected
    assert find_images([tmp_path]) == ([], [(link, expected)])


@posix_only
def test_a_symbolic_link_loop_is_named(tmp_path):
    a, b = tmp_path / "a.tif", tmp_path / "b.tif"
    a.symlink_to(b)
    b.symlink_to(a)
    assert reason(a) == "symbolic link loop"
    assert find_images([tmp_path]) == ([], [(a, "symbolic link loop"), (b, "symbolic link loop")])
    assert find_images([a]) == ([], [(a, "symbolic link loop")])
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    assert find_images([loop]) == ([], [(loop, "symbolic link loop")])


@pytest.mark.parametrize(("where", "flip", "chunk", "offset"), [(29, 0xFF, "IHDR", 8), (40, 0x20, "IDAt", 33)])
def test_a_png_with_a_bad_checksum_is_a_damaged_png(tmp_path, where, flip, chunk, offset):
    data = png_bytes()
    assert data[12:16] == b"IHDR" and data[37:41] == b"IDAT"
    data[where] ^= flip  # a byte of IHDR's CRC; the last letter of IDAT's name
    path = tmp_path / "bad.png"
    path.write_bytes(bytes(data))
    assert reason(path) == f"damaged PNG: CRC error in chunk {chunk!r} at byte {offset}"


def test_an_intact_png_and_a_truncated_one_keep_their_reasons(tmp_path):
    good = tmp_path / "good.png"
    good.write_bytes(bytes(png_bytes()))
    assert read_image(good).data.shape == (64, 64)
    cut = tmp_path / "cut.png"
    cut.write_bytes(bytes(png_bytes()[:100]))
    assert "CRC" not in reason(cut)


def test_a_16_bit_colour_png_with_a_bad_data_checksum_is_a_damaged_png(tmp_path):
    imagecodecs = pytest.importorskip("imagecodecs")
    data = bytearray(imagecodecs.png_encode(np.arange(16 * 16 * 3, dtype=np.uint16).reshape(16, 16, 3) * 50))
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0xFF  # compressed data: zlib and the CRC both fail
    path = tmp_path / "rgb16.png"
    path.write_bytes(bytes(data))
    assert reason(path) == f"damaged PNG: CRC error in chunk 'IDAT' at byte {idat - 4}"


def test_hidden_files_and_folders_are_skipped_with_one_note_per_folder(tmp_path):
    for name in (".h.tif", "._a.tif", ".cache/b.tif", ".DS_Store", "c.tif", "sub/.x.png", "sub/d.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    images, skipped = find_images([tmp_path])
    assert images == [tmp_path / "c.tif", tmp_path / "sub" / "d.png"]
    assert skipped == [
        (tmp_path, "3 hidden file(s) or folder(s) not read (names starting with '.'): ._a.tif, .cache/, .h.tif"),
        (tmp_path / "sub", "1 hidden file(s) or folder(s) not read (names starting with '.'): .x.png"),
    ]
    hidden = tmp_path / ".h.tif"
    assert find_images([hidden]) == ([hidden], [])  # named by hand: read


def two_page_tiff(path):
    with tifffile.TiffWriter(path) as tif:
        tif.write(np.full((64, 64), 9, np.uint8))
        tif.write(np.ones((32, 48), np.uint8))
    return path


def test_the_second_page_of_another_size_is_skipped_with_a_note(tmp_path):
    image = read_image(two_page_tiff(tmp_path / "two.tif"))
    note = "only the first image (64x64) is read: 1 more of another size skipped (32x48)"
    assert image.data.shape == (64, 64) and image.notes == (note,)
    assert count_image(image, load_model("classical")).params["note"] == note


def test_a_preview_page_and_same_size_pages_give_no_note(tmp_path):
    with tifffile.TiffWriter(tmp_path / "preview.tif") as tif:
        tif.write(np.zeros((64, 64), np.uint8), metadata=None)
        tif.write(np.zeros((16, 16), np.uint8), metadata=None, subfiletype=1)
    assert read_image(tmp_path / "preview.tif").notes == ()
    with tifffile.TiffWriter(tmp_path / "stack.tif") as tif:
        tif.write(np.zeros((64, 64), np.uint8), metadata=None)
        tif.write(np.zeros((64, 64), np.uint8), metadata=None)
    assert read_image(tmp_path / "stack.tif").notes == ()


@posix_only
def test_count_says_what_it_skipped_and_why(tmp_path, capsys):
    folder = tmp_path / "images"
    folder.mkdir()
    two_page_tiff(folder / "two.tif")
    os.mkfifo(folder / "pipe.tif")
    (folder / "._two.tif").write_bytes(b"\0\0")
    bad = png_bytes()
    bad[29] ^= 0xFF
    (folder / "bad.png").write_bytes(bytes(bad))
    out = tmp_path / "out.xlsx"
    assert main(["count", str(folder), "--model", "classical", "-q", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert f"note: skipped {folder / 'pipe.tif'}: {FIFO}" in text
    assert f"note: skipped {folder}: 1 hidden file(s) or folder(s) not read" in text
    assert "damaged PNG: CRC error in chunk 'IHDR' at byte 8" in text
    assert "only the first image (64x64) is read" in text
