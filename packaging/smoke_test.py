"""Check a frozen CellCounter bundle the way a user would meet it, and time it.

Runs, from the folder holding the two programs:

1. ``cellcounter-cli --version`` and ``cellcounter-cli models`` (the bundled
   ``nuclei`` model must be found inside the bundle);
2. ``cellcounter-cli count resources/sample --out <tmp>.xlsx --force``: exit
   status 0, every sample image counted, the workbook written;
3. ``cellcounter-cli count`` of one ND2 and one CZI file of a folder of
   microscope files, and of one LIF and one VSI file when it has them
   (``--formats``, default ``../shared/formats`` next to the repository;
   skipped when that folder is absent): every image of those files counted,
   none an error row, each file with at least one cell in ``images.csv``.
   This is what proves the readers of the ``formats`` extra and their native
   libraries made it into the bundle;
4. ``cellcounter-cli train`` on a missing folder: the counting build must say
   that training needs torch, the training build (``--training``) must get
   past the torch import and complain about the folder;
5. ``CellCounter --self-test`` (the double-click program, offscreen where
   the caller sets ``QT_QPA_PLATFORM=offscreen``): exit status 0. When it fails, the same
   self-test is rerun through the console program so its messages are seen.

Prints the bundle size and the wall time of each first run; exits 1 on the
first failed check.

Usage::

    python packaging/smoke_test.py dist/CellCounter [--training] [--no-gui] [--formats FOLDER]
    python packaging/smoke_test.py dist/CellCounter.app/Contents/MacOS     # macOS
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "resources" / "sample"
FORMATS = ROOT.parent / "shared" / "formats"
VENDOR_SAMPLES = {".nd2": "arcadia__example-multichannel.nd2", ".czi": "czitools__DAPI_GFP.czi",
                  ".lif": "readlif__LeicaLASX_wavelength-sweep_example.lif", ".vsi": "vsi-ets-test-jpg2k.vsi"}
"""Suffix -> the file counted when the folder has it (else its first file of that suffix, by path)."""
REQUIRED_SUFFIXES = (".nd2", ".czi")
"""The folder must hold these; LIF and VSI files are counted when it has them."""
TIMEOUT_S = 600
SUFFIX = ".exe" if sys.platform == "win32" else ""


class CheckFailed(RuntimeError):
    """A check of the frozen bundle failed; the message says which and why."""


def run(command: Sequence[str | Path], *, expect: int = 0) -> tuple[str, float]:
    """Run ``command``; return its combined output and wall time, or raise `CheckFailed`."""
    started = time.perf_counter()
    try:
        done = subprocess.run([str(part) for part in command], capture_output=True, text=True,
                              encoding="utf-8", errors="replace", timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise CheckFailed(f"{' '.join(map(str, command))}: no answer after {TIMEOUT_S} s") from exc
    seconds = time.perf_counter() - started
    output = done.stdout + done.stderr
    if done.returncode != expect:
        raise CheckFailed(f"{' '.join(map(str, command))}: exit status {done.returncode}, expected {expect}\n{output}")
    return output, seconds


def folder_size(folder: Path) -> int:
    """Bytes of every regular file under ``folder`` (links not followed)."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


def check_counting(cli: Path, scratch: Path) -> float:
    """Count the bundled samples with the frozen command line; return the wall time."""
    out = scratch / "sample-counts.xlsx"
    output, seconds = run([cli, "count", SAMPLES, "--out", out, "--force"])
    images = sorted(path for path in SAMPLES.iterdir() if path.suffix.lower() in {".png", ".tif", ".tiff"})
    if not out.is_file():
        raise CheckFailed(f"{cli} count: exit status 0 but {out} was not written\n{output}")
    expected = f"{len(images)} of {len(images)} image(s) counted"
    if expected not in output:
        raise CheckFailed(f"{cli} count: expected '{expected}' in its output\n{output}")
    return seconds


def vendor_files(folder: Path) -> list[Path]:
    """One file of each suffix of `VENDOR_SAMPLES` under ``folder``; `CheckFailed` when a required one is missing."""
    chosen = []
    for suffix, preferred in VENDOR_SAMPLES.items():
        found = sorted(path for path in folder.rglob("*") if path.suffix.lower() == suffix and path.is_file())
        if found:
            chosen.append(next((path for path in found if path.name == preferred), found[0]))
        elif suffix in REQUIRED_SUFFIXES:
            raise CheckFailed(f"{folder}: no {suffix} file to count")
    return chosen


def vendor_counts(rows: Sequence[dict[str, str]], files: Sequence[Path]) -> dict[str, int]:
    """Cells per file from the rows of ``images.csv``; a file's scenes and frames are its own rows.

    Raises `CheckFailed` when a file has no row, an error row, or no cell.
    """
    counts = {}
    for file in files:
        mine = [row for row in rows if Path(row["image"]).name.split(" [")[0] == file.name]
        if not mine:
            raise CheckFailed(f"{file.name}: no row in images.csv")
        for row in mine:
            if row["status"] != "ok":
                raise CheckFailed(f"{row['image']}: status {row['status']!r}: {row['error']}")
        counts[file.name] = sum(int(row["count"]) for row in mine)
        if counts[file.name] == 0:
            raise CheckFailed(f"{file.name}: read, but no cell found")
    return counts


def check_vendor_formats(cli: Path, folder: Path, scratch: Path) -> tuple[dict[str, int], float]:
    """Count one file per vendor format of ``folder`` with the frozen command line; return cells per file, time."""
    files = vendor_files(folder)
    tables = scratch / "vendor-csv"
    output, seconds = run([cli, "count", *files, "--out", scratch / "vendor-counts.xlsx", "--csv", tables, "--force"])
    with open(tables / "images.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    try:
        return vendor_counts(rows, files), seconds
    except CheckFailed as exc:
        raise CheckFailed(f"{cli} count of {', '.join(file.name for file in files)}: {exc}\n{output}") from exc


def check_training(cli: Path, scratch: Path, training: bool) -> None:
    """``train`` must need torch in the counting build and reach the folder check in the training build."""
    missing = scratch / "no-such-folder"
    output, _ = run([cli, "train", "--images", missing, "--labels", missing, "--out", scratch / "m.onnx"], expect=2)
    needs_torch = "training needs torch" in output
    if training and needs_torch:
        raise CheckFailed(f"the training bundle cannot import its training modules:\n{output}")
    if not training and not needs_torch:
        raise CheckFailed(f"the counting bundle should answer that training needs torch:\n{output}")


def check_self_test(gui: Path, cli: Path) -> float:
    """Run the desktop application's self-test; on failure rerun it through the console program."""
    try:
        return run([gui, "--self-test"])[1]
    except CheckFailed as exc:
        try:
            run([cli, "gui", "--self-test"])
        except CheckFailed as console:
            raise CheckFailed(f"{exc}\nthrough the console program:\n{console}") from console
        raise


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check and time a frozen CellCounter bundle.")
    parser.add_argument("folder", type=Path, help="folder holding CellCounter and cellcounter-cli")
    parser.add_argument("--training", action="store_true", help="the bundle is the training variant")
    parser.add_argument("--no-gui", action="store_true", help="skip the desktop application's self-test")
    parser.add_argument("--formats", type=Path, default=FORMATS,
                        help="folder of microscope files to count one ND2, CZI, LIF and VSI of (skipped when absent;"
                             " default: %(default)s)")
    args = parser.parse_args(argv)
    gui, cli = args.folder / f"CellCounter{SUFFIX}", args.folder / f"cellcounter-cli{SUFFIX}"
    try:
        for program in (gui, cli):
            if not program.is_file():
                raise CheckFailed(f"{program}: no such program; build the bundle first (make bundle)")
        version, _ = run([cli, "--version"])
        models, models_s = run([cli, "models"])
        if "nuclei" not in models or "bundled" not in models:
            raise CheckFailed(f"{cli} models: the bundled nuclei model is missing\n{models}")
        with tempfile.TemporaryDirectory(prefix="cellcounter-smoke-") as tmp:
            count_s = check_counting(cli, Path(tmp))
            vendor = check_vendor_formats(cli, args.formats, Path(tmp)) if args.formats.is_dir() else None
            check_training(cli, Path(tmp), args.training)
        gui_s = None if args.no_gui else check_self_test(gui, cli)
    except CheckFailed as exc:
        print(f"smoke test FAILED: {exc}", file=sys.stderr)
        return 1
    top = args.folder.parents[1] if args.folder.name == "MacOS" else args.folder
    print(f"{version.strip()}: bundle {top} is {folder_size(top) / 2**20:.0f} MiB")
    print(f"first run: models {models_s:.1f} s, count of the {SAMPLES.name} images {count_s:.1f} s", end="")
    print("" if gui_s is None else f", GUI --self-test {gui_s:.1f} s")
    if vendor is None:
        print(f"microscope files: skipped, {args.formats} is absent")
    else:
        counts, vendor_s = vendor
        print(f"microscope files: {', '.join(f'{name} {cells} cells' for name, cells in counts.items())}"
              f" ({vendor_s:.1f} s)")
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
