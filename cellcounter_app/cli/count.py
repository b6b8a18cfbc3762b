"""``cellcounter count``: count files and folders into an Excel workbook (and CSV, labels, overlays)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from .. import __version__
from ..export import check_writable, write_csv, write_workbook
from ..pipeline import BatchFinished, BatchStarted, CountRequest, ImageCounted, count_batch
from ..results import ImageResult
from . import options
from .progress import ProgressBar


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "count", help="count cells in images and folders",
        description="Count cells in image files and folders (searched recursively). Unreadable files "
                    "are recorded with their error and the batch goes on. Exit status: 0 when at least "
                    "one image was counted, 1 when none was, 2 on a usage, model or output problem.")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="image files and/or folders")
    parser.add_argument("--out", "-o", type=Path, default=None, metavar="FILE.xlsx",
                        help="Excel workbook to write (sheets Images, Cells, Summary, Info)")
    parser.add_argument("--csv", type=Path, default=None, metavar="DIR",
                        help="also write images.csv, cells.csv and summary.csv into DIR")
    parser.add_argument("--labels", type=Path, default=None, metavar="DIR",
                        help="write a label TIFF per image (0 = background, n = cell n)")
    parser.add_argument("--overlays", type=Path, default=None, metavar="DIR",
                        help="write an overlay PNG per image (outlines and centroids)")
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    options.add_model_options(parser)
    options.add_read_options(parser)
    options.add_param_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.out is not None:
        if args.out.suffix.lower() != ".xlsx":
            args.out = args.out.with_suffix(args.out.suffix + ".xlsx") if args.out.suffix else args.out.with_suffix(".xlsx")
        check_writable(args.out, force=args.force)
    request = CountRequest(
        inputs=options.existing_paths(args.paths),
        model=args.model,
        params=options.param_overrides(args),
        diameter=args.diameter,
        read=options.read_options(args),
        pixel_size_um=args.pixel_size,
        use_gpu=not args.cpu,
        threads=args.threads,
        labels_dir=args.labels,
        overlays_dir=args.overlays,
        force=args.force,
    )
    results: list[ImageResult] = []
    bar: ProgressBar | None = None
    interrupted = False
    events = count_batch(request)
    try:
        for event in events:
            if isinstance(event, BatchStarted):
                for path, reason in event.skipped:
                    print(f"note: skipped {path}: {reason}", file=sys.stderr)
                print(f"Counting {event.total} image(s) with model {event.model.name} "
                      f"{event.model.version} on {event.model.provider}", file=sys.stderr)
                bar = ProgressBar(event.total, quiet=args.quiet)
            elif isinstance(event, ImageCounted):
                results.append(event.result)
                r = event.result
                status = f"{r.count} cells" if r.ok else f"ERROR {r.error}"
                if bar is not None:
                    bar.update(event.index + 1, f"{r.name}: {status}")
            elif isinstance(event, BatchFinished) and bar is not None:
                bar.close()
    except KeyboardInterrupt:
        events.close()
        interrupted = True
        if bar is not None:
            bar.close()
        print("cellcounter: cancelled; writing the images counted so far", file=sys.stderr)
    _write_outputs(args, results)
    _print_table(results)
    if interrupted:
        return 130
    return 0 if any(r.ok for r in results) else 1


def _write_outputs(args: argparse.Namespace, results: list[ImageResult]) -> None:
    info = {
        "application": f"CellCounter {__version__}",
        "written": datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join(["cellcounter", *sys.argv[1:]]),
    }
    if args.out is not None:
        path = write_workbook(results, args.out, force=args.force, extra_info=info)
        print(f"Wrote {path}", file=sys.stderr)
    if args.csv is not None:
        args.csv.mkdir(parents=True, exist_ok=True)
        for path in write_csv(results, args.csv, force=args.force):
            print(f"Wrote {path}", file=sys.stderr)


def _print_table(results: list[ImageResult]) -> None:
    if not results:
        print("No images were counted.", file=sys.stderr)
        return
    width = max(len(r.name) for r in results)
    print(f"{'image':<{width}}  {'count':>6}  status")
    for r in results:
        count = str(r.count) if r.ok else "-"
        print(f"{r.name:<{width}}  {count:>6}  {'ok' if r.ok else r.error}")
    ok = [r for r in results if r.ok]
    print(f"{len(ok)} of {len(results)} image(s) counted, {sum(r.count for r in ok)} cells in total")
