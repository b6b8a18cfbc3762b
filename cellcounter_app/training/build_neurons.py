"""Build the bundled ``neurons`` model, leave-one-source-out: stained somata in tissue sections.

    python -m cellcounter_app.training.build_neurons --data ../shared/data --out models \\
        [--fold-minutes 5] [--final-minutes 8] [--threads 2]

The counting rule (the annotations of DeepFLaSH and of the Fluorescent
Neuronal Cells): **a cell counts when it is clearly stained**; dim or
unstained somata, processes, debris and autofluorescent tissue do not.

The model is fine-tuned from ``cells`` on the three stained-cell sources of
``shared/data`` (DeepFLaSH c-Fos, DeepFLaSH Parvalbumin, FNC) plus generated
images that follow the same rule (somata with processes on autofluorescent
tissue, a third to two thirds of them drawn unstained and left unlabelled).
Every number the card reports for a source comes from a model that never
saw it: one fold per source trains on the other two (and the generated
images), chooses its threshold on their validation images and its
``min_stain`` on their annotated images, and is scored on the held-out
source at the default settings and at the labels' diameter.  The shipped
model then trains on all three the same way.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..evaluation import TRUTH_SIZE, evaluate_model, load_pairs
from ..inference import OnnxModel, load_model
from ..io import read_image
from ..postprocess.size import DEFAULT_SIZE
from .data import Sample, load_folder
from .finetune import FineTuneRequest, FineTuneResult, finetune
from .recalibrate import set_postprocess
from .stain_calibration import best_floor, detections, f1_at, FLOORS
from .synthetic import generate_dataset

VERSION = "1.0.0"

SOURCES: dict[str, tuple[str, ...]] = {
    "deepflash-cfos": ("neurons-deepflash/cfos", "neurons-deepflash/cfos-transfer"),
    "deepflash-parv": ("neurons-deepflash/parv",),
    "fnc": ("neurons-fnc/train",),
}
"""The stained-cells-only sources: one lab and stain each."""

SYNTHETIC = {"kind": "cells", "colour": "random", "shape": (384, 384), "diameter_px": (12.0, 48.0),
             "unstained": (0.3, 0.7)}
"""Generated images that follow the counting rule (see `synthetic.generate`)."""

RULE = ("A cell counts when it is clearly stained: dim or unstained somata, processes, debris and "
        "autofluorescent tissue do not (the rule of the DeepFLaSH and Fluorescent Neuronal Cells annotations).")

LICENCE = (
    "Fine-tuned from CellCounter's `cells` model on neurons-deepflash (DeepFLaSH, Segebarth et al. 2020, "
    "MIT licence) and neurons-fnc: four sample images of the Fluorescent Neuronal Cells dataset "
    "(Clissa, Morelli et al., 'Fluorescent Neuronal Cells', AMS Acta 2021; Morelli et al., Sci. Rep. 2021), "
    "University of Bologna, licensed CC BY-SA 4.0. Share-alike: these weights are a derived work of the FNC "
    "images and are distributed under CC BY-SA 4.0 as well (attribute the FNC authors, keep the licence); "
    "the rest of CellCounter stays MIT. The training images are not included."
)


def source_samples(data_root: Path, name: str) -> list[Sample]:
    samples = []
    for folder in SOURCES[name]:
        part = data_root / folder
        samples += load_folder(part / "images", part / "labels", channels=3, source=name,
                               name_prefix=f"{folder}/")
    return samples


def source_pairs(data_root: Path, name: str) -> list[tuple[Path, np.ndarray]]:
    pairs = []
    for folder in SOURCES[name]:
        found, _ = load_pairs([data_root / folder / "images"], data_root / folder / "labels")
        pairs += found
    return pairs


def split(samples: list[Sample], seed: int) -> tuple[list[Sample], list[Sample]]:
    """A quarter of each source's images (at least one) validate; the rest train."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for source in sorted({s.source for s in samples}):
        group = [s for s in samples if s.source == source]
        order = rng.permutation(len(group))
        n_val = max(1, len(group) // 4) if len(group) > 1 else 0
        val += [group[i] for i in order[:n_val]]
        train += [group[i] for i in order[n_val:]]
    return train, val


def train_model(sources: list[str], data_root: Path, out: Path, minutes: float, seed: int, say) -> FineTuneResult:
    real = [s for name in sources for s in source_samples(data_root, name)]
    train, val = split(real, seed)
    train += generate_dataset(120, seed + 101, channels=3, **SYNTHETIC)
    val += generate_dataset(8, seed + 102, channels=3, **SYNTHETIC)
    say(f"training on {', '.join(sources)}: {len(train)} images ({len(train) - 120} real), {len(val)} validation")
    request = FineTuneRequest(train=tuple(train), val=tuple(val), out=out, name="neurons", base="cells",
                              channels=3, minutes=minutes, epochs=10_000, seed=seed,
                              split_record={"train": sorted(s.name for s in train if not s.source.startswith("synth")),
                                            "val": sorted(s.name for s in val if not s.source.startswith("synth")),
                                            "synthetic_train": 120, "synthetic_val": 8})
    result = None
    for report in finetune(request):
        if isinstance(report, FineTuneResult):
            result = report
    say(f"  {result.finished.steps} steps in {result.finished.seconds / 60:.1f} min, validation F1 {result.f1:.3f}")
    return result


def choose_min_stain(model_path: Path, sources: list[str], data_root: Path) -> tuple[float, dict[str, dict]]:
    """The floor with the best mean F1 over ``sources`` (counted at the labels' diameter), with the table."""
    model = OnnxModel(model_path, use_gpu=False)
    table = {}
    for name in sources:
        found = detections(model, ((read_image(p), t) for p, t in source_pairs(data_root, name)))
        table[name] = {t: f1_at(found, t) for t in FLOORS}
    return best_floor(table), table


def score(model, pairs: list[tuple[Path, np.ndarray]]) -> dict[str, dict[str, float]]:
    """F1, precision, recall, MPE and seconds per image of ``model`` (a loaded model or an .onnx path)."""
    model = OnnxModel(model, use_gpu=False) if isinstance(model, Path) else model
    scores = {}
    for label, size in (("default", DEFAULT_SIZE), ("labels' diameter", TRUTH_SIZE)):
        evaluation = None
        for _, evaluation in evaluate_model(model, pairs, size=size):
            pass
        scores[label] = {k: evaluation.overall.get(k) for k in ("f1", "precision", "recall", "mpe")}
        scores[label]["seconds_per_image"] = evaluation.seconds_per_image
    return scores


def build(data_root: Path, out: Path, fold_minutes: float, final_minutes: float, seed: int = 0, say=print) -> Path:
    started = time.perf_counter()
    folds: dict[str, Any] = {}
    work = out / ".runs" / "neurons"
    work.mkdir(parents=True, exist_ok=True)
    names = list(SOURCES)
    for held in names:
        others = [n for n in names if n != held]
        fold = train_model(others, data_root, work / f"without-{held}.onnx", fold_minutes, seed, say)
        floor, table = choose_min_stain(fold.model_path, others, data_root)
        set_postprocess(fold.model_path, {"min_stain": floor}, f"best mean F1 on {', '.join(others)}")
        pairs = source_pairs(data_root, held)
        folds[held] = {"trained_on": others, "images": len(pairs), "min_stain": floor, "min_stain_table": table,
                       "validation_f1": fold.f1, "steps": fold.finished.steps,
                       "scores": score(fold.model_path, pairs),
                       "cells_scores": score(load_model("cells", use_gpu=False), pairs)}
        say(f"held out {held}: min_stain {floor:g}, " + ", ".join(
            f"{k} F1 {v['f1']:.3f} MPE {v['mpe']:+.0f}%" for k, v in folds[held]["scores"].items()))
    final = train_model(names, data_root, out / "neurons.onnx", final_minutes, seed, say)
    floor, table = choose_min_stain(final.model_path, names, data_root)
    stamp = set_version(final.model_path, VERSION)
    card = json.loads(final.card_path.read_text())
    card.update({
        "version": VERSION, "build_stamp": stamp,
        "description": "Stained somata in tissue sections (c-Fos, Parvalbumin, tracer or any stain colour): "
                       "counts only clearly stained cells.",
        "counting_rule": RULE, "licence": LICENCE,
        "leave_one_source_out": folds,
        "command": f"python -m cellcounter_app.training.build_neurons --data {data_root} --out {out} "
                   f"--fold-minutes {fold_minutes:g} --final-minutes {final_minutes:g}",
        "total_minutes": (time.perf_counter() - started) / 60,
    })
    card["min_stain_table"] = table
    final.card_path.write_text(json.dumps(card, indent=2, default=str))
    set_postprocess(final.model_path, {"min_stain": floor},
                    "best mean F1 over the three sources' annotated images (min_stain_table)")
    (out / "neurons.md").write_text(markdown(json.loads(final.card_path.read_text())))
    say(f"wrote {final.model_path} (min_stain {floor:g}) in {(time.perf_counter() - started) / 60:.0f} min")
    return final.model_path


def set_version(path: Path, version: str) -> str:
    """Give the exported model its release version (fine-tuning stamps the time); returns the stamp."""
    import onnx

    from ..atomic import atomic_write_bytes
    from ..inference.metadata import ModelMeta

    proto = onnx.load(str(path))
    props = {p.key: p.value for p in proto.metadata_props}
    meta = ModelMeta.from_props(props, path.stem)
    del proto.metadata_props[:]
    onnx.helper.set_model_props(proto, {**props, **ModelMeta(**{**meta.__dict__, "version": version}).to_props()})
    atomic_write_bytes(path, proto.SerializeToString())
    return meta.version


def markdown(card: dict[str, Any]) -> str:
    lines = [f"# Model card: `neurons` {card['version']}", "", card["description"], "",
             f"**Counting rule.** {card['counting_rule']}", "",
             "## Leave-one-source-out accuracy", "",
             "Each row: a model fine-tuned without that source (on the other two and the generated images), "
             "its `min_stain` chosen on the other two; F1 of one-to-one centroid matching within half the "
             "image's median annotated diameter; MPE negative = too many cells.", "",
             "| held-out source | images | min_stain | F1 default | MPE default | F1 labels' diameter | MPE |"
             " `cells` F1 default | `cells` F1 labels' diameter |",
             "|---|---|---|---|---|---|---|---|---|"]
    for held, fold in card["leave_one_source_out"].items():
        d, t = fold["scores"]["default"], fold["scores"]["labels' diameter"]
        c, ct = fold["cells_scores"]["default"], fold["cells_scores"]["labels' diameter"]
        lines.append(f"| {held} | {fold['images']} | {fold['min_stain']:g} |"
                     f" {d['f1']:.3f} | {d['mpe']:+.0f} % | {t['f1']:.3f} | {t['mpe']:+.0f} % |"
                     f" {c['f1']:.3f} | {ct['f1']:.3f} |")
    post = card.get("postprocess", {})
    lines += ["", "## The shipped model", "",
              f"Fine-tuned from `cells` on all three sources plus 120 generated images; "
              f"{card['training']['steps']} steps in {card['training']['minutes']:.1f} min on the CPU; "
              f"threshold {post.get('threshold')} chosen on the validation images "
              f"({len(card['val_images'])} of them, real and generated); `min_stain` {post.get('min_stain')}.",
              "", f"Rebuild: `{card['command']}`", "", "## Licence and attribution", "", card["licence"], ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("models"))
    parser.add_argument("--fold-minutes", type=float, default=5.0)
    parser.add_argument("--final-minutes", type=float, default=8.0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    build(args.data, args.out, args.fold_minutes, args.final_minutes, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
