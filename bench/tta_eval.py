"""Does test-time flip averaging pay for itself?  Held-out real sets, with and without it.

    .venv/bin/python bench/tta_eval.py [--data ../shared/data] [--models nuclei,cells] [--per-source 8]

Each model is run as shipped and wrapped so that its probability map is the
mean of the maps of the image and of its three flips (left-right, up-down,
both), which costs four network passes.  Both are scored through the engine
(`evaluation.evaluate_model`) on the same images, at the labels' diameter (the
network's own effect) and at the default size; sources a model trained on are
marked *seen* and left out of the means.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _realdata import SOURCES, seen_sources, source_pairs  # noqa: E402

from cellcounter_app.evaluation import TRUTH_SIZE, evaluate_model  # noqa: E402
from cellcounter_app.inference import load_model  # noqa: E402
from cellcounter_app.inference.registry import bundled_models_dir  # noqa: E402
from cellcounter_app.postprocess.size import DEFAULT_SIZE  # noqa: E402

FLIPS = ((), (1,), (0,), (0, 1))


class FlipAveraged:
    """A `Predictor` whose map is the mean over the flips of the image (four passes of ``model``)."""

    def __init__(self, model):
        self.model = model
        self.meta, self.provider, self.sha256, self.path = model.meta, model.provider, model.sha256, model.path

    def predict(self, image, *, on_tile=None, cancel=None):
        total = None
        for axes in FLIPS:
            flipped = np.flip(image, axes) if axes else image
            out = self.model.predict(np.ascontiguousarray(flipped), cancel=cancel)
            out = np.flip(out, axes) if axes else out
            total = out.astype(np.float32) if total is None else total + out
        if on_tile is not None:
            on_tile(1, 1)
        return total / len(FLIPS)


def score(model, pairs, size) -> tuple[float, float]:
    started = time.perf_counter()
    evaluation = None
    for _, evaluation in evaluate_model(model, pairs, size=size):
        pass
    return float(evaluation.overall["f1"]), (time.perf_counter() - started) / max(len(pairs), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--models", default="nuclei,cells")
    parser.add_argument("--per-source", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"no data folder {args.data}", file=sys.stderr)
        return 1
    lines = ["| model | source | size | F1 plain | F1 flip-averaged | s/image plain | s/image flip-averaged |",
             "|---|---|---|---|---|---|---|"]
    for name in args.models.split(","):
        model = load_model(name, use_gpu=False, threads=args.threads)
        averaged = FlipAveraged(model)
        card = bundled_models_dir() / f"{name}.json"
        seen = seen_sources(card if card.is_file() else None)
        gains: dict[str, list[float]] = {"truth": [], "default": []}
        for source in SOURCES:
            pairs = source_pairs(args.data, source, args.per_source)
            if not pairs:
                continue
            for label, size in (("truth", TRUTH_SIZE), ("default", DEFAULT_SIZE)):
                (plain, t0), (flipped, t1) = score(model, pairs, size), score(averaged, pairs, size)
                held = source.card_name not in seen
                if held:
                    gains[label].append(flipped - plain)
                lines.append(f"| {name} | {source.name}{'' if held else ' (seen)'} | {label} | {plain:.3f} |"
                             f" {flipped:.3f} | {t0:.2f} | {t1:.2f} |")
                print(lines[-1], file=sys.stderr, flush=True)
        for label, values in gains.items():
            if values:
                lines.append(f"| {name} | mean gain, {len(values)} held-out sources | {label} | | "
                             f"{np.mean(values):+.3f} | | |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
