"""The user's settings: defaults for new projects, compute options, overlay look, last folders.

Qt-free.  Stored as JSON in the per-user config folder (`settings_path`);
written atomically.  A damaged or partly invalid file never stops the
application: each bad value is reported in the log (naming the file) and its
default is used instead.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import base64
import binascii
import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..atomic import atomic_write_bytes
from ..errors import CellCounterError, ParameterError
from ..postprocess.size import DEFAULT_SIZE, SizeSetting
from ..project.entry import check_params

log = logging.getLogger(__name__)

ENV_VAR = "CELLCOUNTER_CONFIG_DIR"
SETTINGS_FILE = "settings.json"
SCHEMA_VERSION = 1
MAX_THREADS = 256
MIN_PIXEL_SIZE_UM, MAX_PIXEL_SIZE_UM = 1e-4, 1e4
DEFAULT_OVERLAY_COLOR = "#00e5ff"
"""A cyan that reads on DAPI (blue), GFP (green), red and grey images alike."""
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_REMEMBERED_IMAGES = 50
"""How many projects' last shown image are remembered."""
MAX_WINDOW_STATE_CHARS = 100_000


def config_dir() -> Path:
    """The per-user config folder: ``$CELLCOUNTER_CONFIG_DIR``, else the platform's (may not exist yet)."""
    override = os.environ.get(ENV_VAR, "").strip()
    if override:
        return Path(override).expanduser()
    if sys.platform.startswith("win"):
        base = os.environ.get("APPDATA")
        return (Path(base) if base else Path.home() / "AppData" / "Roaming") / "CellCounter"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "CellCounter"
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".config") / "cellcounter"


def settings_path() -> Path:
    """The settings file, ``settings.json`` in `config_dir`."""
    return config_dir() / SETTINGS_FILE


def log_path() -> Path:
    """The application's log file, ``logs/cellcounter.log`` in `config_dir`."""
    return config_dir() / "logs" / "cellcounter.log"


def _real(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ParameterError(f"{name} must be a number, got {value!r}")
    return float(value)


def _check(name: str, value: Any) -> Any:
    """``value`` checked and normalised for the setting ``name``; raises `ParameterError`."""
    if name in ("default_model", "last_export_dir", "last_open_dir"):
        if not isinstance(value, str):
            raise ParameterError(f"{name} must be text, got {value!r}")
        return value.strip() if name == "default_model" else value
    if name == "default_params":
        if not isinstance(value, Mapping):
            raise ParameterError(f"default_params must be a mapping of parameter names to values, got {value!r}")
        try:
            return check_params(value)
        except ParameterError as exc:
            raise ParameterError(f"default_params: {exc}") from None
    if name == "use_gpu":
        if not isinstance(value, bool):
            raise ParameterError(f"use_gpu must be true or false, got {value!r}")
        return value
    if name == "threads":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_THREADS:
            raise ParameterError(f"threads must be an integer between 0 (automatic) and {MAX_THREADS}, got {value!r}")
        return value
    if name == "pixel_size_um":
        if value is None:
            return None
        number = _real(name, value)
        if not MIN_PIXEL_SIZE_UM <= number <= MAX_PIXEL_SIZE_UM:
            raise ParameterError(f"pixel_size_um must be empty (from the image) or between {MIN_PIXEL_SIZE_UM:g}"
                                 f" and {MAX_PIXEL_SIZE_UM:g} µm, got {value!r}")
        return number
    if name == "diameter":
        if not isinstance(value, str):
            raise ParameterError(f"diameter must be text such as 12um, 30px, auto or model, got {value!r}")
        return SizeSetting.parse(value).to_text()
    if name == "overlay_color":
        if not isinstance(value, str) or not _HEX_COLOUR.match(value.strip()):
            raise ParameterError(
                f"overlay_color must be a colour #RRGGBB such as {DEFAULT_OVERLAY_COLOR}, got {value!r}")
        return value.strip().lower()
    if name in ("window_geometry", "window_state"):
        if not isinstance(value, str) or len(value) > MAX_WINDOW_STATE_CHARS:
            raise ParameterError(f"{name} must be base64 text of at most {MAX_WINDOW_STATE_CHARS} characters")
        try:
            base64.b64decode(value.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise ParameterError(f"{name} must be base64 text, got {value[:40]!r}") from None
        return value
    if name == "last_images":
        if not isinstance(value, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise ParameterError(f"last_images must map project folders to image ids, got {value!r}")
        return dict(list(value.items())[-MAX_REMEMBERED_IMAGES:])
    if name == "overlay_opacity":
        number = _real(name, value)
        if not 0.0 <= number <= 1.0:
            raise ParameterError(f"overlay_opacity must be between 0 and 1, got {value!r}")
        return number
    raise ParameterError(f"unknown setting {name!r}; known: {', '.join(FIELD_NAMES)}")


@dataclass(frozen=True)
class UserSettings:
    """Settings of one user, validated on creation (`ParameterError` names the field and the range).

    Examples
    --------
    >>> UserSettings(threads=4, diameter="12 µm").diameter
    '12um'
    >>> UserSettings(threads=300)
    Traceback (most recent call last):
    ...
    cellcounter_app.errors.ParameterError: threads must be an integer between 0 (automatic) and 256, got 300
    """

    default_model: str = ""
    """Model of new projects; "" picks one automatically."""
    default_params: dict[str, Any] = field(default_factory=dict)
    """Post-processing parameters of new projects (those not set come from the model)."""
    use_gpu: bool = True
    threads: int = 0
    """CPU threads for inference; 0 lets ONNX Runtime decide."""
    pixel_size_um: float | None = None
    """Pixel size used when an image has none (None: images stay uncalibrated)."""
    diameter: str = DEFAULT_SIZE.to_text()
    """Expected cell diameter of new projects: ``12um``, ``30px``, ``auto`` or ``model`` (default: the
    engine's `~cellcounter_app.postprocess.size.DEFAULT_SIZE`)."""
    overlay_color: str = DEFAULT_OVERLAY_COLOR
    overlay_opacity: float = 0.8
    last_export_dir: str = ""
    last_open_dir: str = ""
    window_geometry: str = ""
    """The main window's size and place (Qt's saveGeometry, base64); "" lets it fit the screen."""
    window_state: str = ""
    """Where the docks and toolbar are (Qt's saveState, base64)."""
    last_images: dict[str, str] = field(default_factory=dict)
    """The image last shown in each project (project folder -> image id), the most recent last."""

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            object.__setattr__(self, item.name, _check(item.name, getattr(self, item.name)))

    def replace(self, **changes: Any) -> "UserSettings":
        """A copy with ``changes`` applied (validated)."""
        unknown = set(changes) - set(FIELD_NAMES)
        if unknown:
            raise ParameterError(f"unknown setting(s) {', '.join(sorted(unknown))}; known: {', '.join(FIELD_NAMES)}")
        return dataclasses.replace(self, **changes)

    def with_last_image(self, project_folder: str | os.PathLike[str], image_id: str) -> "UserSettings":
        """A copy that remembers ``image_id`` as the image last shown in ``project_folder``.

        Examples
        --------
        >>> UserSettings().with_last_image("/data/exp1", "0a1b2c3d4e5f").last_images
        {'/data/exp1': '0a1b2c3d4e5f'}
        """
        images = {k: v for k, v in self.last_images.items() if k != str(project_folder)}
        if image_id:
            images[str(project_folder)] = image_id
        return self.replace(last_images=images)

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready data, with ``schema_version``."""
        data: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
        data.update({name: getattr(self, name) for name in FIELD_NAMES})
        data["default_params"] = dict(self.default_params)
        data["last_images"] = dict(self.last_images)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "settings") -> "UserSettings":
        """Settings from ``data``; each missing or invalid value takes its default (logged, naming ``source``)."""
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name == "schema_version":
                continue
            if name not in FIELD_NAMES:
                log.warning("%s: unknown setting %r ignored", source, name)
                continue
            if name == "default_params" and isinstance(value, Mapping):
                values[name] = _good_params(value, source)
                continue
            try:
                values[name] = _check(name, value)
            except ParameterError as exc:
                log.warning("%s: %s; using the default instead", source, exc)
        return cls(**values)


def _good_params(params: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The valid entries of ``params``; each bad one is logged and left out."""
    good = {}
    for name, value in params.items():
        try:
            good.update(check_params({name: value}))
        except ParameterError as exc:
            log.warning("%s: default_params: %s; the model's value applies instead", source, exc)
    return good


FIELD_NAMES: tuple[str, ...] = tuple(item.name for item in dataclasses.fields(UserSettings))


def load_settings(path: str | os.PathLike[str] | None = None) -> UserSettings:
    """The settings in ``path`` (default `settings_path`); defaults when the file is absent or damaged."""
    target = Path(path) if path is not None else settings_path()
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        return UserSettings()
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("%s: cannot read the settings (%s); using the defaults", target, exc)
        return UserSettings()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        log.warning("%s: the settings file is damaged (%s); using the defaults", target, exc)
        return UserSettings()
    if not isinstance(data, dict):
        log.warning("%s: the settings file must hold a JSON object, got %s; using the defaults",
                    target, type(data).__name__)
        return UserSettings()
    version = data.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        log.warning("%s: settings schema_version %r is newer than this version reads (%d); reading what it can",
                    target, version, SCHEMA_VERSION)
    return UserSettings.from_dict(data, source=str(target))


def save_settings(settings: UserSettings, path: str | os.PathLike[str] | None = None) -> Path:
    """Write ``settings`` atomically to ``path`` (default `settings_path`) and return the path.

    Raises
    ------
    CellCounterError
        The file or its folder cannot be written (the message names it).
    """
    target = Path(path) if path is not None else settings_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CellCounterError(f"cannot create the settings folder {target.parent}: {exc.strerror or exc}") from exc
    text = json.dumps(settings.to_dict(), indent=2, ensure_ascii=False) + "\n"
    return atomic_write_bytes(target, text.encode("utf-8"))
