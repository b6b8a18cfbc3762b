"""Test-suite wide settings: offscreen Qt, no stray threads."""

from __future__ import annotations

import os
import signal
import threading

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_NUM_THREADS", "2")

SHARED_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")

# A suite started in the background (`make test &`, nohup) inherits SIGINT ignored; the Ctrl+C tests need
# Python's own handler, as an interactive run or CI has.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _no_leftover_threads():
    """Fail a test that leaves a Python thread running."""
    before = set(threading.enumerate())
    yield
    leftover = [
        t for t in threading.enumerate()
        if t not in before and t.is_alive() and not t.daemon
    ]
    for t in leftover:
        t.join(timeout=5)
    still = [t.name for t in leftover if t.is_alive()]
    assert not still, f"test left threads running: {still}"


@pytest.fixture
def shared_data():
    """Path to ../shared/data, or skip when it is absent."""
    path = os.path.abspath(os.environ.get("CELLCOUNTER_SHARED_DATA", SHARED_DATA))
    if not os.path.isdir(path):
        pytest.skip("../shared/data is not available")
    from pathlib import Path

    return Path(path)
