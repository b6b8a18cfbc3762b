from __future__ import annotations

import json

import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.project import RecentProjects


def test_most_recent_first_without_duplicates_and_persisted(tmp_path):
    store = tmp_path / "config" / "recent.json"
    recent = RecentProjects(store, max_items=3)
    for name in ("a", "b", "c", "a", "d"):
        recent.add(tmp_path / name)
    assert [p.name for p in recent.list()] == ["d", "a", "c"]
    assert [p.name for p in RecentProjects(store, max_items=3).list()] == ["d", "a", "c"]
    assert [p.name for p in RecentProjects(store, max_items=2).list()] == ["d", "a"]
    recent.remove(tmp_path / "a")
    assert [p.name for p in RecentProjects(store).list()] == ["d", "c"]


def test_remove_missing_drops_folders_that_are_gone(tmp_path):
    (tmp_path / "kept").mkdir()
    recent = RecentProjects(tmp_path / "recent.json")
    recent.add(tmp_path / "gone")
    recent.add(tmp_path / "kept")
    assert recent.remove_missing() == [tmp_path / "gone"]
    assert RecentProjects(tmp_path / "recent.json").list() == [tmp_path / "kept"]


def test_damaged_list_starts_empty(tmp_path, caplog):
    store = tmp_path / "recent.json"
    store.write_text("{not json", encoding="utf-8")
    recent = RecentProjects(store)
    assert recent.list() == [] and "unreadable list of recent projects" in caplog.text
    recent.add(tmp_path / "p")
    assert json.loads(store.read_text()) == {"recent": [(tmp_path / "p").as_posix()]}


def test_max_items_must_be_positive(tmp_path):
    with pytest.raises(ParameterError, match="max_items must be an integer >= 1, got 0"):
        RecentProjects(tmp_path / "r.json", max_items=0)
