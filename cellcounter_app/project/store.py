"""Save and open projects.

A project folder holds ``project.cellcounter.json`` (indented JSON, sorted keys
within each record, images in project order, never NaN), its backup
``project.cellcounter.json.bak`` (the previous save) and ``results/`` with one
label TIFF per counted image, named ``<image id>-<token>.tif``.

Saving is crash-safe: new label images are written first under new names,
then the previous project file is copied to the backup, then the new project
file replaces the old one atomically, and only then are label images that
neither the project file nor its backup refer to deleted.  Whatever moment a
crash happens at, the project file and its backup each open with the label
images they name.

A save only ever deletes label images the project knows (it was opened with
them or wrote them): those named only by a damaged project file, or by files
of another copy, stay.  A damaged project file is kept aside before it is
replaced, and one written by a newer CellCounter is not replaced at all
(see :mod:`.guard`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import CellCounterError
from .errors import ProjectError
from ..atomic import atomic_path, atomic_write_bytes
from .files import write_labels
from .guard import check_replaceable, keep_aside, parse, read_existing
from .migrations import CURRENT_VERSION, NewerSchemaError, migrate, schema_version
from .model import Project, now_iso
from .paths import RESULTS_DIR, backup_file, project_file
from .serialize import InvalidProject, project_from_data, project_to_data

log = logging.getLogger(__name__)

LABELS_NAME = re.compile(r"^[0-9a-f]{12}-[0-9a-f]{6}\.tif$")
"""Names of the label images the store writes (and may delete)."""


@dataclass
class SavePlan:
    """A save prepared on the thread that owns the project, to be written on any thread.

    Holds the project file's text and the label images to write (arrays
    that are never modified once recorded), so :func:`write_plan` does not
    read the project.
    """

    target: Path
    text: str
    labels: list[tuple[str, str, np.ndarray]] = field(default_factory=list)
    """``(image id, file name relative to the folder, labels)`` to write first."""
    known: frozenset[str] = frozenset()
    """Names of the label images the project knows: the only ones the save may delete."""


def plan_save(project: Project, path: str | os.PathLike[str] | None = None) -> SavePlan:
    """Prepare a save (fast, no image is written): see :func:`save_project` for ``path``.

    The project's pending label images are handed to the plan; if the plan
    is not written, give them back with :func:`cancel_plan`.
    """
    target = project_file(project.folder if path is None else path)
    folder = target.parent
    try:
        (folder / RESULTS_DIR).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CellCounterError(f"cannot create the project folder {folder / RESULTS_DIR}: "
                               f"{exc.strerror or exc}") from exc
    if folder != project.folder:
        _copy_labels(project, folder)
        _copy_folders(project.folder, folder)
        project.folder = folder
    labels = []
    for image_id, array in project.pending_labels().items():
        name = f"{RESULTS_DIR}/{image_id}-{secrets.token_hex(3)}.tif"
        labels.append((image_id, name, array))
        project.labels_saved(image_id, name)
        project.known_labels.add(Path(name).name)
    project.modified = now_iso()
    project.app_version = __version__
    text = json.dumps(project_to_data(project), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
    return SavePlan(target, text, labels, frozenset(project.known_labels))


def cancel_plan(project: Project, plan: SavePlan) -> None:
    """Give a plan's label images back to the project after its write failed (they stay pending)."""
    for image_id, name, array in plan.labels:
        try:
            entry = project.image(image_id)
        except KeyError:
            continue
        if entry.labels_file == name:
            project.restore_pending_labels(image_id, array)


def write_plan(plan: SavePlan) -> Path:
    """Write a planned save: label images, backup, project file, then delete unused label images.

    Raises `CellCounterError` when a file cannot be written, or when the
    project file there was written by a newer CellCounter; the previous
    project file is then intact.
    """
    folder = plan.target.parent
    check_replaceable(plan.target)
    for _, name, array in plan.labels:
        write_labels(folder / name, array)
    _backup(plan.target)
    atomic_write_bytes(plan.target, (plan.text + "\n").encode("utf-8"))
    _delete_unused_labels(folder, plan.target, plan.known)
    return plan.target


def save_project(project: Project, path: str | os.PathLike[str] | None = None) -> Path:
    """Write the project file (and new label images) atomically; returns the project file.

    Parameters
    ----------
    project : Project
        The project; its ``modified`` time and ``app_version`` are updated.
    path : path-like, optional
        Another project folder (or project file) to save into ("save as"):
        the project moves there, label images included, and image paths are
        stored relative to it.  Default: the project's own folder.

    Raises
    ------
    CellCounterError
        A file could not be written; the previous project file is intact.
    """
    plan = plan_save(project, path)
    try:
        write_plan(plan)
    except BaseException:
        cancel_plan(project, plan)
        raise
    project.labels_written([image_id for image_id, _, _ in plan.labels])
    project.mark_saved(plan.target)
    return plan.target


def load_project(path_or_folder: str | os.PathLike[str], *, from_backup: bool = False) -> Project:
    """Open a project folder (or project file).

    Parameters
    ----------
    path_or_folder : path-like
        The project folder or its ``project.cellcounter.json``.
    from_backup : bool
        Open the backup of the previous save instead (after a damaged file).
        The damaged file is first copied to ``<name>.damaged-<time>`` (see
        ``Project.notices``); the opened project is marked changed, so the
        next save repairs the project file.

    Returns
    -------
    Project
        Images are looked up relative to the project folder (then at their
        last absolute path); those not found have ``status == "missing"``.

    Raises
    ------
    ProjectError
        The file is missing, damaged, invalid or made by a newer CellCounter;
        ``backup_available`` says whether ``from_backup=True`` may help (never
        for a newer file: saving the backup would replace it).
    """
    main = project_file(path_or_folder)
    source = backup_file(main) if from_backup else main
    backup_available = not from_backup and backup_file(main).is_file()

    def fail(reason: str) -> ProjectError:
        return ProjectError(source, reason, backup_available)

    try:
        raw = source.read_bytes()
    except FileNotFoundError:
        what = "there is no backup" if from_backup else "the file does not exist; is this a CellCounter project?"
        raise fail(what) from None
    except OSError as exc:
        raise fail(f"the file cannot be read ({exc.strerror or exc})") from exc
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise fail("the file is damaged (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise fail(f"the file is damaged (not valid JSON: {exc.msg} at line {exc.lineno}, "
                   f"column {exc.colno})") from None
    except RecursionError:
        raise fail("the file is damaged (brackets nested too deeply to read)") from None
    except ValueError as exc:
        raise fail(f"the file is damaged ({exc})") from None
    if not isinstance(data, dict):
        raise fail(f"the file is not a project (a JSON {type(data).__name__}, not an object)")
    try:
        version = schema_version(data)
        project = project_from_data(migrate(data), main.parent)
    except NewerSchemaError as exc:
        raise ProjectError(source, str(exc)) from None
    except RecursionError:
        raise fail("the file is invalid (values nested too deeply to read)") from None
    except (InvalidProject, ValueError, OverflowError) as exc:
        raise fail(f"the file is invalid ({exc})") from None
    project.known_labels = {Path(entry.labels_file).name for entry in project.images if entry.labels_file}
    if from_backup and main.is_file():
        kept = keep_aside(main)
        project.notices.append(f"The damaged project file was kept as {kept}; the project was opened from "
                               f"the backup of the save of {project.modified}.")
    project.dirty = from_backup or version < CURRENT_VERSION
    return project


def _backup(target: Path) -> None:
    """Copy the current project file to the backup, unless it is damaged (keep the older good backup)."""
    current = read_existing(target, "to back it up")
    if current is None:
        return
    if not isinstance(parse(current), dict):
        log.warning("%s is damaged; the backup of the previous save is kept", target)
        return
    atomic_write_bytes(backup_file(target), current)


def _referenced_labels(project_path: Path) -> set[str] | None:
    """Label files named by a project file, or None when it cannot be read."""
    try:
        data = parse(project_path.read_bytes())
    except FileNotFoundError:
        return set()
    except OSError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        return None
    return {Path(item["labels_file"]).name for item in data["images"]
            if isinstance(item, dict) and isinstance(item.get("labels_file"), str) and item["labels_file"]}


def _delete_unused_labels(folder: Path, target: Path, known: frozenset[str]) -> None:
    """Delete the label images of ``known`` that neither the project file nor its backup names."""
    keep = _referenced_labels(target)
    backup = _referenced_labels(backup_file(target))
    if keep is None or backup is None:
        return
    for path in (folder / RESULTS_DIR).iterdir():
        if LABELS_NAME.match(path.name) and path.name in known and path.name not in keep | backup:
            try:
                path.unlink()
            except OSError as exc:
                log.warning("could not delete the unused label image %s: %s", path, exc)


CARRIED_FOLDERS = ("annotations", "models")
"""Folders of a project that "save as" carries along: imported ground truth and trained models."""


def _copy_folders(source: Path, target: Path) -> None:
    """Copy the project's annotations and trained models into its new folder (save as)."""
    for name in CARRIED_FOLDERS:
        if (source / name).is_dir():
            try:
                shutil.copytree(source / name, target / name, dirs_exist_ok=True)
            except OSError as exc:
                raise CellCounterError(f"cannot copy {source / name} to {target / name}: {exc}") from exc


def _copy_labels(project: Project, folder: Path) -> None:
    """Copy the saved label images of ``project`` into ``folder`` (save as)."""
    for entry in project.images:
        if not entry.labels_file or entry.id in project.pending_labels():
            continue
        source = project.folder / entry.labels_file
        if not source.is_file():
            log.warning("label image %s of %s is missing; not copied", source, entry.name)
            continue
        with atomic_path(folder / entry.labels_file) as tmp:
            shutil.copyfile(source, tmp)
