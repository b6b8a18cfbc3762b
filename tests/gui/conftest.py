"""Fixtures of the window tests: per-test user folders and no worker left running."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _user_dirs(tmp_path_factory, monkeypatch):
    """Settings, logs, recent projects and untitled projects go to a fresh folder per test."""
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("CELLCOUNTER_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("APPDATA", str(home / "data"))
    yield home


@pytest.fixture(autouse=True)
def _no_running_workers():
    """Fail a test that leaves a worker thread running."""
    yield
    from cellcounter_app.gui.qt_worker import running_workers

    left = running_workers()
    assert not left, f"test left worker threads running: {left}"
