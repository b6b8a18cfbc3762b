"""Counts on images from other labs: every annotated real set × every model × cell-size mode.

    .venv/bin/python bench/benchmark.py --data ../shared/data [--per-source 12] [--out bench-real.md]

For each source of `_realdata.SOURCES` (one lab / acquisition), each model
(the bundled ones and ``classical``) and each cell-size mode (``default``:
what a user gets with no option; ``auto``: ``--diameter auto``; ``truth``:
each image's annotated median diameter, as if the user had typed it) it
prints F1, precision and recall of one-to-one centroid matching within half
the image's median annotated diameter, the mean percentage error of the
count (MPE; negative = too many cells) and seconds per image.

Leave-one-source-out: a row is *held out* only when the model neither
trained nor was calibrated on any image of that source (its card's
``split.by_source``); the others are marked ``seen`` and left out of the
held-out means, because a validation split of a seen source measures memory,
not generalisation.  ``classical`` has no training and is held out
everywhere.  Negative controls (blank, flat, camera noise, out of focus)
drawn in code report the cells found per image: every one is a phantom.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _realdata import SOURCES, card_for, negative_controls, seen_sources, source_pairs  # noqa: E402

from cellcounter_app.evaluation import TRUTH_SIZE, evaluate_model  # noqa: E402
from cellcounter_app.inference import load_model  # noqa: E402
from cellcounter_app.io import LoadedImage  # noqa: E402
from cellcounter_app.pipeline import count_image  # noqa: E402
from cellcounter_app.postprocess.size import DEFAULT_SIZE, SizeSetting  # noqa: E402

MODES = {"default": DEFAULT_SIZE, "model": SizeSetting(), "auto": SizeSetting(0.0, "auto"), "truth": TRUTH_SIZE}
"""``default``: what a user gets with no option (`DEFAULT_SIZE`); ``model``: the model's own scale,
never rescaled; ``auto``: ``--diameter auto``; ``truth``: each image's annotated median diameter."""


def zoomed(pairs, zoom: float, folder: Path):
    """The pairs with image and labels resized by ``zoom`` (another magnification), written to ``folder``."""
    import tifffile
    from scipy import ndimage as ndi

    from cellcounter_app.inference.rescale import resize_image
    from cellcounter_app.io import read_image

    out = []
    for path, truth in pairs:
        data = resize_image(np.asarray(read_image(path).data, dtype=np.float32), zoom)
        target = folder / f"{len(out):04d}-{path.stem}.tif"
        tifffile.imwrite(target, data)
        factors = [n / o for n, o in zip(data.shape[:2], truth.shape)]
        out.append((target, ndi.zoom(truth, factors, order=0, grid_mode=True, mode="nearest")))
    return out


def run_source(model, pairs, mode: str) -> dict:
    evaluation = None
    for _, evaluation in evaluate_model(model, pairs, size=MODES[mode]):
        pass
    row = dict(evaluation.overall)
    row["seconds"] = evaluation.seconds_per_image
    row["n_images"] = len(pairs)
    used = [r["diameter_px"] for r in evaluation.images if r["diameter_px"] is not None and r["diameter_px"] > 0]
    row["diameter_px"] = float(np.median(used)) if used else float("nan")
    row["true_diameter_px"] = float(np.median([r["true_diameter_px"] for r in evaluation.images]))
    return row


def run_controls(model, modes) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for name, data in negative_controls().items():
        image = LoadedImage(Path(f"{name}.tif"), data, ("",), None, data.dtype.itemsize * 8, "YX",
                            data.shape, False)
        found[name] = {}
        for mode in modes:
            size = MODES[mode]
            if size == TRUTH_SIZE:
                size = SizeSetting(model.meta.diameter_px or 20.0, "px")
            result = count_image(image, model, size=size, keep_arrays=False)
            found[name][mode] = int(result.summary["count"])
    return found


def markdown(results: list[dict], controls: dict, args) -> str:
    zoom = f", every image and its labels resized {args.zoom:g}x" if args.zoom != 1.0 else ""
    lines = [f"Real-data benchmark: up to {args.per_source or 'all'} images per source (seed {args.seed}{zoom}),"
             " F1 / precision / recall of centroid matching within half the image's median annotated diameter;"
             " MPE negative = too many cells; `seen` = the model trained on that source (not a generalisation"
             " number).", "",
             "| source | images | model | size | F1 | precision | recall | MPE % | diameter used / true px | s/image |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        tag = " (seen)" if r["seen"] else ""
        lines.append(f"| {r['source']} | {r['n_images']} | {r['model']}{tag} | {r['mode']} | {r['f1']:.3f} |"
                     f" {r['precision']:.3f} | {r['recall']:.3f} | {r['mpe']:+.0f} |"
                     f" {r['diameter_px']:.0f} / {r['true_diameter_px']:.0f} | {r['seconds']:.2f} |")
    lines += ["", "Held-out means (sources the model never saw, each source weighted equally):", "",
              "| model | size | nuclei F1 | nuclei sources | stained F1 | stained sources |", "|---|---|---|---|---|---|"]
    for model in dict.fromkeys(r["model"] for r in results):
        for mode in dict.fromkeys(r["mode"] for r in results):
            cells = [f"| {model} | {mode} |"]
            for kind in ("nuclei", "stained"):
                f1 = [r["f1"] for r in results if r["model"] == model and r["mode"] == mode
                      and r["kind"] == kind and not r["seen"]]
                cells.append(f" {np.mean(f1):.3f} | {len(f1)} |" if f1 else " – | 0 |")
            lines.append("".join(cells))
    if controls:
        modes = list(next(iter(next(iter(controls.values())).values())).keys())
        lines += ["", "Negative controls (512², no cell in them): cells found per image", "",
                  "| control | " + " | ".join(f"{m} {mode}" for m in controls for mode in modes) + " |",
                  "|---|" + "---|" * (len(controls) * len(modes))]
        for name in next(iter(controls.values())):
            lines.append(f"| {name} | " + " | ".join(str(controls[m][name][mode]) for m in controls
                                                      for mode in modes) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--models", default="nuclei,cells,classical")
    parser.add_argument("--modes", default="default,model,auto,truth")
    parser.add_argument("--zoom", type=float, default=1.0,
                        help="resize every image and its labels by this factor first (another magnification)")
    parser.add_argument("--sources", default="", help="comma-separated source names (default: all)")
    parser.add_argument("--per-source", type=int, default=12, help="images per source, seeded sample (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-controls", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="write the Markdown table here")
    parser.add_argument("--json", type=Path, default=None, help="write every row as JSON here")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"no data folder {args.data}: nothing to benchmark", file=sys.stderr)
        return 1
    wanted = set(filter(None, args.sources.split(",")))
    sources = [s for s in SOURCES if not wanted or s.name in wanted]
    modes = args.modes.split(",")
    results, controls = [], {}
    pairs = {s.name: source_pairs(args.data, s, args.per_source, args.seed) for s in sources}
    if args.zoom != 1.0:
        import tempfile
        scratch = Path(tempfile.mkdtemp(prefix="cc-bench-zoom-"))
        pairs = {name: zoomed(p, args.zoom, scratch) for name, p in pairs.items()}
    for name in args.models.split(","):
        model = load_model(name, use_gpu=False, threads=args.threads)
        seen = seen_sources(card_for(name))
        for source in sources:
            if not pairs[source.name]:
                continue
            for mode in modes:
                start = time.perf_counter()
                row = run_source(model, pairs[source.name], mode)
                row.update(source=source.name, kind=source.kind, model=name, mode=mode,
                           seen=source.card_name in seen)
                results.append(row)
                print(f"{source.name:<16} {name:<10} {mode:<8} F1 {row['f1']:.3f} P {row['precision']:.3f}"
                      f" R {row['recall']:.3f} MPE {row['mpe']:+.0f}% d {row['diameter_px']:.0f}/"
                      f"{row['true_diameter_px']:.0f} {row['seconds']:.2f} s/img"
                      f" ({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)
        if not args.no_controls and args.zoom == 1.0:
            controls[name] = run_controls(model, modes)
            print(f"controls {name}: {controls[name]}", file=sys.stderr, flush=True)
    text = markdown(results, controls, args)
    print(text)
    if args.out:
        args.out.write_text(text)
    if args.json:
        args.json.write_text(json.dumps({"rows": results, "controls": controls}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
