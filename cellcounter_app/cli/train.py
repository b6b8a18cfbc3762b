"""``cellcounter train``: train or fine-tune a model on annotated images (needs the ``train`` extra).

Two sources of ground truth: folders of images with label images of the same
stem (``--images DIR --labels DIR --out MODEL.onnx``), or a project's
corrected and annotated images (``--project PROJECT``), whose model goes to
``PROJECT/models/<name>-v<N>.onnx``.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any, Iterator

from ..errors import CellCounterError
from ..export import check_writable

TRAIN_EXTRA = "training needs torch: pip install torch==2.13.0 '.[train]'"
FROZEN_TRAIN = ("training needs torch, which this installed build of CellCounter leaves out: "
                "install the CellCounter training build (see packaging/README.md)")


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "train", help="train or fine-tune a model on annotated images",
        description="Train a model on images with instance label images of the same stem (uint16 TIFF/PNG), "
                    "or on the corrected and annotated images of a project (--project), calibrate its threshold "
                    "on the validation images and export it as ONNX (+ .pt weights for further fine-tuning, "
                    "+ a JSON card). Needs torch: pip install torch==2.13.0 '.[train]'.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--images", type=Path, metavar="DIR", help="folder of training images (with --labels)")
    source.add_argument("--project", type=Path, metavar="PROJECT",
                        help="train on the project's corrected counts and imported annotations; the model is "
                             "written to PROJECT/models/<name>-v<N>.onnx")
    parser.add_argument("--labels", type=Path, metavar="DIR", help="label images for --images")
    val = parser.add_mutually_exclusive_group()
    val.add_argument("--val-fraction", type=float, default=0.2, metavar="F",
                     help="share of the images kept for validation (default 0.2)")
    val.add_argument("--val-images", nargs="+", default=None, metavar="X",
                     help="with --images: one folder of validation images (with --val-labels); with --project: "
                          "the project images that validate (file names, paths relative to the project, or ids)")
    parser.add_argument("--val-labels", type=Path, default=None, metavar="DIR")
    parser.add_argument("--base", default="", metavar="MODEL",
                        help="model to fine-tune (its .pt weights must lie next to the .onnx; with --project the "
                             "project's models count too); default: from scratch")
    parser.add_argument("--loss", default="", metavar="PRESET",
                        help="loss preset (default: the base model's, else focal_tversky)")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=int, default=50, metavar="N")
    budget.add_argument("--minutes", type=float, default=0.0, metavar="M")
    parser.add_argument("--network", choices=("c-resunet", "c-resunet-small"), default="c-resunet-small")
    parser.add_argument("--width", type=int, default=16, help="channels of the first level (default 16)")
    parser.add_argument("--channels", type=int, choices=(1, 3), default=1)
    parser.add_argument("--diameter", type=float, default=0.0, metavar="PX",
                        help="--images: cell diameter the model works at (default: the base model's, else 20); "
                             "--project: diameter of the cells painted at added points (default: the image's own)")
    parser.add_argument("--point-shape", choices=("disc", "gaussian"), default="disc",
                        help="--project: added points become discs of the cell diameter, or Gaussian blobs "
                             "fitted to the image (default disc)")
    parser.add_argument("--crop", type=int, default=192, metavar="PX", help="training crop side (multiple of 16)")
    parser.add_argument("--batch", type=int, default=8, metavar="N", help="crops per step (default 8)")
    parser.add_argument("--name", default="", help="model name (default: --out's stem; --project: the base "
                                                   "model's name, or 'model')")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, metavar="N", help="CPU threads for torch (default: all)")
    parser.add_argument("--cpu", action="store_true", help="never use a GPU")
    parser.add_argument("--out", type=Path, default=None, metavar="MODEL.onnx", help="the model file (--images)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing --out")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        from ..training.threads import set_threads
    except ImportError as exc:
        advice = FROZEN_TRAIN if getattr(sys, "frozen", False) else TRAIN_EXTRA
        raise CellCounterError(f"{advice} ({exc})") from exc
    set_threads(args.threads)
    return run_project(args) if args.project is not None else run_folders(args)


def run_folders(args: argparse.Namespace) -> int:
    from ..training.data import load_folder, split_samples
    from ..training.finetune import FineTuneRequest, FineTuneResult, finetune

    if args.labels is None or args.out is None:
        raise CellCounterError("--images needs --labels and --out")
    out = args.out if args.out.suffix == ".onnx" else args.out.with_suffix(".onnx")
    check_writable(out, force=args.force)
    if args.val_images is not None and len(args.val_images) != 1:
        raise CellCounterError(f"with --images, --val-images takes one folder, got {len(args.val_images)} values")
    val_dir = Path(args.val_images[0]) if args.val_images else None
    for folder in (args.images, args.labels, val_dir, args.val_labels):
        if folder is not None and not folder.is_dir():
            raise CellCounterError(f"{folder}: no such folder")
    samples = load_folder(args.images, args.labels, channels=args.channels)
    if val_dir is not None:
        if args.val_labels is None:
            raise CellCounterError("--val-images needs --val-labels")
        train, val = samples, load_folder(val_dir, args.val_labels, channels=args.channels)
        record: dict[str, Any] = {"val_images": str(val_dir)}
    else:
        train, val, record = split_samples(samples, args.val_fraction, args.seed)
    request = FineTuneRequest(
        train=tuple(train), val=tuple(val), out=out, name=args.name, base=args.base, network=args.network,
        channels=args.channels, width=args.width, loss=args.loss, epochs=args.epochs, minutes=args.minutes,
        diameter_px=args.diameter, crop_size=args.crop, batch_size=args.batch, seed=args.seed,
        device="cpu" if args.cpu else "auto", split_record=record,
    )
    print(f"Training on {len(train)} image(s), validating on {len(val)}", file=sys.stderr)
    for report in finetune(request):
        _print_epoch(report)
        if isinstance(report, FineTuneResult):
            base = "" if report.base_f1 is None else f" (base model: {report.base_f1:.3f})"
            print(f"Validation F1 {report.f1:.3f} at threshold {report.threshold:.2f}{base}")
            print(f"Wrote {report.model_path}, {report.weights_path.name} and {report.card_path.name}",
                  file=sys.stderr)
    return 0


def run_project(args: argparse.Namespace) -> int:
    from ..project import load_project
    from ..training.project_train import (
        ProjectTrainRequest, ProjectTrainResult, TrainingNotice, TrainingStarted, train_project,
    )

    for option in ("labels", "out", "val_labels"):
        if getattr(args, option) is not None:
            raise CellCounterError(f"--{option.replace('_', '-')} does not go with --project")
    project = load_project(args.project)
    val_ids = tuple(_image_id(project, value) for value in args.val_images or ())
    request = ProjectTrainRequest.from_project(
        project, base=args.base, name=args.name, val_images=val_ids, val_fraction=args.val_fraction,
        epochs=args.epochs, minutes=args.minutes, loss=args.loss, point_shape=args.point_shape,
        diameter_px=args.diameter, batch_size=args.batch, crop_size=args.crop, width=args.width, seed=args.seed,
        device="cpu" if args.cpu else "auto",
    )
    result = None
    with _cancel_on_interrupt() as cancelled:
        for report in train_project(request, cancel=cancelled):
            _print_epoch(report)
            if isinstance(report, TrainingNotice):
                print(report.message, file=sys.stderr)
            elif isinstance(report, TrainingStarted):
                print(f"Training {report.model_name} on {len(report.train_images)} image(s) "
                      f"({report.train_cells} cells), validating on {len(report.val_images)} "
                      f"({report.val_cells} cells); Ctrl+C stops and keeps the best model", file=sys.stderr)
            elif isinstance(report, ProjectTrainResult):
                result = report
    if result is None or not result.ok:
        raise CellCounterError(result.message if result is not None else "training ended without a result")
    print(result.message)
    print(f"Wrote {result.model_path} with its card {result.card_path.name}; count with "
          f"--model {result.model_path}", file=sys.stderr)
    return 0


def _print_epoch(report: object) -> None:
    from ..training.loop import EpochReport

    if isinstance(report, EpochReport) and report.epoch == 0:
        print(f"starting weights: validation F1 {report.val_f1:.3f}", file=sys.stderr)
    elif isinstance(report, EpochReport):
        print(f"epoch {report.epoch}: loss {report.train_loss:.4f}  validation F1 {report.val_f1:.3f}"
              f"{'  (best)' if report.best else ''}", file=sys.stderr)


def _image_id(project: Any, value: str) -> str:
    """The id of the project image named by ``value``: an id, a path, or a file name."""
    ids = {entry.id for entry in project.images}
    if value in ids:
        return value
    for candidate in (Path(value), project.folder / value):
        entry = project.find(candidate)
        if entry is not None:
            return entry.id
    named = [entry for entry in project.images if entry.name == value]
    if len(named) == 1:
        return named[0].id
    why = f"{len(named)} images are named {value!r}; give its path" if named else f"no image {value!r}"
    raise CellCounterError(f"--val-images: {why} in project {project.name}")


@contextlib.contextmanager
def _cancel_on_interrupt() -> Iterator[Any]:
    """A cancel flag set by the first Ctrl+C (the second one stops at once)."""
    state = {"cancelled": False}
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum: int, frame: Any) -> None:
        if state["cancelled"]:
            raise KeyboardInterrupt
        state["cancelled"] = True
        print("\nStopping after this step (Ctrl+C again to abort)...", file=sys.stderr)

    signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: state["cancelled"]
    finally:
        signal.signal(signal.SIGINT, previous)
