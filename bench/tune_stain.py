"""Choose the default ``min_stain`` leave-one-source-out on the annotated real sets.

    .venv/bin/python bench/tune_stain.py --data ../shared/data [--per-source 8] [--out stain.md]

Each image of every source is counted once per model and cell-size mode with
``min_stain`` 0; every detection keeps its ``stain`` (signal over the local
background in noise units).  F1 at a floor ``t`` is then exact and cheap:
the detections with stain >= ``t`` are matched again to the annotations
(one-to-one, centroids within half the image's median annotated diameter).

For each source S of a kind (nuclei / stained), the floor is chosen on the
sources of that kind from *other labs* (the best mean F1, each lab weighted
equally: the four tissue magnifications are one lab) and S is scored at that
floor: the number reported for S never saw S or its lab.  The
single default shipped is the floor chosen on all sources of the kind; the
table shows whether the per-fold choices agree with it.
"""

from __future__ import annotations

import argparse
import json
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

FLOORS = (0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 8.0)


def collect(model, pairs, mode: str) -> list[dict]:
    """Per image: annotated centroids, detected centroids with their stain, the match radius."""
    images = []
    for path, truth in pairs:
        d = median_diameter([truth])
        size = SizeSetting(d, "px") if mode == "truth" else SizeSetting.parse(mode)
        result = count_image(read_image(path), model, {"min_stain": 0.0}, size=size, keep_arrays=False)
        points = np.stack([result.cells["y"], result.cells["x"]], axis=1) if result.cells["x"].size else np.zeros((0, 2))
        images.append({"truth": centroids(truth), "pred": points, "stain": np.asarray(result.cells["stain"]),
                       "radius": max(d / 2.0, 1.0)})
    return images


def f1_at(images: list[dict], floor: float) -> float:
    matches = [match_points(im["truth"], im["pred"][im["stain"] >= floor], im["radius"]) for im in images]
    return float(aggregate(matches).f1)


def loso(table: dict[str, dict[float, float]], group: dict[str, str]) -> tuple[float, dict[str, tuple[float, float]]]:
    """The floor best on all sources, and per source (floor chosen without its lab, F1 there).

    Sources of one lab (the tissue sections at four magnifications) are one
    group: each group weighs as one source, and a held-out source's whole
    group is left out of its choice.
    """
    def best(names):
        groups = sorted({group[n] for n in names})

        def score(t):
            return np.mean([np.mean([table[n][t] for n in names if group[n] == g]) for g in groups])
        return max(FLOORS, key=lambda t: (score(t), -abs(t - 2.0)))
    names = list(table)
    folds = {}
    for held in names:
        others = [n for n in names if group[n] != group[held]] or names
        t = best(others)
        folds[held] = (t, table[held][t])
    return best(names), folds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--models", default="nuclei,cells,classical")
    parser.add_argument("--modes", default="truth,model")
    parser.add_argument("--per-source", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"no data folder {args.data}", file=sys.stderr)
        return 1
    pairs = {s.name: source_pairs(args.data, s, args.per_source, args.seed) for s in SOURCES}
    lines, record = [], {}
    for name in args.models.split(","):
        model = load_model(name, use_gpu=False, threads=2)
        for mode in args.modes.split(","):
            for kind in ("nuclei", "stained"):
                table = {}
                for source in (s for s in SOURCES if s.kind == kind and pairs[s.name]):
                    images = collect(model, pairs[source.name], mode)
                    table[source.name] = {t: f1_at(images, t) for t in FLOORS}
                    print(f"{name} {mode} {source.name}: " + " ".join(f"{t:g}:{f:.3f}" for t, f in
                                                                      table[source.name].items()),
                          file=sys.stderr, flush=True)
                chosen, folds = loso(table, {s.name: s.card_name for s in SOURCES})
                record[f"{name}/{mode}/{kind}"] = {"chosen": chosen, "folds": folds, "table": table}
                lines += [f"### {name}, size {mode}, {kind}: floor chosen on all sources {chosen:g}", "",
                          "| held-out source | F1 at 0 | floor chosen without it | F1 there |", "|---|---|---|---|"]
                lines += [f"| {s} | {table[s][0.0]:.3f} | {t:g} | {f:.3f} |" for s, (t, f) in folds.items()]
                lines += [f"| mean | {np.mean([table[s][0.0] for s in table]):.3f} | |"
                          f" {np.mean([f for _, f in folds.values()]):.3f} |", ""]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
