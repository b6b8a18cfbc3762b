"""A ROI set whose entries declare more than any ImageJ ROI holds is refused before it is unpacked (issue 18, item 13)."""

from __future__ import annotations

import struct
import time
import zipfile

import pytest

from cellcounter_app.io.annotations import MAX_ROI_BYTES, AnnotationError, read_annotation, read_rois

GIB = 1 << 30


def rect_roi() -> bytes:
    header = bytearray(64)
    header[0:4] = b"Iout"
    struct.pack_into(">hBx4h", header, 4, 228, 1, 2, 3, 12, 13)
    return bytes(header)


def declaring(path, sizes: list[int]):
    """A ROI set of small rectangle entries whose headers declare ``sizes`` uncompressed bytes
    (a zip bomb's entry without its 2 GiB of data: the declaration is what the reader sees first)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(len(sizes)):
            archive.writestr(f"{i:04d}.roi", rect_roi())
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        for size in sizes:
            start = data.index(signature, start)
            struct.pack_into("<I", data, start + offset, size)
            start += 4
    path.write_bytes(bytes(data))
    return path


def test_a_2_gib_entry_in_a_small_file_is_refused_at_once(tmp_path):
    path = declaring(tmp_path / "bomb.zip", [2 * GIB])
    assert path.stat().st_size < 1000
    start = time.perf_counter()
    with pytest.raises(AnnotationError, match=r"entry 0000\.roi declares 2\.0 GiB uncompressed \(0\.0 MiB stored\):"
                                              r" larger than any ImageJ ROI \(at most 64\.0 MiB\)"):
        read_rois(path)
    with pytest.raises(AnnotationError, match=r"bomb\.zip: entry 0000\.roi declares 2\.0 GiB"):
        read_annotation(path, (32, 32))
    assert time.perf_counter() - start < 1.0


def test_a_really_large_compressed_entry_is_refused_unread(tmp_path):
    path = tmp_path / "zeros.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("0000.roi", rect_roi() + bytes(MAX_ROI_BYTES))
    with pytest.raises(AnnotationError, match=r"entry 0000\.roi declares 64\.0 MiB uncompressed"):
        read_rois(path)


def test_many_entries_declaring_a_set_too_large_are_refused(tmp_path):
    path = declaring(tmp_path / "many.zip", [60 << 20] * 20)
    with pytest.raises(AnnotationError, match=r"the entries declare 1\.2 GiB uncompressed, more than an ImageJ ROI"
                                              r" set holds \(at most 1\.0 GiB\)"):
        read_rois(path)


def test_an_entry_declaring_less_than_it_holds_fails_its_check(tmp_path):
    path = tmp_path / "lying.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("0000.roi", rect_roi() + bytes(1 << 20))
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        struct.pack_into("<I", data, data.index(signature) + offset, 64)
    path.write_bytes(bytes(data))
    with pytest.raises(AnnotationError, match=r"lying\.zip: entry 0000\.roi: damaged \(Bad CRC-32"):
        read_rois(path)


def test_a_single_roi_file_larger_than_any_roi_is_refused(tmp_path):
    path = tmp_path / "big.roi"
    with open(path, "wb") as handle:
        handle.write(rect_roi())
        handle.truncate(MAX_ROI_BYTES + 1)
    with pytest.raises(AnnotationError, match=r"big\.roi: 64\.0 MiB: larger than any ImageJ ROI"):
        read_rois(path)


def test_an_ordinary_set_still_reads(tmp_path):
    path = declaring(tmp_path / "ok.zip", [64, 64])
    assert [roi.kind for roi in read_rois(path)] == ["rect", "rect"]
