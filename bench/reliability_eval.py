"""Does the reliability flag point at the counts to check?  Measured on the annotated real sets.

    .venv/bin/python bench/reliability_eval.py --data ../shared/data [--per-source 6] [--models nuclei,cells]

Every image is counted at the default settings; per model it prints, over
the sources the model never trained on, how many images are flagged
``check``, the mean F1 (centroid matching within half the median annotated
diameter) and mean |count error| of flagged and unflagged images, and which
reasons fired.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _realdata import SOURCES, seen_sources, source_pairs  # noqa: E402

from cellcounter_app.evaluation import median_diameter  # noqa: E402
from cellcounter_app.inference import load_model  # noqa: E402
from cellcounter_app.inference.registry import bundled_models_dir  # noqa: E402
from cellcounter_app.io import read_image  # noqa: E402
from cellcounter_app.metrics import evaluate_labels  # noqa: E402
from cellcounter_app.pipeline import count_image  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--models", default="nuclei,cells")
    parser.add_argument("--per-source", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"no data folder {args.data}", file=sys.stderr)
        return 1
    pairs = {s.name: source_pairs(args.data, s, args.per_source, args.seed) for s in SOURCES}
    print("| model | images | flagged | F1 flagged | F1 not flagged | abs count error flagged | not flagged | reasons |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.models.split(","):
        model = load_model(name, use_gpu=False, threads=2)
        seen = seen_sources(bundled_models_dir() / f"{name}.json")
        rows, reasons = [], Counter()
        for source in SOURCES:
            if source.card_name in seen:
                continue
            for path, truth in pairs[source.name]:
                result = count_image(read_image(path), model, keep_arrays=True)
                d = median_diameter([truth])
                score = evaluate_labels(truth, result.labels, max_distance=max(d / 2.0, 1.0))
                flagged = result.params["reliability"] == "check"
                error = abs(score["n_pred"] - score["n_true"]) / max(score["n_true"], 1)
                rows.append((flagged, score["f1"], error))
                for reason in filter(None, result.params["reliability_reasons"].split("; ")):
                    reasons[reason.split(" (")[0]] += 1
        flags = np.array([r[0] for r in rows])
        f1 = np.array([r[1] for r in rows])
        err = np.array([r[2] for r in rows])

        def mean(values):
            return f"{np.mean(values):.3f}" if values.size else "–"
        print(f"| {name} | {len(rows)} | {int(flags.sum())} | {mean(f1[flags])} | {mean(f1[~flags])} |"
              f" {mean(err[flags])} | {mean(err[~flags])} | {dict(reasons)} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
