"""Choose a network's probability threshold leave-one-lab-out on the annotated real sets.

    .venv/bin/python bench/tune_threshold.py [--models nuclei] [--per-source 8] [--out threshold.md]

A bundled model's threshold is calibrated on its validation split: images of
the labs it trained on.  Here every image of every nuclei source is counted at
the defaults (cell size ``auto``) with each threshold of ``--thresholds``,
and for each source S the threshold is the one with the best mean F1 on the
sources of the *other labs* (each lab weighted once: the four tissue
magnifications are one lab); S is scored there.  The threshold chosen on
every source is the one a build would ship; the table shows whether the
folds agree with it and what each held-out source gains or loses against the
model's own threshold.  Rows of sources the model trained on are marked
*seen* (their number is not a held-out one).

A model given as a file (``--models /tmp/run/nuclei.onnx``) is read with the
card beside it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _realdata import SOURCES, card_for, seen_sources, source_pairs  # noqa: E402

from cellcounter_app.evaluation import median_diameter  # noqa: E402
from cellcounter_app.inference import load_model  # noqa: E402
from cellcounter_app.io import read_image  # noqa: E402
from cellcounter_app.metrics import aggregate  # noqa: E402
from cellcounter_app.metrics.matching import centroids, match_points  # noqa: E402
from cellcounter_app.pipeline import count_image  # noqa: E402
from cellcounter_app.training.stain_calibration import best_floor, leave_one_out  # noqa: E402

THRESHOLDS = (0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75)


def f1_by_threshold(model, pairs, thresholds) -> dict[float, float]:
    """Micro-averaged F1 of ``pairs`` counted at the defaults with each threshold."""
    matches: dict[float, list] = {t: [] for t in thresholds}
    for path, truth in pairs:
        image = read_image(path)
        radius = max(median_diameter([truth]) / 2.0, 1.0)
        for t in thresholds:
            cells = count_image(image, model, {"threshold": t}, keep_arrays=False).cells
            points = np.stack([cells["y"], cells["x"]], axis=1) if cells["x"].size else np.zeros((0, 2))
            matches[t].append(match_points(centroids(truth), points, radius))
    return {t: float(aggregate(m).f1) for t, m in matches.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--models", default="nuclei")
    parser.add_argument("--thresholds", type=float, nargs="+", default=THRESHOLDS)
    parser.add_argument("--per-source", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"no data folder {args.data}", file=sys.stderr)
        return 1
    sources = [s for s in SOURCES if s.kind == "nuclei"]
    pairs = {s.name: source_pairs(args.data, s, args.per_source, args.seed) for s in sources}
    lines, record = [], {}
    for name in args.models.split(","):
        model = load_model(name, use_gpu=False, threads=args.threads)
        seen = seen_sources(card_for(name))
        shipped = float(model.meta.default_params().threshold)
        thresholds = sorted(set(args.thresholds) | {shipped})
        table = {}
        for source in (s for s in sources if pairs[s.name]):
            table[source.name] = f1_by_threshold(model, pairs[source.name], thresholds)
            print(f"{name} {source.name}: " + " ".join(f"{t:g}:{f:.3f}" for t, f in table[source.name].items()),
                  file=sys.stderr, flush=True)
        group = {s.name: s.card_name for s in sources if s.name in table}
        chosen = best_floor(table, group, prefer=shipped)
        folds = leave_one_out(table, group)
        unseen = [s.name for s in sources if s.name in table and s.card_name not in seen]
        record[name] = {"shipped": shipped, "chosen": chosen, "folds": folds, "table": table, "unseen": unseen}
        lines += [f"### {model.meta.name} {model.meta.version} (threshold {shipped:g}): chosen on all nuclei"
                  f" sources {chosen:g}", "",
                  f"| source | F1 at {shipped:g} | threshold chosen without its lab | F1 there |", "|---|---|---|---|"]
        for s, (t, f) in folds.items():
            mark = "" if s in unseen else " (seen)"
            lines.append(f"| {s}{mark} | {table[s][shipped]:.3f} | {t:g} | {f:.3f} |")
        if unseen:
            lines += [f"| mean of the {len(unseen)} unseen | {np.mean([table[s][shipped] for s in unseen]):.3f} |"
                      f" | {np.mean([folds[s][1] for s in unseen]):.3f} |"]
        lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
