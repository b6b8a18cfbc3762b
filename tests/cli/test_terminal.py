"""What the CLI prints: escaped names, each error once, quiet on a closed pipe, Ctrl+C while writing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from cellcounter_app.cli import count as count_command
from cellcounter_app.cli import main, outputs
from cellcounter_app.cli.terminal import escape
from cellcounter_app.export import read_workbook
from cellcounter_app.pipeline import ImageCounted, count_batch
from synthetic_images import make_folder

COUNT = ["--model", "classical"]
CLI = [sys.executable, "-c", "import sys; from cellcounter_app.cli import main; sys.exit(main())"]
ANSI_NAME = "b\x1b[31mred\u202egnp.tif"


@pytest.fixture
def images(tmp_path):
    root = tmp_path / "images"
    expected = make_folder(root)
    (root / ANSI_NAME).write_bytes(b"II*\x00garbage")
    return root, expected


def run_cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, env=env, **kwargs)


def test_control_characters_in_names_are_escaped_everywhere(images, tmp_path, capsys):
    root, _ = images
    assert main(["count", str(root), "--out", str(tmp_path / "r.xlsx"), *COUNT]) == 0
    captured = capsys.readouterr()
    for stream in (captured.out, captured.err):
        assert "\x1b" not in stream and "\u202e" not in stream
        assert "b\\x1b[31mred\\u202egnp.tif" in stream
    assert len(read_workbook(tmp_path / "r.xlsx")["Images"]) == 4


def test_escape_keeps_printable_text():
    assert escape("Zellkern_µm ü.tif") == "Zellkern_µm ü.tif"
    assert escape("a\nb\tc\x07") == "a\\nb\\tc\\x07"


def test_each_error_is_printed_once(images, tmp_path):
    root, _ = images
    done = run_cli("count", str(root), "--out", str(tmp_path / "r.xlsx"), *COUNT)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("the TIFF file contains no image") == 1
    assert done.stdout.count("the TIFF file contains no image") == 1
    again = run_cli("count", str(root), "--out", str(tmp_path / "r.xlsx"), *COUNT)
    assert again.returncode == 2
    assert again.stderr.count("already exists") == 1


def test_a_closed_pipe_ends_the_output_quietly(images, tmp_path):
    root, expected = images
    out = tmp_path / "r.xlsx"
    with subprocess.Popen([*CLI, "count", str(root), "--out", str(out), *COUNT], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as child:
        child.stdout.close()  # as `| head` does once it has read its lines
        err = child.stderr.read()
        code = child.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert code == 0
    counts = {row["image"]: row["count"] for row in read_workbook(out)["Images"] if row["status"] == "ok"}
    assert counts == expected


def press_ctrl_c_while_writing(monkeypatch, presses: int) -> None:
    real = outputs.write_workbook

    def write_workbook(*args, **kwargs):
        for _ in range(presses):
            os.kill(os.getpid(), signal.SIGINT)
        return real(*args, **kwargs)

    monkeypatch.setattr(outputs, "write_workbook", write_workbook)


def test_ctrl_c_while_a_finished_batch_is_written_only_warns(images, tmp_path, monkeypatch, capsys):
    root, _ = images
    press_ctrl_c_while_writing(monkeypatch, 1)
    out = tmp_path / "r.xlsx"
    assert main(["count", str(root), "--out", str(out), "-q", *COUNT]) == 0
    assert len(read_workbook(out)["Images"]) == 4
    assert "still writing the 4 image(s) counted; press Ctrl+C again to abandon them" in capsys.readouterr().err


def test_a_second_ctrl_c_after_a_cancel_keeps_the_counted_images(images, tmp_path, monkeypatch, capsys):
    root, _ = images

    def batch(request, **kwargs):
        for event in count_batch(request, **kwargs):
            yield event
            if isinstance(event, ImageCounted):
                raise KeyboardInterrupt  # the first Ctrl+C

    monkeypatch.setattr(count_command, "count_batch", batch)
    press_ctrl_c_while_writing(monkeypatch, 1)  # the impatient second one
    out = tmp_path / "r.xlsx"
    assert main(["count", str(root), "--out", str(out), "-q", *COUNT]) == 130
    book = read_workbook(out)
    assert len(book["Images"]) == 1
    assert "still writing the 1 image(s) counted" in capsys.readouterr().err


def test_two_presses_while_writing_abandon_the_write(images, tmp_path, monkeypatch, capsys):
    root, _ = images
    press_ctrl_c_while_writing(monkeypatch, 2)
    out = tmp_path / "r.xlsx"
    assert main(["count", str(root), "--out", str(out), "-q", *COUNT]) == 130
    assert not out.exists()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert "cellcounter: cancelled" in capsys.readouterr().err
