"""Scale invariance and the automatic diameter estimate, measured on annotated images.

For each annotated image, the image and its labels are resized by 0.5×, 1×
and 2× and counted through the engine with ``--diameter auto`` and with the
true diameter (the median equivalent diameter of the resized labels); the
detection F1 (centroid matching within half the true median diameter) is
micro-averaged over the images at each scale.  The automatic estimate is
compared with the labels' median diameter on every image and scale.

    .venv/bin/python bench/eval_scale.py --model nuclei --data ../shared/data [--out scale.md]

Images: the held-out nuclei-mnfinder/val and StarDist sample images plus the
`nuclei` model's validation split of nuclei-dsb2018 / nuclei-mnfinder (read
from its model card), so none of them was trained on.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

from cellcounter_app.evaluation import load_pairs, median_diameter
from cellcounter_app.inference import load_model
from cellcounter_app.inference.rescale import resize_image
from cellcounter_app.io import LoadedImage, read_image
from cellcounter_app.metrics import MatchResult, aggregate, evaluate_labels
from cellcounter_app.pipeline import count_image
from cellcounter_app.postprocess.size import SizeSetting
from cellcounter_app.sizing import estimate_diameter

SCALES = (0.5, 1.0, 2.0)


def annotated_images(data: Path, card: Path | None, limit: int) -> list[tuple[Path, np.ndarray]]:
    pairs, _ = load_pairs([data / "nuclei-mnfinder/val/images"], data / "nuclei-mnfinder/val/labels")
    more, _ = load_pairs([data / "nuclei-stardist-sample/images"], data / "nuclei-stardist-sample/labels")
    pairs += more
    if card is not None and card.is_file():
        names = [n for n in json.loads(card.read_text())["split"]["val"] if not n.startswith("synthetic")]
        for name in names[:limit]:
            *folders, stem = name.split("/")
            folder = data.joinpath(*folders)
            image = next((folder / "images").glob(stem + ".*"), None)
            if image is not None:
                found, _ = load_pairs([image], folder / "labels")
                pairs += found
    return pairs


def resize_labels(labels: np.ndarray, scale: float) -> np.ndarray:
    shape = tuple(max(1, int(round(s * scale))) for s in labels.shape)
    factors = [o / i for o, i in zip(shape, labels.shape)]
    return ndi.zoom(labels, factors, order=0, mode="nearest", grid_mode=True)


def run(model_name: str, pairs, say) -> tuple[str, str, dict]:
    model = load_model(model_name, use_gpu=False)
    f1: dict[tuple[float, str], list[MatchResult]] = {}
    ratios: dict[float, list[float]] = {s: [] for s in SCALES}
    for path, truth in pairs:
        original = read_image(path)
        for scale in SCALES:
            data = original.data if scale == 1.0 else resize_image(original.data, scale)
            data = np.asarray(data, np.float32)
            labels = truth if scale == 1.0 else resize_labels(truth, scale)
            true_d = median_diameter([labels])
            image = LoadedImage(path, data, original.channel_names, None, original.bit_depth,
                                original.source_axes, data.shape, original.is_rgb)
            estimate = estimate_diameter(model, data)
            ratios[scale].append(estimate.diameter_px / true_d if estimate.found else float("nan"))
            for mode, size in (("true diameter", SizeSetting(true_d, "px")), ("auto", SizeSetting(0.0, "auto"))):
                result = count_image(image, model, size=size)
                row = evaluate_labels(labels, result.labels, max_distance=max(true_d / 2, 1.0))
                f1.setdefault((scale, mode), []).append(MatchResult.from_counts(row["n_true"], row["n_pred"], row["tp"]))
        say(f"{path.name}: done")
    table = ["| diameter | " + " | ".join(f"F1 at {s:g}×" for s in SCALES) + " | max − min |",
             "|---|" + "---|" * (len(SCALES) + 1)]
    summary: dict = {"f1": {}, "estimate": {}}
    for mode in ("true diameter", "auto"):
        values = [aggregate(f1[(s, mode)]).f1 for s in SCALES]
        summary["f1"][mode] = dict(zip([str(s) for s in SCALES], values))
        table.append(f"| {mode} | " + " | ".join(f"{v:.3f}" for v in values) + f" | {max(values) - min(values):.3f} |")
    est = ["| scale | images | within ±25 % | median ratio | 10th–90th percentile |", "|---|---|---|---|---|"]
    for s in SCALES:
        r = np.asarray(ratios[s], float)
        ok = np.isfinite(r) & (np.abs(r - 1) <= 0.25)
        summary["estimate"][str(s)] = {"n": int(r.size), "within_25pct": float(ok.mean()),
                                       "median_ratio": float(np.nanmedian(r))}
        est.append(f"| {s:g}× | {r.size} | {ok.mean() * 100:.0f} % | {np.nanmedian(r):.2f} | "
                   f"{np.nanpercentile(r, 10):.2f}–{np.nanpercentile(r, 90):.2f} |")
    return "\n".join(table), "\n".join(est), summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="nuclei")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--card", type=Path, default=Path("models/nuclei.json"))
    parser.add_argument("--limit", type=int, default=30, help="validation-split images to use (besides the held-out sets)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    pairs = annotated_images(args.data, args.card, args.limit)
    print(f"{len(pairs)} annotated images, scales {SCALES}", file=sys.stderr)
    f1_table, est_table, _ = run(args.model, pairs, lambda m: print(m, file=sys.stderr))
    text = (f"## Scale invariance: model `{args.model}`, {len(pairs)} images\n\n{f1_table}\n\n"
            f"## Automatic diameter estimate vs the labels' median diameter\n\n{est_table}\n\n"
            f"({time.perf_counter() - start:.0f} s)\n")
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
