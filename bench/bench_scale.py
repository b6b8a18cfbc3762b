"""Rescaled inference: time and F1 per 1200×1600 image with 40-px cells, with and without rescaling.

The model (default: the bundled `nuclei`, trained at 20 px) counts the same
synthetic images at the image's own scale (``--diameter model``) and resized
so the cells match its trained size (``--diameter 40px``: half the side, a
quarter of the pixels).  Both are measured in one run; the ratio is printed.

    .venv/bin/python bench/bench_scale.py [--model nuclei] [--images 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from cellcounter_app.inference import load_model
from cellcounter_app.io import LoadedImage
from cellcounter_app.metrics import MatchResult, aggregate, evaluate_labels
from cellcounter_app.pipeline import count_image
from cellcounter_app.postprocess.size import SizeSetting
from cellcounter_app.training.synthetic import generate

TARGET_SPEEDUP = 2.5


def images(n: int, seed: int = 11):
    rng = np.random.default_rng(seed)
    for i in range(n):
        image, labels = generate(rng, shape=(1200, 1600), kind="nuclei", colour="grey", diameter_px=(36, 44),
                                 density=(0.10, 0.14))
        data = (np.clip(image.max(axis=0), 0, 1) * 65535).astype(np.uint16)
        yield LoadedImage(Path(f"synthetic{i}.tif"), data, ("",), None, 16, "YX", data.shape, False), labels


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="nuclei")
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    model = load_model(args.model, use_gpu=False, threads=args.threads)
    print(f"model {model.meta.name} {model.meta.version}: trained at {model.meta.diameter_px:g} px", file=sys.stderr)
    rows = {"no rescaling (--diameter model)": SizeSetting(), "rescaled (--diameter 40px)": SizeSetting(40.0, "px")}
    times = {k: [] for k in rows}
    matches = {k: [] for k in rows}
    data = list(images(args.images))
    count_image(data[0][0], model)  # warm-up
    for image, truth in data:
        for key, size in rows.items():
            start = time.perf_counter()
            result = count_image(image, model, size=size)
            times[key].append(time.perf_counter() - start)
            row = evaluate_labels(truth, result.labels, max_distance=20.0)
            matches[key].append(MatchResult.from_counts(row["n_true"], row["n_pred"], row["tp"]))
    print(f"| 1200×1600, 40-px cells, {args.images} images, CPU {args.threads} threads | s/image (median) | F1 |")
    print("|---|---|---|")
    for key in rows:
        print(f"| {key} | {np.median(times[key]):.2f} | {aggregate(matches[key]).f1:.3f} |")
    keys = list(rows)
    speedup = np.median(times[keys[0]]) / np.median(times[keys[1]])
    f1_gain = aggregate(matches[keys[1]]).f1 - aggregate(matches[keys[0]]).f1
    verdict = "PASS" if speedup >= TARGET_SPEEDUP and f1_gain >= 0 else "FAIL"
    print(f"\nspeed-up with rescaling: {speedup:.2f}× (target ≥ {TARGET_SPEEDUP}×), "
          f"F1 change {f1_gain:+.3f} (target ≥ 0): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
