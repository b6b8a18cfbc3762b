"""The edit journal: every correction is on disk the moment it is made.

The project file is saved a moment after the changes pause (`.autosave`),
so a crash or a ``kill -9`` right after a click would lose it.  `EditJournal`
appends one JSON line per corrected image to ``project.cellcounter.journal``
next to the project file, flushed and fsynced before the click returns: the
corrections and the counting regions the image has now.  The lines hold the
whole state of the edited field, so replaying them in order over the project
file gives the edits' result whatever part of them the file already holds.

Opening a project replays the journal (`recover_edits`) and says so in
``Project.notices``; the next save writes the edits into the project file and
empties the journal.  A journal of another project (its ``created`` time
differs) is never replayed: it is kept aside as ``...journal.unused-<time>``.

Examples
--------
>>> import tempfile
>>> from cellcounter_app.project import Project, load_project, save_project
>>> project = Project(tempfile.mkdtemp())
>>> image_id = project.add_images([project.folder / "a.tif"])[0]
>>> _ = save_project(project)
>>> journal = EditJournal(project)
>>> project.add_point(image_id, (10, 12))  # and no save: as if the program were killed now
>>> again = load_project(project.folder)
>>> recover_edits(again), again.image(image_id).corrections.added
(1, ((10.0, 12.0),))
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import CellCounterError
from .corrections import Corrections
from .model import Project
from .regions import Region

log = logging.getLogger(__name__)

JOURNAL_FILE = "project.cellcounter.journal"
JOURNAL_VERSION = 1
UNUSED_SUFFIX = ".unused-"


def journal_path(folder: str | os.PathLike[str]) -> Path:
    """The journal of the project in ``folder``."""
    return Path(folder) / JOURNAL_FILE


def _state(entry: Any) -> tuple[Corrections, tuple[Region, ...]]:
    return entry.corrections, tuple(entry.regions)


class EditJournal:
    """Append the corrections and regions of every edited image of ``project`` to its journal.

    It follows the project's events: an ``image_changed`` whose corrections
    or regions differ from the last ones written is appended (and fsynced);
    ``saved`` empties the journal, since the project file now holds them.
    A journal that cannot be written is logged once per failure and never
    stops an edit (the autosave still saves it a moment later).
    """

    def __init__(self, project: Project) -> None:
        self.project = project
        self.path = journal_path(project.folder)
        self._known = {entry.id: _state(entry) for entry in project.images}
        self._unsubscribe = project.subscribe(self._on_event)

    def close(self) -> None:
        """Stop following the project (the journal file stays until the next save)."""
        self._unsubscribe()

    def discard(self) -> None:
        """Stop following the project and delete its journal (the user discarded the unsaved edits)."""
        self.close()
        _remove(self.path)

    def _on_event(self, event: str, payload: Any) -> None:
        if event == "image_changed":
            self._note(payload)
        elif event == "image_added":
            self._known[payload] = (Corrections(), ())
        elif event == "images_removed":
            for image_id in payload:
                self._known.pop(image_id, None)
        elif event == "saved":
            _remove(self.path)
            self.path = journal_path(self.project.folder)

    def _note(self, image_id: str) -> None:
        try:
            entry = self.project.image(image_id)
        except KeyError:
            return
        state = _state(entry)
        if self._known.get(image_id, (Corrections(), ())) == state:
            return
        self._known[image_id] = state
        record = {"image": image_id, "corrections": state[0].to_dict(),
                  "regions": [region.to_dict() for region in state[1]]}
        try:
            self._append(record)
        except (OSError, CellCounterError) as exc:
            log.error("the correction of %s is not yet on disk (journal %s: %s); it is saved with the project",
                      entry.name, self.path, exc)

    def _append(self, record: dict[str, Any]) -> None:
        self.path = journal_path(self.project.folder)
        new = not self.path.is_file() or self.path.stat().st_size == 0
        lines = []
        if new:
            lines.append({"journal": JOURNAL_VERSION, "project_created": self.project.created,
                          "project_modified": self.project.modified})
        lines.append(record)
        text = "".join(json.dumps(line, ensure_ascii=False, allow_nan=False) + "\n" for line in lines)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if new:
            _sync_folder(self.path.parent)


def recover_edits(project: Project) -> int:
    """Replay the journal of ``project`` (just opened) onto it; returns how many images it corrected.

    The corrections and regions it restores mark the project changed, so
    the next save writes them; a line cut short by a crash ends the replay
    there.  ``Project.notices`` says what was recovered.
    """
    path = journal_path(project.folder)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return 0
    except OSError as exc:
        log.error("the edit journal %s cannot be read: %s", path, exc)
        project.notices.append(f"The corrections made after the last save could not be read from {path}: {exc}")
        return 0
    records = _records(raw, path)
    if not records:
        return 0
    header, edits = records[0], records[1:]
    if not isinstance(header, dict) or header.get("journal") != JOURNAL_VERSION \
            or header.get("project_created") != project.created:
        kept = _keep_aside(path)
        project.notices.append(f"An edit journal that does not belong to this project file was kept as {kept}; "
                               "it was not applied.")
        return 0
    final: dict[str, tuple[Corrections, tuple[Region, ...]]] = {}
    for record in edits:
        try:
            project.image(record["image"])
            final[record["image"]] = (Corrections.from_dict(record["corrections"]),
                                      tuple(Region.from_dict(r) for r in record["regions"]))
        except (KeyError, TypeError, ValueError, CellCounterError):
            continue
    changed: dict[str, str] = {}
    for image_id, state in final.items():
        entry = project.image(image_id)
        if _state(entry) != state:
            entry.corrections, entry.regions = state
            project._update_corrected(entry, notify=False)
            project.changed("image_changed", entry.id)
            changed[entry.id] = entry.name
    if changed:
        names = ", ".join(list(changed.values())[:5]) + (" …" if len(changed) > 5 else "")
        project.notices.append(
            f"CellCounter was not closed normally: the corrections made after the last save were recovered "
            f"from the edit journal ({len(changed)} image(s): {names}).")
    return len(changed)


def _records(raw: bytes, path: Path) -> list[Any]:
    """The JSON lines of a journal, up to the first one a crash cut short."""
    records = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line.decode("utf-8")))
        except (UnicodeDecodeError, ValueError, RecursionError):
            log.warning("%s: line %d is cut short or damaged; the journal is replayed up to it", path, number)
            break
    return records


def _keep_aside(path: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}{UNUSED_SUFFIX}{stamp}")
    try:
        os.replace(path, target)
    except OSError as exc:
        log.warning("could not keep the journal %s aside: %s", path, exc)
        return path
    return target


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("could not empty the edit journal %s: %s", path, exc)


def _sync_folder(folder: Path) -> None:
    """Make a new file's name durable too (POSIX; Windows has no folder fsync)."""
    if sys.platform.startswith("win"):
        return
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


__all__ = ["EditJournal", "JOURNAL_FILE", "journal_path", "recover_edits"]
