"""``cellcounter fit-stain``: set a project's minimum stain from its annotated images (no training).

The command-line twin of the Stain panel's "Fit to my annotations"
(`training.stain_fit`): the project's annotated images are counted with its
model and parameters but no minimum stain, and the floor with the best F1
against the marked cells is saved as the project's ``min_stain``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import CellCounterError
from .progress import ProgressBar


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "fit-stain", help="set a project's minimum stain from its annotated images",
        description="Count the project's annotated images (imported annotations, corrected counts) with its "
                    "model and parameters but no minimum stain, and save as the project's min_stain the floor "
                    "whose count agrees best with the marked cells (F1 of centroid matching). Labs differ in "
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
    from ..training.stain_fit import FitProgress, StainFit, fit_min_stain, fit_request

    project = load_project(args.project)
    name = args.model or project.defaults.model or default_model_name()
    model = load_model(name, use_gpu=not args.cpu, threads=args.threads,
                       extra_dirs=[project_models_dir(project.folder)])
    request = fit_request(project)
    bar = ProgressBar(len(request.images), quiet=args.quiet)
    fit = None
    for report in fit_min_stain(request, model):
        if isinstance(report, FitProgress):
            bar.update(report.done, report.name)
        elif isinstance(report, StainFit):
            fit = report
    bar.close()
    if fit is None:
        raise CellCounterError("the fit stopped before it ended")
    print(f"{model.meta.name}: {fit.summary()}")
    print("min_stain  F1 on the annotated images")
    for floor, f1 in fit.table.items():
        mark = "  <- fitted" if floor == fit.min_stain else ("  (before)" if floor == fit.current else "")
        print(f"{floor:>9g}  {f1:.3f}{mark}")
    if args.dry_run or not fit.changed:
        return 0
    project.set_params({"min_stain": fit.min_stain})
    save_project(project)
    print(f"Saved min_stain {fit.min_stain:g} in {project.folder}; recount the project to apply it.")
    return 0
