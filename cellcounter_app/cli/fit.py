"""``cellcounter fit``: set a project's minimum stain (and cell size) from its annotated images (no training).

The command-line twin of the Stain panel's "Fit to my annotations"
(`training.stain_fit`): the project's annotated images are counted with its
model and parameters but no minimum stain, and the floor with the best F1
against the marked cells is saved as the project's ``min_stain``; where the
annotations outline cells, their median diameter becomes the project's cell
size when it agrees better with them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import CellCounterError
from .progress import ProgressBar


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "fit", help="set a project's minimum stain and cell size from its annotated images",
        description="Count the project's annotated images (imported annotations, corrected counts) with its "
                    "model and parameters but no minimum stain, and save as the project's min_stain the floor "
                    "whose count agrees best with the marked cells (F1 of centroid matching); outlined cells also "
                    "set the cell diameter when their median size agrees better. Labs differ in "
                    "what they call clearly stained; this teaches the count your rule in seconds, with no "
                    "training.")
    parser.add_argument("project", type=Path, metavar="PROJECT", help="the project folder")
    parser.add_argument("--model", default="", metavar="NAME",
                        help="count with this model (default: the project's)")
    parser.add_argument("--dry-run", action="store_true", help="print the fit, leave the project as it is")
    parser.add_argument("--cpu", action="store_true", help="never use a GPU")
    parser.add_argument("--threads", type=int, default=None, metavar="N")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..inference import load_model
    from ..pipeline import default_model_name
    from ..project import load_project, save_project
    from ..training.project_models import project_models_dir
    from ..training.stain_fit import FitProgress, AnnotationFit, fit_to_annotations, fit_request

    project = load_project(args.project)
    name = args.model or project.defaults.model or default_model_name()
    model = load_model(name, use_gpu=not args.cpu, threads=args.threads,
                       extra_dirs=[project_models_dir(project.folder)])
    request = fit_request(project)
    bar: ProgressBar | None = None
    fit = None
    for report in fit_to_annotations(request, model):
        if isinstance(report, FitProgress):
            if bar is None or bar.total != report.total:  # the counts to make are known once the images are read
                if bar is not None:
                    bar.close()
                bar = ProgressBar(report.total, quiet=args.quiet)
            bar.update(report.done, report.name)
        elif isinstance(report, AnnotationFit):
            fit = report
    if bar is not None:
        bar.close()
    if fit is None:
        raise CellCounterError("the fit stopped before it ended")
    print(f"{model.meta.name}: {fit.summary()}")
    print(f"min_stain  F1 on the annotated images (cell size {fit.size.to_text()})")
    for floor, f1 in fit.table.items():
        mark = "  <- fitted" if floor == fit.min_stain else ("  (before)" if floor == fit.current else "")
        print(f"{floor:>9g}  {f1:.3f}{mark}")
    if len(fit.sizes) > 1:
        print("cell size tried: " + ", ".join(f"{text} F1 {f1:.3f}" for text, f1 in fit.sizes.items()))
    if args.dry_run or not (fit.changed or fit.size_changed):
        return 0
    if fit.size_changed:
        project.set_defaults(size=fit.size.to_dict())
    if fit.changed:
        project.set_params({"min_stain": fit.min_stain})
    save_project(project)
    saved = [f"cell diameter {fit.size.to_text()}"] * fit.size_changed + [f"min_stain {fit.min_stain:g}"] * fit.changed
    print(f"Saved {' and '.join(saved)} in {project.folder}; recount the project to apply it.")
    return 0
