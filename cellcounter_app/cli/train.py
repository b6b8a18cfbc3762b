"""``cellcounter train``: train or fine-tune a model on annotated images (needs the ``train`` extra)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import CellCounterError
from ..export import check_writable


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "train", help="train or fine-tune a model on annotated images",
        description="Train a model on images with instance label images of the same stem (uint16 TIFF/PNG), "
                    "calibrate its threshold on the validation images and export it as ONNX (+ .pt weights "
                    "for further fine-tuning, + a JSON card). Needs torch: pip install torch==2.13.0 '.[train]'.")
    parser.add_argument("--images", type=Path, required=True, metavar="DIR")
    parser.add_argument("--labels", type=Path, required=True, metavar="DIR")
    val = parser.add_mutually_exclusive_group()
    val.add_argument("--val-fraction", type=float, default=0.2, metavar="F",
                     help="share of the images kept for validation (default 0.2)")
    val.add_argument("--val-images", type=Path, default=None, metavar="DIR")
    parser.add_argument("--val-labels", type=Path, default=None, metavar="DIR")
    parser.add_argument("--base", default="", metavar="MODEL",
                        help="model to fine-tune (its .pt weights must lie next to the .onnx); default: from scratch")
    parser.add_argument("--loss", default="", metavar="PRESET", help="loss preset (default: focal_tversky)")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=int, default=50, metavar="N")
    budget.add_argument("--minutes", type=float, default=0.0, metavar="M")
    parser.add_argument("--network", choices=("c-resunet", "c-resunet-small"), default="c-resunet-small")
    parser.add_argument("--width", type=int, default=16, help="channels of the first level (default 16)")
    parser.add_argument("--channels", type=int, choices=(1, 3), default=1)
    parser.add_argument("--diameter", type=float, default=0.0, metavar="PX",
                        help="cell diameter the model works at (default: the base model's, else 20)")
    parser.add_argument("--crop", type=int, default=192, metavar="PX", help="training crop side (multiple of 16)")
    parser.add_argument("--name", default="", help="model name (default: the --out file stem)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cpu", action="store_true", help="never use a GPU")
    parser.add_argument("--out", type=Path, required=True, metavar="MODEL.onnx")
    parser.add_argument("--force", action="store_true", help="overwrite an existing --out")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        from ..training.data import load_folder, split_samples
        from ..training.finetune import FineTuneRequest, FineTuneResult, finetune
        from ..training.loop import EpochReport
    except ImportError as exc:
        raise CellCounterError(f"training needs torch: pip install torch==2.13.0 '.[train]' ({exc})") from exc
    out = args.out if args.out.suffix == ".onnx" else args.out.with_suffix(".onnx")
    check_writable(out, force=args.force)
    for folder in (args.images, args.labels, args.val_images, args.val_labels):
        if folder is not None and not folder.is_dir():
            raise CellCounterError(f"{folder}: no such folder")
    samples = load_folder(args.images, args.labels, channels=args.channels)
    if args.val_images is not None:
        if args.val_labels is None:
            raise CellCounterError("--val-images needs --val-labels")
        train, val = samples, load_folder(args.val_images, args.val_labels, channels=args.channels)
        record = {"val_images": str(args.val_images)}
    else:
        train, val, record = split_samples(samples, args.val_fraction, args.seed)
    request = FineTuneRequest(
        train=tuple(train), val=tuple(val), out=out, name=args.name, base=args.base, network=args.network,
        channels=args.channels, width=args.width, loss=args.loss, epochs=args.epochs, minutes=args.minutes,
        diameter_px=args.diameter, crop_size=args.crop, seed=args.seed, device="cpu" if args.cpu else "auto",
        split_record=record,
    )
    print(f"Training on {len(train)} image(s), validating on {len(val)}", file=sys.stderr)
    for report in finetune(request):
        if isinstance(report, EpochReport):
            print(f"epoch {report.epoch}: loss {report.train_loss:.4f}  validation F1 {report.val_f1:.3f}"
                  f"{'  (best)' if report.best else ''}", file=sys.stderr)
        elif isinstance(report, FineTuneResult):
            base = "" if report.base_f1 is None else f" (base model: {report.base_f1:.3f})"
            print(f"Validation F1 {report.f1:.3f} at threshold {report.threshold:.2f}{base}")
            print(f"Wrote {report.model_path}, {report.weights_path.name} and {report.card_path.name}",
                  file=sys.stderr)
    return 0
