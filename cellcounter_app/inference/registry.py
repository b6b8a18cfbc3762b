"""Where models live, which ones there are, and loading one by name or path.

Search order (`model_dirs`): the folders in ``CELLCOUNTER_MODELS_DIR``
(``os.pathsep``-separated), the per-user folder, then the folder bundled with
the application.  The first model of a given name wins, so a user can shadow a
bundled model by putting a newer file of the same name in their folder.
`list_models` and `load_model` also take ``extra_dirs`` searched first, such as
a project's ``models/`` folder of models trained in the app (source ``project``).
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cellcounter_app

from ..errors import ModelError
from .classical import ClassicalModel
from .metadata import ModelMeta
from .onnx_model import OnnxModel
from .predictor import Predictor
from .session import read_properties

logger = logging.getLogger(__name__)

ENV_VAR = "CELLCOUNTER_MODELS_DIR"
CLASSICAL = "classical"
SOURCES = ("builtin", "bundled", "user", "file", "project")

_meta_cache: dict[tuple[str, int, int], ModelMeta] = {}


@dataclass(frozen=True)
class ModelEntry:
    """One model that can be offered to the user.

    ``source`` says where it comes from: ``builtin`` (the classical model),
    ``bundled`` (shipped with the application), ``user`` (the per-user folder
    or ``CELLCOUNTER_MODELS_DIR``), ``project`` (an ``extra_dirs`` folder, such
    as a project's trained models) or ``file`` (a file picked by hand).
    """

    name: str
    version: str
    description: str
    path: Path | None
    source: str


def user_models_dir() -> Path:
    """The per-user model folder of this platform (it may not exist yet)."""
    if sys.platform.startswith("win"):
        base = os.environ.get("APPDATA")
        return (Path(base) if base else Path.home() / "AppData" / "Roaming") / "CellCounter" / "models"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "CellCounter" / "models"
    base = os.environ.get("XDG_DATA_HOME")
    return (Path(base) if base else Path.home() / ".local" / "share") / "cellcounter" / "models"


def bundled_models_dir() -> Path:
    """``models/`` next to the package, or inside a PyInstaller bundle when frozen."""
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        return Path(sys._MEIPASS) / "models"
    return Path(cellcounter_app.__file__).parents[1] / "models"


def model_dirs() -> list[Path]:
    """Folders searched for ``*.onnx`` models, in priority order (existing or not).

    ``CELLCOUNTER_MODELS_DIR`` entries, then `user_models_dir`, then
    `bundled_models_dir`; duplicates are dropped.
    """
    extra = [Path(p).expanduser() for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    dirs: list[Path] = []
    for folder in [*extra, user_models_dir(), bundled_models_dir()]:
        if folder not in dirs:
            dirs.append(folder)
    return dirs


def read_entry(path: str | Path, source: str = "file") -> ModelEntry:
    """Describe the ONNX model in ``path`` without preparing it for inference.

    Raises `ModelError` (naming the file) when it is not a valid CellCounter
    model.  Results are cached by path, size and modification time.
    """
    if source not in SOURCES:
        raise ModelError(f"source must be one of {SOURCES}, got {source!r}")
    path = Path(path)
    meta = _read_meta(path)
    return ModelEntry(meta.name, meta.version, meta.description, path, source)


def list_models(extra_dirs: Sequence[str | Path] = ()) -> list[ModelEntry]:
    """Every available model: ``classical`` first, then each ``*.onnx`` of ``extra_dirs`` and `model_dirs`.

    ``extra_dirs`` (e.g. a project's ``models/`` folder) are searched first
    and their models have the source ``project``.  A file that cannot be read
    is skipped with a logged warning; a name seen before (in an earlier
    folder, or an earlier file of the same folder in name order) is skipped too.
    """
    builtin = ClassicalModel().meta
    entries = [ModelEntry(builtin.name, builtin.version, builtin.description, None, "builtin")]
    seen = {CLASSICAL}
    bundled = bundled_models_dir()
    extra = [Path(folder).expanduser() for folder in extra_dirs]
    for folder in [*extra, *(d for d in model_dirs() if d not in extra)]:
        if not folder.is_dir():
            continue
        source = "project" if folder in extra else "bundled" if folder == bundled else "user"
        for path in sorted(folder.glob("*.onnx")):
            try:
                entry = read_entry(path, source)
            except ModelError as exc:
                logger.warning("skipping model file: %s", exc)
                continue
            if entry.name in seen:
                logger.info("%s: a model named %r was found earlier; this one is ignored", path, entry.name)
                continue
            seen.add(entry.name)
            entries.append(entry)
    return entries


def load_model(name_or_path: str | Path, *, use_gpu: bool = True, threads: int | None = None,
               extra_dirs: Sequence[str | Path] = ()) -> Predictor:
    """A ready-to-run model.

    Parameters
    ----------
    name_or_path : str or Path
        ``"classical"``, the path of an ONNX file, or the name of a model from
        `list_models`.
    use_gpu : bool
        Use CUDA when it really runs (ONNX models only).
    threads : int, optional
        CPU threads (default: all cores).
    extra_dirs : sequence of path, optional
        Folders searched for names before `model_dirs` (see `list_models`).

    Raises
    ------
    ModelError
        No such model (the message lists the available names), or the file
        is broken (a metadata value out of its range or of the wrong type, an output
        channel the graph does not have).

    Examples
    --------
    >>> load_model("classical").meta.name
    'classical'
    """
    text = str(name_or_path)
    if text == CLASSICAL:
        return ClassicalModel()
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return _checked(OnnxModel(path, use_gpu=use_gpu, threads=threads))
    if isinstance(name_or_path, Path) or path.suffix.lower() == ".onnx":
        raise ModelError(f"{path}: no such model file")
    entries = list_models(extra_dirs)
    for entry in entries:
        if entry.name == text and entry.path is not None:
            return _checked(OnnxModel(entry.path, use_gpu=use_gpu, threads=threads))
    names = ", ".join(entry.name for entry in entries)
    raise ModelError(f"no model named {text!r}; available: {names}")


def _checked(model: OnnxModel) -> OnnxModel:
    model.check_output_channels()
    return model


def _read_meta(path: Path) -> ModelMeta:
    try:
        status = path.stat()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read the model file ({exc.strerror or exc})") from exc
    key = (str(path.resolve()), status.st_size, status.st_mtime_ns)
    if key not in _meta_cache:
        props = read_properties(path)
        try:
            _meta_cache[key] = ModelMeta.from_props(props, fallback_name=path.stem)
        except ModelError as exc:
            raise ModelError(f"{path}: {exc}") from exc
    return _meta_cache[key]
