"""Load the scripts of ``packaging/`` (a folder of scripts, not a package) for the tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def load_script(name: str) -> ModuleType:
    """Import ``packaging/<name>.py`` under the name ``cellcounter_packaging_<name>``."""
    module_name = f"cellcounter_packaging_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, PACKAGING / f"{name}.py")
    assert spec is not None and spec.loader is not None, f"packaging/{name}.py is missing"
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def entry() -> ModuleType:
    return load_script("cellcounter_entry")


@pytest.fixture(scope="session")
def config() -> ModuleType:
    return load_script("bundle_config")


@pytest.fixture(scope="session")
def icons() -> ModuleType:
    return load_script("make_icons")


@pytest.fixture(scope="session")
def smoke() -> ModuleType:
    return load_script("smoke_test")
