"""find_images / is_image_file: which files a batch reads, in which order."""

from __future__ import annotations

from pathlib import Path

import pytest

from cellcounter_app.io import IMAGE_EXTENSIONS, find_images, is_image_file, natural_key


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_extensions_cover_the_supported_formats():
    assert IMAGE_EXTENSIONS == {".tif", ".tiff", ".png", ".jpg", ".jpeg", ".bmp",
                                ".nd2", ".czi", ".lif", ".vsi", ".zarr"}


def test_is_image_file_checks_extension_case_insensitively_and_existence(tmp_path):
    assert is_image_file(touch(tmp_path / "a.OME.TIF"))
    assert is_image_file(str(touch(tmp_path / "b.JPeg")))
    assert not is_image_file(touch(tmp_path / "notes.txt"))
    assert not is_image_file(tmp_path / "missing.png")
    assert not is_image_file(tmp_path)


def test_natural_key_orders_numbers_by_value():
    names = ["img10.tif", "img2.tif", "IMG1.tif", "img2b.tif", "a/img3.tif"]
    assert sorted(names, key=natural_key) == ["a/img3.tif", "IMG1.tif", "img2.tif", "img2b.tif", "img10.tif"]


def test_folder_is_searched_recursively_in_natural_order(tmp_path):
    for name in ["img10.tif", "img2.png", "img1.jpg", "sub/img3.bmp", "sub/deeper/x.tiff"]:
        touch(tmp_path / name)
    images, skipped = find_images([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in images] == [
        "img1.jpg", "img2.png", "img10.tif", "sub/deeper/x.tiff", "sub/img3.bmp",
    ]
    assert skipped == []


def test_hidden_files_and_folders_are_ignored(tmp_path):
    touch(tmp_path / ".hidden.tif")
    touch(tmp_path / "._a.tif")
    touch(tmp_path / ".cache" / "b.tif")
    kept = touch(tmp_path / "c.tif")
    assert find_images([tmp_path]) == ([kept], [
        (tmp_path, "3 hidden file(s) or folder(s) not read (names starting with '.'): ._a.tif, .cache/, .hidden.tif")])


def test_non_images_and_missing_paths_are_reported(tmp_path):
    image = touch(tmp_path / "a.png")
    notes = touch(tmp_path / "notes.txt")
    missing = tmp_path / "missing.tif"
    images, skipped = find_images([str(tmp_path), missing])
    assert images == [image]
    assert skipped == [(notes, "not an image file"), (missing, "no such file or folder")]


def test_explicit_files_are_kept_once_and_sorted(tmp_path):
    a10 = touch(tmp_path / "a10.tif")
    a2 = touch(tmp_path / "a2.tif")
    images, skipped = find_images([a10, a2, tmp_path, a10])
    assert images == [a2, a10]
    assert skipped == []


def test_explicit_non_image_file_is_skipped(tmp_path):
    csv = touch(tmp_path / "table.csv")
    assert find_images([csv]) == ([], [(csv, "not an image file")])


def test_empty_input_gives_nothing():
    assert find_images([]) == ([], [])


def test_a_microscope_file_we_cannot_read_is_listed_and_its_error_says_what_to_do(tmp_path):
    from cellcounter_app.io import read_image
    from cellcounter_app.io.reader import ImageReadError
    from cellcounter_app.pipeline import CountRequest, count_batch

    (tmp_path / "scan.oir").write_bytes(b"OLYMPUSRAWFORMAT" + bytes(64))
    (tmp_path / "notes.txt").write_text("not an image")
    images, skipped = find_images([tmp_path])
    assert images == [tmp_path / "scan.oir"] and [p.name for p, _ in skipped] == ["notes.txt"]
    with pytest.raises(ImageReadError, match=r"scan\.oir.*Olympus/Evident FluoView OIR file: CellCounter cannot"
                                             r" read this format yet; save it as OME-TIFF"):
        read_image(tmp_path / "scan.oir")
    finished = list(count_batch(CountRequest(inputs=(tmp_path,), model="classical")))[-1]
    [row] = finished.results
    assert row.status == "error" and "save it as OME-TIFF" in row.error
