"""``cellcounter count``: count files and folders into an Excel workbook (and CSV, labels, overlays)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from .. import __version__
from ..export import check_writable, make_folder, write_csv, write_workbook
from ..markers import PairPattern, scored_markers
from ..markers.options import build_markers
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
    options.add_shape_options(parser)
    options.add_param_options(parser)
    _add_marker_options(parser)
    parser.set_defaults(run=run)


def _add_marker_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "markers", "Count the cells positive for one to three markers: cells are found in the detection"
                   " channel and each marker is measured in its own channel of the same file or in a sibling"
                   " file (--pair). See docs/markers.md.")
    group.add_argument("--detect-channel", default=None, metavar="C",
                       help="channel to find the cells in: an index (0 = first), a channel name or 'max'")
    group.add_argument("--marker", action="append", default=[], metavar="NAME=CHANNEL",
                       help="score marker NAME in CHANNEL (index or name) of the same file; with --pair,"
                            " CHANNEL may be a marker token of the pattern (read from that sibling file)."
                            " Repeat for up to 3 markers")
    group.add_argument("--positive", action="append", default=[], metavar="[NAME=]RULE",
                       help="positivity rule: auto (= mixture), mixture, otsu, background[:K] (mean >= K x local"
                            " background, K 1-100, default 2) or a number (hand threshold on the measure);"
                            " NAME= sets it for one marker. Default: auto")
    group.add_argument("--marker-measure", action="append", default=[], metavar="[NAME=]MEASURE",
                       help="measure the rule thresholds: corrected (mean minus local background, default),"
                            " mean, median, integrated or ratio (mean / local background)")
    group.add_argument("--positive-scope", choices=("image", "batch"), default="image",
                       help="fit automatic rules per image (default) or once to the cells of all images")
    group.add_argument("--pair", type=_pair_pattern, default=None, metavar="PATTERN",
                       help="pair single-channel sibling files: DETECT=MARKER[,MARKER] such as DAPI=Cy3,GFP"
                            " (count a_DAPI_1.tif, score a_Cy3_1.tif and a_GFP_1.tif) or c1=c2")


def _pair_pattern(text: str) -> PairPattern:
    try:
        return PairPattern.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    if args.out is not None:
        if args.out.suffix.lower() != ".xlsx":
            args.out = args.out.with_suffix(args.out.suffix + ".xlsx") if args.out.suffix else args.out.with_suffix(".xlsx")
        if not args.out.parent.exists():
            make_folder(args.out.parent)  # as --csv, --labels and --overlays do
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
        detect_channel=args.detect_channel,
        markers=build_markers(args.marker, args.positive, args.marker_measure, args.pair),
        pair=args.pair,
        marker_scope=args.positive_scope,
        keep_arrays=args.rois is not None or args.geojson is not None,
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
                options.shape_outputs(args, r)
                r.labels = r.probability = None
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
    markers = list(dict.fromkeys(name for r in results for name in scored_markers(r.cells)))
    heads = "".join(f"  {name + '+':>10}" for name in markers)
    print(f"{'image':<{width}}  {'count':>6}{heads}  status")
    for r in results:
        count = str(r.count) if r.ok else "-"
        print(f"{r.name:<{width}}  {count:>6}{_marker_counts(r, markers)}  {_status(r, markers)}")
    ok = [r for r in results if r.ok]
    print(f"{len(ok)} of {len(results)} image(s) counted, {sum(r.count for r in ok)} cells in total")


def _marker_counts(result: ImageResult, markers: list[str]) -> str:
    """``  12 (40.0%)`` per marker: positive cells and their share; ``-`` where not scored."""
    cells = []
    for name in markers:
        positive = result.summary.get(f"{name}_positive") if result.ok else None
        percent = result.summary.get(f"{name}_percent_positive", float("nan"))
        text = "-" if positive is None else f"{positive} ({percent:.0f}%)" if percent == percent else f"{positive}"
        cells.append(f"  {text:>10}")
    return "".join(cells)


def _status(result: ImageResult, markers: list[str]) -> str:
    if not result.ok:
        return result.error
    flags = [f"{name}: {result.summary[f'{name}_flag']}" for name in markers if result.summary.get(f"{name}_flag")]
    return "; ".join(["ok", *flags, *([str(result.params["note"])] if result.params.get("note") else [])])
