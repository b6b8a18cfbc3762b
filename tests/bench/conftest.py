"""The scripts of bench/ imported as modules (they import their siblings, so bench/ goes on the path)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def bench_module():
    """``bench_module("tta_eval")``: that script's module, with bench/ on ``sys.path`` for the test."""
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module
    finally:
        sys.path.remove(str(BENCH))
