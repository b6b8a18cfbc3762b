"""What "Fit to my annotations" gives a lab: two annotated images of its own, every other image counted better?

    .venv/bin/python bench/fit_eval.py [--data ../shared/data] [--models nuclei cells neurons]
        [--annotate 2] [--test 6] [--out fit.md]

For every real source of ``../shared/data`` (`_realdata.SOURCES`) and model,
a seeded sample of ``--annotate`` + ``--test`` images is drawn; the first
``--annotate`` are imported, with their labels, into a new project (the
window's default cell size, ``auto``) and `training.stain_fit` fits the cell
size and ``min_stain`` to them, as the Stain tab's button does; the other
images are counted three ways: at the default (what the lab gets before it
annotates anything), at each image's annotated diameter, and with the fitted
size and line.  F1 of one-to-one centroid matching within half each image's
median annotated diameter.  The fit only ever sees images of the lab it is
scored on, never the test images; a source the model trained on is marked
*seen* (its card), as in `benchmark.py`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _realdata import SOURCES, card_for, seen_sources  # noqa: E402
from finetune_eval import fit, score  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def source_files(data: Path, folders: tuple[str, ...], n: int, seed: int = 0) -> list[Path]:
    """A seeded sample of at most ``n`` images of a source that have a label image."""
    files = [p for folder in folders if (data / folder / "images").is_dir()
             for p in sorted((data / folder / "images").iterdir())
             if (p.parent.parent / "labels" / f"{p.stem}.tif").is_file()]
    order = np.random.default_rng(seed).permutation(len(files))[:n]
    return [files[i] for i in sorted(order)]


def run_source(model, files: list[Path], annotate: int, folder: Path) -> dict | None:
    """The three scores of one source (None when it has too few images)."""
    from cellcounter_app.evaluation import TRUTH_SIZE, load_pairs
    from cellcounter_app.postprocess.size import DEFAULT_SIZE
    from cellcounter_app.project import Project
    from cellcounter_app.training.annotation_store import import_annotation

    tune, test = files[:annotate], files[annotate:]
    if not tune or not test:
        return None
    project = Project(folder)
    for image_id, image in zip(project.add_images(tune), tune):
        import_annotation(project, image_id, image.parent.parent / "labels" / f"{image.stem}.tif")
    pairs, problems = [], []
    for image in test:  # a source's folders each have their own labels
        found, missing = load_pairs([image], image.parent.parent / "labels")
        pairs, problems = pairs + found, problems + missing
    if problems:
        raise SystemExit("; ".join(problems))
    fitted = fit(project, model, default=DEFAULT_SIZE.to_dict())
    return {"annotated": len(tune), "test": len(pairs), "default": score(model, pairs, DEFAULT_SIZE),
            "truth": score(model, pairs, TRUTH_SIZE), "fitted": score(model, pairs, fitted.size, fitted.min_stain),
            "size": fitted.size.to_text(), "min_stain": fitted.min_stain, "before": fitted.current}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--models", nargs="+", default=["nuclei", "cells", "neurons"])
    parser.add_argument("--sources", nargs="+", default=[s.name for s in SOURCES],
                        choices=[s.name for s in SOURCES])
    parser.add_argument("--annotate", type=int, default=2, help="annotated images per source (default 2)")
    parser.add_argument("--test", type=int, default=6, help="test images per source, at most (default 6)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="also write the table to this Markdown file")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"{args.data}: not found; give --data", file=sys.stderr)
        return 2
    from cellcounter_app.inference import load_model

    lines = ["| source | model | annotated | test images | F1 default | F1 labels' diameter "
             "| fitted: size, min_stain | F1 fitted (P / R) |", "|---|---|---|---|---|---|---|---|"]
    means: dict[str, list[tuple[float, float, float]]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.models:
            model = load_model(name, use_gpu=False, threads=args.threads)
            seen = seen_sources(card_for(name))
            for source in SOURCES:
                if source.name not in args.sources:
                    continue
                files = source_files(args.data, source.folders, args.annotate + args.test, args.seed)
                row = run_source(model, files, args.annotate, Path(scratch) / f"{name}-{source.name}")
                if row is None:
                    continue
                label = source.name + (" (seen)" if source.card_name in seen else "")
                d, t, f = row["default"], row["truth"], row["fitted"]
                lines.append(f"| {label} | {model.meta.name} | {row['annotated']} | {row['test']} | {d['f1']:.3f} "
                             f"| {t['f1']:.3f} | {row['size']}, {row['before']:g} → {row['min_stain']:g} "
                             f"| **{f['f1']:.3f}** ({f['precision']:.3f} / {f['recall']:.3f}) |")
                print(lines[-1], file=sys.stderr, flush=True)
                if source.card_name not in seen:
                    means.setdefault(model.meta.name, []).append((d["f1"], t["f1"], f["f1"]))
    lines += ["", "Mean over the sources each model never saw (default / labels' diameter / fitted):", ""]
    for name, rows in means.items():
        d, t, f = np.mean(rows, axis=0)
        lines.append(f"- {name}: {d:.3f} / {t:.3f} / {f:.3f} ({len(rows)} sources)")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out is not None:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
