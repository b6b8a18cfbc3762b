from __future__ import annotations

import os
import re

import pytest

from cellcounter_app.errors import CellCounterError
from cellcounter_app.export import OutputExistsError, atomic_path, atomic_write_bytes, check_writable


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_check_writable_accepts_a_new_file(tmp_path):
    check_writable(tmp_path / "results.xlsx", force=False)


def test_check_writable_refuses_an_existing_file_without_force(tmp_path):
    target = tmp_path / "results.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(OutputExistsError, match="results.xlsx already exists; use --force to overwrite"):
        check_writable(target, force=False)
    assert issubclass(OutputExistsError, CellCounterError)
    check_writable(target, force=True)


def test_check_writable_names_a_missing_folder(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(CellCounterError, match=re.escape(f"output folder {missing} does not exist")):
        check_writable(missing / "results.xlsx", force=True)


def test_check_writable_names_a_read_only_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(CellCounterError, match=re.escape(f"output folder {tmp_path} is not writable")):
        check_writable(tmp_path / "results.xlsx", force=False)


def test_check_writable_refuses_a_folder_as_target(tmp_path):
    with pytest.raises(CellCounterError, match="is a folder"):
        check_writable(tmp_path, force=True)


def test_atomic_path_replaces_the_file_on_success(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        tmp.write_text("new")
        assert target.read_text() == "old"
    assert target.read_text() == "new"
    assert _leftovers(tmp_path) == []


def test_atomic_path_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="disk on fire"):
        with atomic_path(target) as tmp:
            tmp.write_text("half a fi")
            raise RuntimeError("disk on fire")
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_atomic_path_creates_nothing_when_the_first_write_fails(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            tmp.write_text("partial")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_reports_a_block_that_wrote_nothing(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(CellCounterError, match="nothing was written"):
        with atomic_path(target):
            pass
    assert target.read_text() == "old"


def test_atomic_path_turns_a_refused_rename_into_a_clear_error(tmp_path, monkeypatch):
    target = tmp_path / "out.xlsx"
    target.write_text("old")

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(CellCounterError, match="cannot write .*out.xlsx: Permission denied .*another program"):
        with atomic_path(target) as tmp:
            tmp.write_text("new")
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_atomic_write_bytes(tmp_path):
    target = tmp_path / "a.bin"
    assert atomic_write_bytes(target, b"\x00\x01") == target
    assert atomic_write_bytes(target, b"\x02") == target
    assert target.read_bytes() == b"\x02"
    assert _leftovers(tmp_path) == []


def _dead_pid():
    import subprocess
    import sys
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_temporaries_of_a_killed_writer_are_removed_and_live_ones_kept(tmp_path):
    from cellcounter_app.atomic import temporary_path
    from cellcounter_app.export.atomic import remove_stale_temporaries

    target = tmp_path / "results.xlsx"
    live = temporary_path(target)
    live.write_bytes(b"being written by this process")
    host = live.name.split(".")[-2].split("-")[0]
    killed = tmp_path / f".results.xlsx.{host}-{_dead_pid()}-0123456789ab.sheet.tmp"
    old_version = tmp_path / ".results.xlsx.0123456789ab.tmp"
    other_target = tmp_path / ".other.xlsx.0123456789ab.tmp"
    not_ours = tmp_path / ".results.xlsx.notes.tmp"
    for path in (killed, old_version, other_target, not_ours):
        path.write_bytes(b"x" * 100)
    removed = remove_stale_temporaries(tmp_path, ["results.xlsx"])
    assert sorted(removed) == sorted([killed, old_version])
    assert _leftovers(tmp_path) == sorted(p.name for p in (live, other_target, not_ours))
