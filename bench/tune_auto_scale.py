"""Choose when ``auto`` rescales an image, leave-one-lab-out on the annotated real sets.

    .venv/bin/python bench/tune_auto_scale.py --data ../shared/data [--per-source 8] [--out auto.md]

With ``--diameter auto`` (the default) each image's cell size is estimated,
and the image is rescaled to the model's size only when the estimate is sure
(confidence >= ``min confidence``) and more than ``beyond`` times off the
model's diameter (`cellcounter_app.size_decision.auto_scale`).  Both were set a
priori.  Every image is therefore counted twice, at the model's own scale and
at its estimated size, so the F1 of any rule is exact and cheap: for each
image the rule picks one of the two counts.

For each source S the rule is chosen on the sources of the same kind from
*other labs* (best mean F1, each lab weighted equally: the four tissue
magnifications are one lab) and S is scored with that rule, next to the
shipped rule and to counting at the labels' diameter.  The rule chosen on all
sources is printed last.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _realdata import SOURCES, source_pairs  # noqa: E402

from cellcounter_app.evaluation import median_diameter  # noqa: E402
from cellcounter_app.inference import load_model  # noqa: E402
from cellcounter_app.io import read_image  # noqa: E402
from cellcounter_app.metrics import aggregate  # noqa: E402
from cellcounter_app.metrics.matching import centroids, match_points  # noqa: E402
from cellcounter_app.pipeline import count_image  # noqa: E402
from cellcounter_app.postprocess.size import SizeSetting  # noqa: E402
from cellcounter_app.size_decision import AUTO_MIN_CONFIDENCE, AUTO_RESCALE_BEYOND  # noqa: E402
from cellcounter_app.sizing import estimate_diameter  # noqa: E402
from cellcounter_app.training.stain_calibration import best_floor  # noqa: E402

BEYOND = (1.0, 1.1, 1.2, 1.3, 1.5, 2.0, math.inf)
CONFIDENCE = (0.0, 0.25, 0.5, 0.75)
RULES = [(b, c) for b in BEYOND for c in CONFIDENCE]
SHIPPED = RULES.index((AUTO_RESCALE_BEYOND, AUTO_MIN_CONFIDENCE))


def score(model, image, truth, setting):
    d = median_diameter([truth])
    cells = count_image(image, model, size=setting, keep_arrays=False).cells
    points = np.stack([cells["y"], cells["x"]], axis=1) if cells["x"].size else np.zeros((0, 2))
    return match_points(centroids(truth), points, max(d / 2.0, 1.0))


def collect(model, pairs):
    """Per image: (estimate px, confidence, match at the model's scale, at the estimate, at the labels' size)."""
    rows = []
    for path, truth in pairs:
        image = read_image(path)
        estimate = estimate_diameter(model, image.data)
        native = score(model, image, truth, SizeSetting.parse("model"))
        found = estimate.found and math.isfinite(estimate.diameter_px)
        sized = score(model, image, truth, SizeSetting(estimate.diameter_px, "px")) if found else native
        truth_d = score(model, image, truth, SizeSetting(median_diameter([truth]), "px"))
        rows.append((estimate.diameter_px if found else math.nan, estimate.confidence, native, sized, truth_d))
    return rows


def rule_f1(rows, model_d: float, rule: tuple[float, float]) -> float:
    beyond, confidence = rule
    picked = []
    for d, c, native, sized, _ in rows:
        rescale = math.isfinite(d) and c >= confidence and abs(math.log(d / model_d)) > math.log(beyond)
        picked.append(sized if rescale else native)
    return float(aggregate(picked).f1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--models", default="nuclei,cells,classical")
    parser.add_argument("--per-source", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"no data folder {args.data}", file=sys.stderr)
        return 1
    pairs = {s.name: source_pairs(args.data, s, args.per_source, args.seed) for s in SOURCES}
    lines = [f"Rules: rescale when the estimate is at least *confidence* sure and more than *beyond* x off the"
             f" model's diameter. Shipped: beyond {AUTO_RESCALE_BEYOND:g}, confidence {AUTO_MIN_CONFIDENCE:g}.", ""]
    for name in args.models.split(","):
        model = load_model(name, use_gpu=False, threads=2)
        model_d = model.meta.diameter_px or 20.0
        for kind in ("nuclei", "stained"):
            table, truth_f1 = {}, {}
            for source in (s for s in SOURCES if s.kind == kind and pairs[s.name]):
                rows = collect(model, pairs[source.name])
                table[source.name] = {float(i): rule_f1(rows, model_d, rule) for i, rule in enumerate(RULES)}
                truth_f1[source.name] = float(aggregate([r[4] for r in rows]).f1)
                print(f"{name} {source.name}: shipped {table[source.name][SHIPPED]:.3f}, always"
                      f" {table[source.name][0.0]:.3f}, truth {truth_f1[source.name]:.3f}", file=sys.stderr, flush=True)
            group = {s.name: s.card_name for s in SOURCES if s.name in table}
            chosen = RULES[int(best_floor(table, group, prefer=SHIPPED))]
            folds = {}
            for held in table:  # ties go to the shipped rule
                others = {n: row for n, row in table.items() if group[n] != group[held]} or dict(table)
                key = best_floor(others, group, prefer=SHIPPED)
                folds[held] = (key, table[held][key])
            lines += [f"### {name}, {kind}: rule chosen on all sources: beyond {chosen[0]:g}, confidence"
                      f" {chosen[1]:g}", "",
                      "| held-out source | shipped rule | rule chosen without its lab | F1 there | labels' diameter |",
                      "|---|---|---|---|---|"]
            for source, (key, f1) in folds.items():
                beyond, confidence = RULES[int(key)]
                lines.append(f"| {source} | {table[source][SHIPPED]:.3f} | beyond {beyond:g}, confidence"
                             f" {confidence:g} | {f1:.3f} | {truth_f1[source]:.3f} |")
            lines += [f"| mean | {np.mean([table[s][SHIPPED] for s in table]):.3f} | |"
                      f" {np.mean([f for _, f in folds.values()]):.3f} | {np.mean(list(truth_f1.values())):.3f} |",
                      ""]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
