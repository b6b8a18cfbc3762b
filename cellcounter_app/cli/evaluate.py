"""``cellcounter evaluate``: score models against ground-truth label images."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import CellCounterError
from ..evaluation import (OVERALL_COLUMNS, ModelEvaluation, json_safe, evaluate_model, load_pairs,
                          write_report)
from ..inference import load_model
from ..pipeline import default_model_name
from . import options
from .progress import ProgressBar


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "evaluate", help="score models against ground-truth labels",
        description="Count IMAGES with one or more models and compare with ground-truth label images "
                    "(same stem, .tif/.png, instance labels or binary masks). Prints detection "
                    "precision/recall/F1 (centroid matching) and counting errors (MAE, MPE, R²).")
    parser.add_argument("images", nargs="+", metavar="IMAGES", help="image files or folders")
    parser.add_argument("--truth", type=Path, required=True, metavar="DIR", help="folder of label images")
    parser.add_argument("--model", action="append", default=None, metavar="NAME",
                        help="model to evaluate (repeat to compare several; default: the default model)")
    parser.add_argument("--max-distance", type=float, default=None, metavar="PX",
                        help="centroid match radius in px (default: half the median diameter of each"
                             " image's annotated cells)")
    parser.add_argument("--json", action="store_true", help="print the full report as JSON on stdout")
    parser.add_argument("--report", type=Path, default=None, metavar="DIR",
                        help="write report.json and report.md into DIR")
    parser.add_argument("--cpu", action="store_true", help="never use a GPU")
    parser.add_argument("--threads", type=int, default=None, metavar="N")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    options.add_read_options(parser)
    options.add_param_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    pairs, problems = load_pairs(options.existing_paths(args.images), args.truth)
    for problem in problems:
        print(f"note: {problem}", file=sys.stderr)
    if not pairs:
        raise CellCounterError("no image could be paired with a ground-truth label file")
    max_distance = args.max_distance
    evaluations: list[ModelEvaluation] = []
    for name in args.model or [default_model_name()]:
        model = load_model(name, use_gpu=not args.cpu, threads=args.threads)
        bar = ProgressBar(len(pairs), quiet=args.quiet or args.json)
        evaluation = None
        for done, evaluation in evaluate_model(model, pairs, max_distance=max_distance,
                                               overrides=options.param_overrides(args),
                                               read=options.read_options(args), size=args.diameter):
            bar.update(done, f"{model.meta.name}")
        bar.close()
        evaluations.append(evaluation)
    if args.report is not None:
        for path in write_report(evaluations, args.report):
            print(f"Wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(json_safe([e.to_dict() for e in evaluations]), indent=2, default=str))
    else:
        _print_table(evaluations, max_distance)
    return 0


def _print_table(evaluations: list[ModelEvaluation], max_distance: float | None) -> None:
    radius = f"{max_distance:.1f} px" if max_distance else "half of each image's median cell diameter"
    print(f"{len(evaluations[0].images)} image(s); centroid matching within {radius}")
    print(f"{'model':<16}" + "".join(f"{c:>10}" for c in OVERALL_COLUMNS) + f"{'s/image':>10}")
    for e in evaluations:
        values = [e.overall.get(c) for c in OVERALL_COLUMNS] + [e.seconds_per_image]
        print(f"{e.model.name:<16}" + "".join(
            f"{v:>10.3f}" if isinstance(v, float) else f"{v!s:>10}" for v in values))
