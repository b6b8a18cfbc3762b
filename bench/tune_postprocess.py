"""Sweep one post-processing parameter of a bundled model on its validation split.

    python bench/tune_postprocess.py --model nuclei --data ../shared/data \
        --param peak_min_distance --values 5 6 7 8 10 12

Counts the model's validation images (listed in ``models/<model>.json``,
never trained on) at each image's annotated cell diameter with every value
and prints detection F1 (centroid matching at half the median diameter),
precision, recall and MPE, so the model's default can be chosen on
validation data only; the held-out sets are scored once, for the record,
with the current default and with the best value.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def score(model, pairs, overrides):
    from cellcounter_app.evaluation import evaluate_model

    evaluation = None
    for _, evaluation in evaluate_model(model, pairs, overrides=overrides, size="truth"):
        pass
    overall = evaluation.overall
    return overall["f1"], overall["precision"], overall["recall"], overall["mpe"]


def pairs_of(data: Path, stems: list[str]):
    from cellcounter_app.evaluation import read_truth

    found = []
    for stem in stems:
        folder, name = stem.rsplit("/", 1)
        images = sorted((data / folder / "images").glob(name + ".*"))
        labels = sorted((data / folder / "labels").glob(name + ".*"))
        if images and labels:
            found.append((images[0], read_truth(labels[0])))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="nuclei")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--param", default="peak_min_distance")
    parser.add_argument("--values", type=float, nargs="+", required=True)
    args = parser.parse_args()

    from cellcounter_app.inference import load_model
    from cellcounter_app.postprocess.params import SPECS_BY_NAME

    card = json.loads((ROOT / "models" / f"{args.model}.json").read_text())
    model = load_model(args.model, use_gpu=False)
    spec = SPECS_BY_NAME[args.param]
    val = pairs_of(args.data, card["split"]["val"])
    held = pairs_of(args.data, card["split"]["held_out"])
    default = model.meta.default_params().to_dict()[args.param]
    print(f"{args.model}: {len(val)} validation images, {len(held)} held-out; {args.param} default {default}")
    print(f"| {args.param} | F1 | precision | recall | MPE |")
    print("|---|---|---|---|---|")
    best = (-1.0, default)
    for value in args.values:
        value = spec.kind(value)
        f1, precision, recall, mpe = score(model, val, {args.param: value})
        best = max(best, (f1, value))
        print(f"| {value} | {f1:.3f} | {precision:.3f} | {recall:.3f} | {mpe:+.1f} % |")
    for label, value in (("default", default), ("best on validation", best[1])):
        f1, precision, recall, mpe = score(model, held, {args.param: value})
        print(f"held-out, {label} {args.param}={value}: F1 {f1:.3f} (P {precision:.3f} / R {recall:.3f}), "
              f"MPE {mpe:+.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
