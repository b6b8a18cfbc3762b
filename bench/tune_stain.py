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

from cellcounter_app.inference import load_model  # noqa: E402
from cellcounter_app.io import read_image  # noqa: E402
from cellcounter_app.training.stain_calibration import FLOORS, best_floor, detections, f1_at, leave_one_out  # noqa: E402

def collect(model, pairs, mode: str):
    return detections(model, ((read_image(path), truth) for path, truth in pairs), mode)


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
                group = {s.name: s.card_name for s in SOURCES if s.name in table}
                chosen, folds = best_floor(table, group), leave_one_out(table, group)
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
