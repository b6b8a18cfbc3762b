"""The batch outputs of ``cellcounter count``: checked before counting, written on every way out.

Every output (workbook, CSV folder and files, label, overlay, ROI and
GeoJSON folders) is checked before the first image is counted, so a batch
never counts for hours to fail at its first write. The workbook and the CSV
tables are written once, at the end of the batch: when it is done, cancelled
(Ctrl+C) or stopped by an error. Each is written on its own, so a failed CSV
write never costs the workbook. A batch that did not finish is marked in the
workbook's Info sheet (``status: cancelled after 37 of 200 images``) and
never replaces an existing file, even with ``--force``: it goes beside it
(``results.partial.xlsx``) and the CLI says so. When no table could be
written where asked (a full disk), the workbook goes to the system's
temporary folder instead.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .. import __version__
from ..errors import CellCounterError
from ..export import CSV_FILES, check_writable, make_folder, write_csv, write_workbook
from ..results import ImageResult
from .terminal import say

COMPLETE, CANCELLED, FAILED = "complete", "cancelled", "stopped by an error"


@dataclass(frozen=True)
class Stop:
    """How a batch ended: `COMPLETE`, `CANCELLED` or `FAILED`, and how many images it had.

    Examples
    --------
    >>> Stop(CANCELLED, 200).describe(37)
    'cancelled after 37 of 200 images'
    >>> Stop().describe(200)
    'complete'
    """

    how: str = COMPLETE
    total: int | None = None

    @property
    def partial(self) -> bool:
        return self.how != COMPLETE

    def describe(self, counted: int) -> str:
        """``complete``, ``cancelled after 37 of 200 images``, ``stopped by an error after 3 of ? images``."""
        if not self.partial:
            return COMPLETE
        total = "?" if self.total is None else str(self.total)
        return f"{self.how} after {counted} of {total} images"


def check_outputs(args: argparse.Namespace) -> None:
    """Before counting: create the output folders and check that every table can be written.

    The label and overlay files themselves are checked by the batch once it
    knows the images (`cellcounter_app.export.check_image_outputs`).

    Raises
    ------
    CellCounterError
        An output file exists without ``--force``, a file is in the way of a
        folder, or a folder cannot be made or written.
    """
    if args.out is not None:
        make_folder(args.out.parent)
        check_writable(args.out, force=args.force)
    if args.csv is not None:
        make_folder(args.csv)
        for name in CSV_FILES:
            check_writable(args.csv / name, force=args.force)
    for folder in (args.labels, args.overlays, args.rois, args.geojson):
        if folder is not None:
            make_folder(folder)


def write_outputs(args: argparse.Namespace, results: Sequence[ImageResult], stop: Stop) -> bool:
    """Write the workbook and the CSV tables of ``results``; True when every one was written where asked.

    A partial batch (``stop.partial``) with nothing counted writes nothing;
    one with results never replaces an existing file (see `_beside`).
    """
    if not (args.out is not None or args.csv is not None):
        return True
    if stop.partial and not results:
        say("cellcounter: no image was counted; no table written")
        return True
    info = {
        "application": f"CellCounter {__version__}",
        "written": datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join(["cellcounter", *sys.argv[1:]]),
        "status": stop.describe(len(results)),
    }
    all_written, tables = True, False
    if args.out is not None:
        target = _beside(args.out, stop, len(results))
        try:
            say(f"Wrote {write_workbook(results, target, force=args.force, extra_info=info)}")
            tables = True
        except CellCounterError as exc:
            say(f"cellcounter: error: {exc}")
            all_written = False
    if args.csv is not None:
        folder = _beside(args.csv, stop, len(results), [args.csv / name for name in CSV_FILES])
        try:
            for path in write_csv(results, make_folder(folder), force=args.force):
                say(f"Wrote {path}")
            tables = True
        except CellCounterError as exc:
            say(f"cellcounter: error: {exc}")
            all_written = False
    if not tables:
        _rescue(results, info)
    return all_written


def _beside(target: Path, stop: Stop, counted: int, files: Sequence[Path] | None = None) -> Path:
    """Where a partial batch writes ``target``: ``target`` itself unless that would replace a file.

    ``files`` are the files a folder target holds (the CSV tables); without
    them ``target`` is the file. The place beside is ``results.partial.xlsx``
    (``results.partial-2.xlsx``, ... when that exists too) or ``csv.partial``.
    """
    if not stop.partial or not any(path.exists() for path in (files or [target])):
        return target
    stem, suffix = (target.stem, target.suffix) if files is None else (target.name, "")
    number = 1
    while True:
        candidate = target.with_name(f"{stem}.partial{'' if number == 1 else f'-{number}'}{suffix}")
        if not candidate.exists():
            say(f"note: {target} is kept as it was; the {counted} image(s) counted before the batch was"
                f" {stop.how} go to {candidate}")
            return candidate
        number += 1


def _rescue(results: Sequence[ImageResult], info: dict[str, str]) -> None:
    """Save the tables in the system's temporary folder when none could be written where asked."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = Path(tempfile.gettempdir()) / f"cellcounter-{stamp}-{os.getpid()}.xlsx"
    try:
        write_workbook(results, target, extra_info=info)
    except CellCounterError as exc:
        say(f"cellcounter: error: {exc}; the table below is the only record of the counts")
        return
    say(f"cellcounter: the results are saved in {target} instead")
