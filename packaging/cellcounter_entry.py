"""Entry point of the frozen CellCounter application (the script PyInstaller freezes).

One bundle carries two programs built from this script: ``CellCounter`` (the
desktop application; a windowed program on Windows and macOS) and
``cellcounter-cli`` (a console program for scripts and terminals). Which part
runs is decided by `choose`:

* the first argument is a command of the command line (``count``,
  ``evaluate``, ``models``, ``train``) -> ``cellcounter_app.cli.main``;
* the first argument is ``gui`` -> the desktop application with the other
  arguments (``cellcounter-cli gui --self-test`` shows the self-test's
  messages in a console, which the windowed program has not);
* the program is ``cellcounter-cli`` -> the command line, so
  ``cellcounter-cli --help`` and ``--version`` answer there;
* anything else (no argument, ``--self-test``, a project file given by a
  double-click or a file association) -> ``cellcounter_app.gui.app.main``.

``multiprocessing.freeze_support()`` runs first so worker processes started
by the frozen program do not start a second copy of the application.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path
from typing import Sequence

CLI_COMMANDS = frozenset({"count", "evaluate", "models", "train"})
GUI_COMMAND = "gui"
CLI_PROGRAM = "cellcounter-cli"
CLI, GUI = "cli", "gui"


def choose(argv: Sequence[str], program: str = "") -> tuple[str, list[str]]:
    """Which part of the application handles ``argv`` (`CLI` or `GUI`), and the arguments it gets.

    Parameters
    ----------
    argv : sequence of str
        The arguments, without the program name.
    program : str
        The program's path or name (``sys.executable`` when frozen); its stem
        ``cellcounter-cli`` (any case) always selects the command line.

    Examples
    --------
    >>> choose(["count", "images/"])
    ('cli', ['count', 'images/'])
    >>> choose(["--self-test"])
    ('gui', ['--self-test'])
    >>> choose(["gui", "--self-test"], "cellcounter-cli")
    ('gui', ['--self-test'])
    >>> choose(["--version"], "C:/Program Files/CellCounter/cellcounter-cli.exe")
    ('cli', ['--version'])
    """
    args = list(argv)
    if args and args[0] in CLI_COMMANDS:
        return CLI, args
    if args and args[0] == GUI_COMMAND:
        return GUI, args[1:]
    if Path(program.replace("\\", "/")).stem.lower() == CLI_PROGRAM:
        return CLI, args
    return GUI, args


def dispatch(argv: Sequence[str], program: str = "") -> int:
    """Run the command line or the desktop application on ``argv`` and return its exit status."""
    target, args = choose(argv, program)
    if target == CLI:
        from cellcounter_app.cli import main as cli_main

        return int(cli_main(args) or 0)
    from cellcounter_app.gui.app import main as gui_main

    return int(gui_main(args) or 0)


def _give_windowed_program_streams() -> None:
    """A windowed Windows/macOS build starts with ``sys.stdout``/``sys.stderr`` set to None.

    Writes to them (argparse help, logging's last-resort handler) would then
    raise; they go to the null device instead.
    """
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))


def main() -> int:
    multiprocessing.freeze_support()
    _give_windowed_program_streams()
    return dispatch(sys.argv[1:], sys.executable if getattr(sys, "frozen", False) else sys.argv[0])


if __name__ == "__main__":
    sys.exit(main())
