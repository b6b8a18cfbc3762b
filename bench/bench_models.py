"""Time and accuracy of each model per 1200×1600 image through the engine, all in one run.

Every model (default: the bundled ones and `classical`; ``--model`` adds ONNX
files, e.g. an earlier version to compare with) counts the same synthetic
1200×1600 images of 16–24 px nuclei three ways: at the image's own scale
(``--diameter model``), told the cells' size (``--diameter 20px``: the image is
resized so its cells match the size the model declares) and with the size
estimated (``--diameter auto``).  Prints the median seconds per image and the
detection F1 (centroid matching at half the diameter), and each model's time
relative to `classical`.

    .venv/bin/python bench/bench_models.py [--images 3] [--threads 2] [--model old.onnx ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from cellcounter_app.inference import OnnxModel, list_models, load_model
from cellcounter_app.io import LoadedImage
from cellcounter_app.metrics import MatchResult, aggregate, evaluate_labels
from cellcounter_app.pipeline import count_image
from cellcounter_app.postprocess.size import SizeSetting
from cellcounter_app.training.synthetic import generate

SIZES = ("model", "20px", "auto")


def images(n: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    for i in range(n):
        image, labels = generate(rng, shape=(1200, 1600), kind="nuclei", colour="grey", diameter_px=(16, 24))
        data = (np.clip(image.max(axis=0), 0, 1) * 255).astype(np.uint8)
        yield LoadedImage(Path(f"synthetic{i}.png"), data, ("",), None, 8, "YX", data.shape, False), labels


def measure(model, pairs, size: str) -> tuple[float, float]:
    seconds, matches = [], []
    setting = SizeSetting.parse(size)
    for image, truth in pairs:
        start = time.perf_counter()
        result = count_image(image, model, size=setting)
        seconds.append(time.perf_counter() - start)
        row = evaluate_labels(truth, result.labels, max_distance=10.0)
        matches.append(MatchResult.from_counts(row["n_true"], row["n_pred"], row["tp"]))
    return float(np.median(seconds)), aggregate(matches).f1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="ONNX Runtime threads (default 2)")
    parser.add_argument("--model", type=Path, nargs="*", default=[], help="extra ONNX files to compare")
    args = parser.parse_args(argv)
    models = {"classical": load_model("classical")}
    for info in list_models():
        if info.name != "classical" and info.source == "bundled":
            models[f"{info.name} {info.version}"] = OnnxModel(info.path, use_gpu=False, threads=args.threads)
    for path in args.model:
        extra = OnnxModel(path, use_gpu=False, threads=args.threads)
        models[f"{extra.meta.name} {extra.meta.version} ({path.name})"] = extra
    pairs = list(images(args.images))
    print(f"{len(pairs)} synthetic 1200x1600 images, nuclei 16-24 px; median seconds per image (F1)")
    print("| model | declared diameter | " + " | ".join(f"--diameter {s}" for s in SIZES) + " |")
    print("|---" * (len(SIZES) + 2) + "|")
    reference: dict[str, float] = {}
    for name, model in models.items():
        cells = []
        for size in SIZES:
            seconds, f1 = measure(model, pairs, size)
            if name == "classical":
                reference[size] = seconds
            ratio = f" = {seconds / reference[size]:.1f}× classical" if name != "classical" else ""
            cells.append(f"{seconds:.2f} s{ratio} (F1 {f1:.3f})")
        diameter = getattr(getattr(model, "meta", None), "diameter_px", 0.0) or "—"
        print(f"| {name} | {diameter} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
