"""User settings: where they live, round trip, bounds, damaged files fall back to defaults."""

from __future__ import annotations

import doctest
import json
import logging
import sys
from pathlib import Path

import pytest

from cellcounter_app.errors import CellCounterError, ParameterError
from cellcounter_app.gui import settings as settings_module
from cellcounter_app.gui.settings import (
    DEFAULT_OVERLAY_COLOR,
    UserSettings,
    config_dir,
    load_settings,
    log_path,
    save_settings,
    settings_path,
)


@pytest.fixture
def config(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv("CELLCOUNTER_CONFIG_DIR", str(folder))
    return folder


def test_docstring_examples():
    assert doctest.testmod(settings_module).failed == 0


def test_paths_follow_the_environment(config, tmp_path, monkeypatch):
    assert settings_path() == config / "settings.json"
    assert log_path() == config / "logs" / "cellcounter.log"
    monkeypatch.delenv("CELLCOUNTER_CONFIG_DIR")
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
        assert config_dir() == tmp_path / "xdg" / "cellcounter"
        monkeypatch.delenv("XDG_CONFIG_HOME")
        assert config_dir() == Path.home() / ".config" / "cellcounter"


def test_round_trip(config):
    settings = UserSettings(default_model="nuclei", default_params={"threshold": 0.7, "split_touching": False},
                            use_gpu=False, threads=4, pixel_size_um=0.325, diameter="12 µm",
                            overlay_color="#FF00AA", overlay_opacity=0.5, last_export_dir="/data/out",
                            last_open_dir="/data/in")
    path = save_settings(settings)
    assert path == config / "settings.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["schema_version"] == 1 and data["diameter"] == "12um" and data["overlay_color"] == "#ff00aa"
    assert load_settings() == settings
    assert not [p for p in config.iterdir() if p.name.startswith(".")], "temporary file left behind"


def test_missing_file_gives_defaults_quietly(config, caplog):
    with caplog.at_level(logging.WARNING):
        settings = load_settings()
    assert settings == UserSettings() and not caplog.records
    assert settings.overlay_color == DEFAULT_OVERLAY_COLOR and settings.use_gpu and settings.threads == 0


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b"\xff\xfe{}"])
def test_damaged_file_falls_back_to_defaults_and_names_the_file(config, caplog, content):
    config.mkdir()
    (config / "settings.json").write_bytes(content)
    with caplog.at_level(logging.WARNING):
        assert load_settings() == UserSettings()
    assert str(config / "settings.json") in caplog.text


def test_bad_values_fall_back_one_by_one(config, caplog):
    config.mkdir()
    (config / "settings.json").write_text(json.dumps({
        "schema_version": 1, "threads": 999, "use_gpu": "yes", "diameter": "big", "overlay_color": "cyan",
        "overlay_opacity": 0.3, "default_params": {"threshold": 2.0, "min_size": 30}, "pixel_size_um": 0.5, "colour": 1,
        "default_model": "nuclei",
    }), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        settings = load_settings()
    assert settings == UserSettings(overlay_opacity=0.3, pixel_size_um=0.5, default_model="nuclei",
                                    default_params={"min_size": 30})
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 6 and all(m.startswith(str(config / "settings.json")) for m in messages)
    for name in ("threads", "use_gpu", "diameter", "overlay_color", "default_params: threshold", "'colour'"):
        assert any(name in m for m in messages), name


@pytest.mark.parametrize("changes, message", [
    ({"threads": -1}, "threads must be an integer between 0 .automatic. and 256"),
    ({"threads": 2.5}, "threads must be an integer"),
    ({"overlay_opacity": 1.5}, "overlay_opacity must be between 0 and 1"),
    ({"pixel_size_um": 0.0}, "pixel_size_um must be empty .from the image. or between 0.0001 and 10000"),
    ({"overlay_color": "#12345"}, "overlay_color must be a colour #RRGGBB"),
    ({"diameter": "1px"}, "diameter must be between 2 and 2000 px"),
    ({"default_params": {"treshold": 0.5}}, "default_params: unknown parameter 'treshold'"),
    ({"use_gpu": 1}, "use_gpu must be true or false"),
    ({"speed": 3}, "unknown setting"),
])
def test_out_of_range_values_are_refused(changes, message):
    with pytest.raises(ParameterError, match=message):
        UserSettings().replace(**changes)


def test_unwritable_folder_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CellCounterError, match="cannot create the settings folder .*file"):
        save_settings(UserSettings(), blocker / "sub" / "settings.json")
