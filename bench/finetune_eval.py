"""Does fine-tuning on a few annotated images of a lab's own set help?  Measured on held-out real images.

Two sets of images the bundled ``nuclei`` model never trained on (its card,
``models/nuclei.json``, lists its training images in ``split.train``):

* ``mnfinder``: the three MNFinder images of its validation split (used only
  to pick its checkpoint and threshold) are annotated in a project; the three
  of ``nuclei-mnfinder/val`` (``split.held_out``, never seen) are tested.
* ``dsb360``: the nine 360x360 DSB 2018 images of its validation split (one
  microscope, large touching nuclei that the model under-counts): the first
  five by name are annotated, the other four tested.
* ``fnc`` and ``deepflash`` (stained cells only): leave one FNC sample out
  of the four (train on three, score the fourth); per DeepFLaSH stain, train
  on the first two images and score the others.  The base is the ``neurons``
  model built without that source (``build_neurons``' leave-one-source-out
  fold, under ``models/.runs/neurons/``), so it never saw the lab it adapts to.

For each set the annotated images (at most five) become a project with
imported label images; ``nuclei`` is fine-tuned on them through
`training.project_train.train_project` (the training panel's path; the last
annotated image validates) for ``--minutes``; then the test images are counted
with the base and the fine-tuned model through the engine
(`evaluation.evaluate_model`: each image at the median diameter of its labels,
one-to-one centroid matching within half of it) and a table is printed.

Beside fine-tuning, two columns score the adaptation that trains nothing
(`training.stain_fit`: the Stain panel's "Fit to my annotations",
``cellcounter fit``) on the same test images with the base model: the
``min_stain`` line alone, fitted and scored at the labels' diameter (as the
base and fine-tuned columns); and what a new user gets: the project at the
window's default cell size (``auto``), the fit choosing the cell size (the
annotations' median diameter, when it counts better) and the line, the test
images counted at that size.  "base F1 at the default size" is the base
there.  ``--fit-only`` skips fine-tuning (seconds per set).

    .venv/bin/python bench/finetune_eval.py [--data ../shared/data] [--sets mnfinder dsb360 fnc deepflash]
        [--minutes 3.5] [--threads 2] [--stained-base neurons] [--fit-only]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SETS = ("mnfinder", "dsb360", "fnc", "deepflash")
STAINED = ("fnc", "deepflash")
"""Stained-cells-only sets: fine-tuned from ``--stained-base`` (default ``neurons``)."""
MAX_ANNOTATED = 5


def held_out(data: Path, card: dict, name: str) -> tuple[list[Path], list[Path]]:
    """(images to annotate and fine-tune on, images to test on) of one set, none trained on by the base."""
    split = card["split"]

    def paths(names: list[str], prefix: str) -> list[Path]:
        found = []
        for entry in names:
            if entry.startswith(prefix):
                found += sorted((data / Path(entry).parent / "images").glob(Path(entry).name + ".*"))
        return found

    if name == "mnfinder":
        return paths(split["val"], "nuclei-mnfinder/"), paths(split["held_out"], "nuclei-mnfinder/")
    square = sorted((p for p in paths(split["val"], "nuclei-dsb2018/") if Image.open(p).size == (360, 360)),
                    key=lambda p: p.name)
    return square[:MAX_ANNOTATED], square[MAX_ANNOTATED:]


def stained_folds(data: Path, name: str) -> list[tuple[str, list[Path], list[Path]]]:
    """``(row label, images to annotate, images to test)`` of a stained-cells set.

    ``fnc``: leave one image out of the four FNC samples (train on three, score the fourth), four rows.
    ``deepflash``: per stain, the first two images by name annotated, the rest of that stain tested.
    """
    def images(folder: str) -> list[Path]:
        return sorted((data / folder / "images").iterdir())

    if name == "fnc":
        files = images("neurons-fnc/train")
        return [(f"fnc, {test.stem} held out", [p for p in files if p != test], [test]) for test in files]
    folds = []
    for stain, folder in (("c-Fos", "neurons-deepflash/cfos"), ("Parvalbumin", "neurons-deepflash/parv")):
        files = images(folder)
        folds.append((f"deepflash {stain}", files[:2], files[2:]))
    return folds


def label_path(image: Path) -> Path:
    return image.parent.parent / "labels" / f"{image.stem}.tif"


FOLD_SOURCE = {"fnc": "fnc", "deepflash c-Fos": "deepflash-cfos", "deepflash Parvalbumin": "deepflash-parv"}
"""The leave-one-source-out fold of `training.build_neurons` whose model never saw the set of a row."""


def stained_base(args: argparse.Namespace, label: str) -> str:
    """``--stained-base``, or with ``fold`` the neurons model built without this row's source (else ``cells``)."""
    if args.stained_base != "fold":
        return args.stained_base
    source = FOLD_SOURCE[label.split(",")[0]]
    fold = ROOT / "models" / ".runs" / "neurons" / f"without-{source}.onnx"
    return str(fold) if fold.is_file() and fold.with_suffix(".pt").is_file() else "cells"


def run_set(name: str, tune: list[Path], test: list[Path], args: argparse.Namespace, folder: Path) -> dict:
    from cellcounter_app.evaluation import TRUTH_SIZE, load_pairs
    from cellcounter_app.inference import load_model
    from cellcounter_app.postprocess.size import DEFAULT_SIZE
    from cellcounter_app.project import Project, save_project
    from cellcounter_app.training.annotation_store import import_annotation
    from cellcounter_app.training.loop import EpochReport
    from cellcounter_app.training.project_train import ProjectTrainRequest, ProjectTrainResult, train_project

    project = Project(folder)
    ids = project.add_images(tune)
    for image_id, image in zip(ids, tune):
        import_annotation(project, image_id, label_path(image))
    save_project(project)
    base = stained_base(args, name) if name.split(",")[0].split()[0] in STAINED else args.base
    pairs, problems = load_pairs(test, test[0].parent.parent / "labels")
    if problems:
        raise SystemExit(f"{name}: " + "; ".join(problems))
    model = load_model(base, use_gpu=False, threads=args.threads)
    start_size = dict(project.defaults.size)
    scores = {"base": score(model, pairs, TRUTH_SIZE), "base_default": score(model, pairs, DEFAULT_SIZE)}
    # the fit as a new user gets it: the project at its default cell size, the fit chooses size and line
    fitted = fit(project, model, default=DEFAULT_SIZE.to_dict())  # what a new project in the window starts with
    scores["fitted"] = score(model, pairs, fitted.size, fitted.min_stain)
    # the line alone, fitted and scored at the labels' diameter (as the base and fine-tuned columns)
    line = fit(project, model, diameter_of(tune))
    scores["line"] = score(model, pairs, TRUTH_SIZE, line.min_stain)
    row = {"set": f"{name} (from {Path(base).stem})", "tune": len(tune), "test": len(test),
           "cells": scores["base"]["tp"] + scores["base"]["fn"], **scores,
           "floor": (line.current, line.min_stain), "fit": (fitted.size.to_text(), fitted.min_stain)}
    if args.fit_only:
        return row
    project.set_defaults(size=start_size)  # fine-tuning sees the project as it was before the fits
    request = ProjectTrainRequest.from_project(project, base=base, minutes=args.minutes, epochs=100_000,
                                               val_images=(ids[-1],), device="cpu", seed=args.seed)
    started = time.perf_counter()
    result = None
    for report in train_project(request):
        if isinstance(report, ProjectTrainResult):
            result = report
        elif isinstance(report, EpochReport):
            # on stderr: whether any epoch beat the base (epoch 0) on the validation image
            print(f"{name}: epoch {report.epoch} step {report.step} validation F1 {report.val_f1:.3f}"
                  f"{' (best)' if report.best else ''}", file=sys.stderr, flush=True)
    minutes = (time.perf_counter() - started) / 60.0
    if result is None or not result.ok:
        raise SystemExit(f"{name}: fine-tuning failed: {result.message if result else 'no result'}")
    tuned = load_model(str(result.model_path), use_gpu=False, threads=args.threads)
    return {**row, "tuned": score(tuned, pairs, TRUTH_SIZE), "steps": result.steps, "stop": result.stop,
            "minutes": minutes, "val_f1": (result.base_f1, result.f1)}


def score(model, pairs, size, min_stain: float | None = None) -> dict:
    from cellcounter_app.evaluation import evaluate_model

    overrides = {"min_stain": min_stain} if min_stain is not None else None
    *_, (_, evaluation) = evaluate_model(model, pairs, size=size, overrides=overrides)
    return evaluation.overall


def diameter_of(images: list[Path]) -> float:
    """The median over ``images`` of each one's median annotated diameter."""
    import numpy as np

    from cellcounter_app.evaluation import load_pairs, median_diameter

    pairs, _ = load_pairs(images, images[0].parent.parent / "labels")
    return float(np.median([median_diameter([truth]) for _, truth in pairs]))


def fit(project, model, diameter: float | None = None, default: dict | None = None):
    """`training.stain_fit` on the annotated images of ``project``: at the cell size ``default`` (a new
    project's; the fit may choose the annotations' own), or with it set to ``diameter`` px (the line alone)."""
    from cellcounter_app.postprocess.size import SizeSetting
    from cellcounter_app.training.stain_fit import AnnotationFit, fit_request, fit_to_annotations

    project.set_defaults(size=SizeSetting(diameter, "px").to_dict() if diameter else default)
    request = dataclasses.replace(fit_request(project), fit_size=diameter is None)
    found = list(fit_to_annotations(request, model))[-1]
    assert isinstance(found, AnnotationFit)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    parser.add_argument("--base", default="nuclei")
    parser.add_argument("--stained-base", default="fold",
                        help="base model of the stained-cells sets; 'fold' (default): the neurons model of"
                             " python -m cellcounter_app.training.build_neurons built without that source")
    parser.add_argument("--minutes", type=float, default=3.5, help="fine-tuning time budget per set (default 3.5)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads, 1-4 (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fit-only", action="store_true",
                        help="no fine-tuning: the base and the fitted size and line only (seconds per set)")
    args = parser.parse_args(argv)
    if not 1 <= args.threads <= 4:
        parser.error(f"--threads must be between 1 and 4, got {args.threads}")
    if not args.data.is_dir():
        print(f"{args.data}: not found; give --data", file=sys.stderr)
        return 2

    from cellcounter_app.training.threads import set_threads

    set_threads(args.threads)
    card = json.loads((ROOT / "models" / f"{args.base}.json").read_text())
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.sets:
            folds = stained_folds(args.data, name) if name in STAINED else [(name, *held_out(args.data, card, name))]
            for index, (label, tune, test) in enumerate(folds):
                if not tune or not test:
                    print(f"{label}: no held-out images found in {args.data}", file=sys.stderr)
                    return 2
                rows.append(run_set(label, tune, test, args, Path(scratch) / f"{name}-{index}"))
    def f1(score: dict) -> str:
        return f"{score['f1']:.3f} ({score['precision']:.3f} / {score['recall']:.3f})"

    print("| set | annotated images (train + val) | test images (cells) | base F1 at the default size "
          "| base F1 (P / R) "
          "| line fitted, no training: min_stain, F1 (P / R) | size and line fitted from the default size: F1 (P / R) "
          "| fine-tuned F1 (P / R) | count MAE base → tuned | val-image F1 base → tuned | steps | minutes | threads |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        b = r["base"]
        tuned = (f"| {f1(r['tuned'])} | {b['mae']:.1f} → {r['tuned']['mae']:.1f} "
                 f"| {r['val_f1'][0]:.3f} → {r['val_f1'][1]:.3f} | {r['steps']} ({r['stop']}) | {r['minutes']:.1f} "
                 if "tuned" in r else "| – | – | – | – | – ")
        print(f"| {r['set']} | {r['tune']} ({r['tune'] - 1} + 1) | {r['test']} ({r['cells']}) "
              f"| {r['base_default']['f1']:.3f} | {f1(b)} "
              f"| {r['floor'][0]:g} → {r['floor'][1]:g}: {f1(r['line'])} "
              f"| {r['fit'][0]}, {r['fit'][1]:g}: {f1(r['fitted'])} {tuned}| {args.threads} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
