"""The frozen program's entry: command-line words go to the CLI, everything else opens the app."""

from __future__ import annotations

import multiprocessing
import sys
from types import ModuleType

import pytest

import cellcounter_app.cli


class Recorder:
    """Stands in for a ``main(argv)``: remembers its arguments, returns a chosen exit status."""

    def __init__(self, status: int = 0) -> None:
        self.status = status
        self.calls: list[list[str]] = []

    def __call__(self, argv) -> int:
        self.calls.append(list(argv))
        return self.status


@pytest.fixture
def targets(monkeypatch):
    """Replace the CLI and GUI ``main`` functions with recorders (the GUI module without importing Qt)."""
    cli, gui = Recorder(), Recorder()
    monkeypatch.setattr(cellcounter_app.cli, "main", cli)
    fake_app = ModuleType("cellcounter_app.gui.app")
    fake_app.main = gui
    monkeypatch.setitem(sys.modules, "cellcounter_app.gui.app", fake_app)
    return cli, gui


@pytest.mark.parametrize("command", ["count", "evaluate", "models", "train"])
def test_cli_commands_run_the_command_line(entry, targets, command):
    cli, gui = targets
    assert entry.dispatch([command, "images", "--force"], "/opt/CellCounter/CellCounter") == 0
    assert cli.calls == [[command, "images", "--force"]] and gui.calls == []


@pytest.mark.parametrize("argv", [[], ["--self-test"], ["C:\\data\\exp1\\project.cellcounter.json"], ["/data/exp1"]])
def test_anything_else_opens_the_desktop_application(entry, targets, argv):
    cli, gui = targets
    assert entry.dispatch(argv, "C:\\Program Files\\CellCounter\\CellCounter.exe") == 0
    assert gui.calls == [argv] and cli.calls == []


def test_gui_word_opens_the_application_from_the_console_program(entry, targets):
    cli, gui = targets
    entry.dispatch(["gui", "--self-test"], "C:\\Program Files\\CellCounter\\cellcounter-cli.exe")
    assert gui.calls == [["--self-test"]] and cli.calls == []


@pytest.mark.parametrize("argv", [["--help"], ["--version"], []])
def test_console_program_answers_on_the_command_line(entry, targets, argv):
    cli, gui = targets
    entry.dispatch(argv, "/Applications/CellCounter.app/Contents/MacOS/cellcounter-cli")
    assert cli.calls == [argv] and gui.calls == []


def test_exit_status_is_passed_on(entry, targets):
    cli, gui = targets
    cli.status, gui.status = 2, 1
    assert entry.dispatch(["count", "missing"]) == 2
    assert entry.dispatch(["--self-test"]) == 1


def test_dispatch_reaches_the_real_command_line(entry, capsys):
    assert entry.dispatch(["models"], "cellcounter-cli") == 0
    assert "classical" in capsys.readouterr().out


def test_main_calls_freeze_support_first(entry, targets, monkeypatch):
    cli, _ = targets
    order: list[str] = []
    monkeypatch.setattr(multiprocessing, "freeze_support", lambda: order.append("freeze_support"))
    monkeypatch.setattr(cellcounter_app.cli, "main", lambda argv: order.append(f"cli {argv}") or 0)
    monkeypatch.setattr(sys, "argv", ["CellCounter", "models"])
    assert entry.main() == 0
    assert order == ["freeze_support", "cli ['models']"]


def test_windowed_program_gets_writable_streams(entry, monkeypatch):
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    entry._give_windowed_program_streams()
    try:
        assert sys.stdout.write("usage") == 5 and sys.stderr.write("error") == 5
    finally:
        sys.stdout.close()
        sys.stderr.close()
