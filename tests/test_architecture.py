"""The house rules that keep the core usable without Qt and torch."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import cellcounter_app

PACKAGE = Path(cellcounter_app.__file__).parent
CORE = ("io", "inference", "postprocess", "measure", "metrics", "project", "export", "markers")

BLOCKER = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] in {'PySide6', 'pyqtgraph', 'torch', 'shiboken6'}:
            raise ImportError('blocked for the test: ' + name)
sys.meta_path.insert(0, Block())
import importlib
for name in sys.argv[1:]:
    importlib.import_module(name)
"""


def core_modules() -> list[str]:
    names = ["cellcounter_app.pipeline", "cellcounter_app.evaluation", "cellcounter_app.cli",
             "cellcounter_app.results", "cellcounter_app.errors", "cellcounter_app.reports",
             "cellcounter_app.sizing", "cellcounter_app.atomic"]
    for package in CORE:
        names.append(f"cellcounter_app.{package}")
        for info in pkgutil.walk_packages([str(PACKAGE / package)], f"cellcounter_app.{package}."):
            names.append(info.name)
    return names


def test_core_imports_without_qt_and_torch():
    result = subprocess.run([sys.executable, "-c", BLOCKER, *core_modules()],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_cli_help_runs_without_qt_and_torch():
    code = BLOCKER + "\nfrom cellcounter_app.cli import main\nsys.exit(main(['models']))\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "classical" in result.stdout


def test_no_source_file_is_too_long():
    too_long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
                if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500}
    assert not too_long, f"split these files: {too_long}"
