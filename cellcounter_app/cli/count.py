"""``cellcounter count``: count files and folders into an Excel workbook (and CSV, labels, overlays)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from ..cluster.address import DaskAddress, parse_address
from ..errors import CellCounterError
from ..markers import PairPattern, scored_markers
from ..markers.options import build_markers
from ..pipeline import BatchFinished, BatchStarted, CountRequest, Event, ImageCounted, count_batch
from ..results import ImageResult
from . import options
from .outputs import CANCELLED, FAILED, Stop, check_outputs, write_outputs
from .progress import ProgressBar
from .terminal import escape, finish_writing, say


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "count", help="count cells in images and folders",
        description="Count cells in image files and folders (searched recursively). Unreadable files "
                    "are recorded with their error and the batch goes on. Exit status: 0 when at least "
                    "one image was counted, 1 when none was, 2 on a usage, model or output problem, "
                    "130 when cancelled (Ctrl+C). Every output is checked before counting, and what was "
                    "counted is written however the batch ends (a partial batch beside an existing file).")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="image files and/or folders")
    parser.add_argument("--out", "-o", type=workbook_path, default=None, metavar="FILE.xlsx",
                        help="Excel workbook to write (sheets Images, Cells, Summary, Info; .xlsx is added"
                             " when missing); its folder is created when needed")
    parser.add_argument("--csv", type=Path, default=None, metavar="DIR",
                        help="also write images.csv, cells.csv and summary.csv into DIR")
    parser.add_argument("--labels", type=Path, default=None, metavar="DIR",
                        help="write a label TIFF per image (0 = background, n = cell n)")
    parser.add_argument("--overlays", type=Path, default=None, metavar="DIR",
                        help="write an overlay PNG per image (outlines and centroids)")
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.add_argument("--dask", type=_dask_address, default=None, metavar="ADDRESS",
                        help="count on a Dask cluster, one task per image: local[:N] (N worker processes on this"
                             " computer), tcp://HOST:PORT (a running scheduler) or a scheduler file; the workers"
                             " must read the images (and write --labels/--overlays) at the same paths."
                             " Needs the cluster extra; see docs/cluster.md")
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


def workbook_path(text: str) -> Path:
    """``--out``: the workbook to write, ``.xlsx`` added when missing; an empty name or a folder is refused.

    Examples
    --------
    >>> workbook_path("counts").name, workbook_path("a/counts.XLSX").name
    ('counts.xlsx', 'counts.XLSX')
    """
    if not text.strip():
        raise argparse.ArgumentTypeError("expected the name of the workbook to write (FILE.xlsx), got an empty name")
    path = Path(text).expanduser()
    if text.endswith(("/", os.sep)) or path.is_dir():
        raise argparse.ArgumentTypeError(
            f"{escape(text)} is a folder; name the workbook to write, such as {escape(str(path / 'counts.xlsx'))}")
    return path if path.suffix.lower() == ".xlsx" else path.with_name(path.name + ".xlsx")


def _dask_address(text: str) -> DaskAddress:
    try:
        return parse_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _pair_pattern(text: str) -> PairPattern:
    try:
        return PairPattern.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    """Count ``args.paths``; the outputs are written however the batch ends (done, Ctrl+C, an error)."""
    check_outputs(args)
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
        rois_dir=args.rois,
        geojson_dir=args.geojson,
        force=args.force,
        detect_channel=args.detect_channel,
        markers=build_markers(args.marker, args.positive, args.marker_measure, args.pair),
        pair=args.pair,
        marker_scope=args.positive_scope,
        keep_arrays=args.rois is not None or args.geojson is not None,
    )
    batch = _Batch(args)
    events = count_batch(request) if args.dask is None else _on_cluster(request, args.dask)
    stop, failure = Stop(), None
    try:
        for event in events:
            batch.take(event)
    except KeyboardInterrupt:
        stop = Stop(CANCELLED, batch.total)
    except Exception as exc:
        if batch.total is None:  # before the first image: the model, a parameter or an output
            raise
        stop, failure = Stop(FAILED, batch.total), exc
    with finish_writing(f"the {len(batch.results)} image(s) counted"):
        events.close()
        batch.close()
        if stop.partial:
            say(f"cellcounter: {stop.describe(len(batch.results))}; writing the images counted so far")
        written = write_outputs(args, batch.results, stop)
        _print_table(batch.results)
    if failure is not None:
        raise failure
    if stop.how == CANCELLED:
        return 130
    if not (written and batch.shapes_written):
        return 2
    return 0 if any(r.ok for r in batch.results) else 1


def _on_cluster(request: CountRequest, address: DaskAddress) -> Iterator[Event]:
    from ..cluster import count_batch_on_cluster  # dask only when asked for

    return count_batch_on_cluster(request, address)


class _Batch:
    """What ``count`` keeps of the batch events: the results, the progress bar, the total."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.results: list[ImageResult] = []
        self.total: int | None = None
        self.bar: ProgressBar | None = None
        self.shapes_written = True

    def take(self, event: object) -> None:
        if isinstance(event, BatchStarted):
            for path, reason in event.skipped:
                say(f"note: skipped {path}: {reason}")
            say(f"Counting {event.total} image(s) with model {event.model.name} "
                f"{event.model.version} on {event.model.provider}")
            self.total = event.total
            self.bar = ProgressBar(event.total, quiet=self.args.quiet)
        elif isinstance(event, ImageCounted):
            result = event.result
            self.results.append(result)
            self._write_shapes(result)
            result.labels = result.probability = None
            status = f"{result.count} cells" if result.ok else f"ERROR {result.error}"
            if self.bar is not None:
                self.bar.update(event.index + 1, f"{result.name}: {status}")
        elif isinstance(event, BatchFinished):
            self.close()

    def _write_shapes(self, result: ImageResult) -> None:
        """The ROI set and GeoJSON of one image; a failure is reported and the count kept."""
        try:
            options.shape_outputs(self.args, result)
        except (CellCounterError, OSError) as exc:
            self.shapes_written = False
            say(f"cellcounter: error: {result.name}: counted, but its ROI set or GeoJSON could not be written: "
                f"{exc}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _print_table(results: list[ImageResult]) -> None:
    if not results:
        say("No images were counted.")
        return
    names = [escape(r.name) for r in results]
    width = max(len(name) for name in names)
    markers = list(dict.fromkeys(name for r in results for name in scored_markers(r.cells)))
    heads = "".join(f"  {name + '+':>10}" for name in markers)
    lines = [f"{'image':<{width}}  {'count':>6}{heads}  status"]
    for name, r in zip(names, results):
        count = str(r.count) if r.ok else "-"
        lines.append(f"{name:<{width}}  {count:>6}{_marker_counts(r, markers)}  {_status(r, markers)}")
    ok = [r for r in results if r.ok]
    lines.append(f"{len(ok)} of {len(results)} image(s) counted, {sum(r.count for r in ok)} cells in total")
    say("\n".join(lines), sys.stdout)


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
    first = "ok"
    if result.params.get("reliability") == "check":
        first = f"check by eye: {result.params.get('reliability_reasons') or 'unsure'}"
    return "; ".join([first, *flags, *([str(result.params["note"])] if result.params.get("note") else [])])
