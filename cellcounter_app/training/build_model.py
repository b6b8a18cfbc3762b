"""Build a bundled model from its recipe: train, calibrate, export, evaluate, write the card.

Usage::

    python -m cellcounter_app.training.build_model nuclei --data ../shared/data --out models/ [--minutes 35]

Writes ``<out>/<name>.onnx``, ``<out>/<name>.pt`` (the weights, for
fine-tuning), ``<out>/<name>.json`` and ``<out>/<name>.md`` (the model card),
and keeps the checkpoints in ``<out>/.runs/<name>/``.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import logging
import platform
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from ..evaluation import TRUTH_SIZE, evaluate_model, json_safe, load_pairs
from ..inference import ModelMeta, Normalization, OnnxModel, load_model
from ..io import LoadedImage, read_image
from ..postprocess.size import SizeSetting
from .calibrate import calibrate_network, search_grid
from .checkpoint import load_checkpoint, save_checkpoint
from .checkpoint import load_model as load_checkpoint_model
from .config import TrainConfig
from .export_onnx import export_onnx
from .loop import EpochReport, FinishedReport, StepReport, train
from .model_card import write_card
from .recipes import LICENCE_NOTES, RECIPES, SAMPLE_STEMS, Recipe, prepare
from .scale_calibration import array_image, calibrate_scale
from .validate import predict_probability, validation_params

log = logging.getLogger(__name__)


ROOT = Path(__file__).resolve().parents[2]


def initial_weights(recipe: Recipe, init: Path | None) -> Path | None:
    """The weights a build starts from: ``init`` if given, else the recipe's (relative to the repository)."""
    if init is not None:
        return init
    return ROOT / recipe.init_from if recipe.init_from else None


def run_training(recipe: Recipe, data, run_dir: Path, minutes: float | None, say: Callable[[str], None],
                 init: Path | None = None, workers: int = 0):
    config = TrainConfig.from_dict(recipe.train_config(run_dir, minutes)).replace(num_workers=workers)
    finished, device = None, "cpu"
    if init is not None:
        say(f"starting from the weights in {init}")
    for report in train(config, data.train, data.val, initial_weights=init):
        if isinstance(report, StepReport) and report.step % 25 == 0:
            say(f"step {report.step} epoch {report.epoch} loss {report.loss:.4f} {report.images_per_s:.1f} img/s")
        elif isinstance(report, EpochReport):
            device = report.device
            say(f"epoch {report.epoch}: train {report.train_loss:.4f} val {report.val_loss:.4f} "
                f"F1 {report.val_f1:.3f} MAE {report.val_count_mae:.2f}{' *' if report.best else ''}")
        elif isinstance(report, FinishedReport):
            finished = report
    say(f"finished ({finished.reason}): {finished.steps} steps in {finished.seconds / 60:.1f} min, "
        f"best validation F1 {finished.best_val_f1:.3f}")
    return config, finished, device


def calibrate_on_validation(net, recipe: Recipe, data):
    """Threshold, minimum size, seed distance and border fraction (best validation F1); ``grow`` too for
    networks that find cell cores."""
    probabilities = [predict_probability(net, s.image) for s in data.val]
    truths = [s.labels for s in data.val]
    base = validation_params(recipe.canonical_diameter)
    return calibrate_network(probabilities, truths, base, net.n_classes, recipe.target,
                             max_distance=recipe.canonical_diameter / 2, **search_grid(recipe.canonical_diameter))


def evaluation_sets(data_root: Path, val_names: list[str]) -> dict[str, list]:
    """Annotated image sets for the card: the validation split (real images) and the held-out sets."""
    sets: dict[str, list] = {}
    val_pairs = []
    for name in val_names:
        if name.startswith("synthetic"):
            continue
        *folders, stem = name.split("/")
        folder = data_root.joinpath(*folders)
        image = next((folder / "images").glob(stem + ".*"), None)
        if image is not None:
            pairs, _ = load_pairs([image], folder / "labels")
            val_pairs += pairs
    sets["validation split (real images)"] = val_pairs
    mn, _ = load_pairs([data_root / "nuclei-mnfinder" / "val" / "images"], data_root / "nuclei-mnfinder" / "val" / "labels")
    sets["held out: nuclei-mnfinder/val"] = mn
    sd, _ = load_pairs([data_root / "nuclei-stardist-sample" / "images"], data_root / "nuclei-stardist-sample" / "labels")
    sets["held out: nuclei-stardist-sample"] = sd
    dsb = data_root / "nuclei-dsb2018" / "train"
    samples = [p for p in (dsb / "images").glob("*.png") if p.name[:8] in SAMPLE_STEMS]
    sets["held out: resources/sample (DSB 2018)"], _ = load_pairs(samples, dsb / "labels")
    return sets


def synthetic_set(folder: Path, n: int = 16, seed: int = 99) -> list:
    """Generated neuron-like images (RGB, random stain colours) written as files, with their labels."""
    import tifffile
    from PIL import Image

    from .synthetic import generate

    rng = np.random.default_rng(seed)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "labels").mkdir(parents=True, exist_ok=True)
    for i in range(n):
        image, labels = generate(rng, shape=(512, 512), kind="cells", colour="random", diameter_px=(14, 40))
        rgb = (np.clip(np.moveaxis(image, 0, -1), 0, 1) * 255).astype(np.uint8)
        Image.fromarray(rgb).save(folder / "images" / f"cells{i:02d}.png")
        tifffile.imwrite(folder / "labels" / f"cells{i:02d}.tif", labels.astype(np.uint16))
    pairs, _ = load_pairs([folder / "images"], folder / "labels")
    return pairs


def evaluate_all(onnx_path: Path, sets: dict[str, list], say) -> dict[str, Any]:
    """Each set through the engine: the new model and `classical`, with the diameter of the labels, estimated
    (``auto``) and assumed to be the model's own (``model``, the default of the CLI and the window)."""
    results: dict[str, Any] = {}
    models = {"model": OnnxModel(onnx_path, use_gpu=False), "classical": load_model("classical")}
    for set_name, pairs in sets.items():
        if not pairs:
            continue
        results[set_name] = {}
        for size in (TRUTH_SIZE, "auto", "model"):
            for key, model in models.items():
                evaluation = None
                setting = size if size == TRUTH_SIZE else SizeSetting.parse(size)
                for _, evaluation in evaluate_model(model, pairs, size=setting):
                    pass
                overall = {k: evaluation.overall.get(k) for k in
                           ("f1", "precision", "recall", "tp", "fp", "fn", "mae", "median_ae", "mpe", "r2")}
                overall["n_images"] = len(pairs)
                overall["seconds_per_image"] = evaluation.seconds_per_image
                results[set_name][f"{key} @ diameter {size}"] = overall
                say(f"{set_name} | {key} @ {size}: F1 {overall['f1']:.3f} MAE {overall['mae']:.2f} "
                    f"MPE {overall['mpe']:.1f}%")
    return results


def time_per_image(onnx_path: Path) -> float:
    """Seconds to count one 1200x1600 image with ~300 synthetic cells (engine, CPU, median of 3)."""
    from ..io import LoadedImage
    from ..pipeline import count_image
    from .synthetic import generate

    image, _ = generate(np.random.default_rng(7), shape=(1200, 1600), kind="nuclei", colour="grey",
                        diameter_px=(16, 24))
    data = (np.clip(image.max(axis=0), 0, 1) * 255).astype(np.uint8)
    loaded = LoadedImage(Path("bench.png"), data, ("",), None, 8, "YX", data.shape, False)
    model = OnnxModel(onnx_path, use_gpu=False, threads=2)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        count_image(loaded, model)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def finished_training(recipe: Recipe, data, run_dir: Path, minutes: float | None, say, init: Path | None,
                      skip: bool, workers: int = 0) -> tuple[dict[str, Any], dict[str, Any]]:
    """Train (or, with ``skip``, take the finished run in ``run_dir``): ``(train config, training record)``."""
    record_path = run_dir / "training.json"
    if skip:
        if not record_path.is_file():
            raise SystemExit(f"{record_path}: no finished training to continue from; run without --skip-training")
        record = json.loads(record_path.read_text())
        say(f"using the finished training in {run_dir} ({record['steps']} steps, {record['minutes']:.1f} min)")
        return record.pop("train_config"), record
    # hashed before training: the file may be replaced while a long run goes on
    started_from = None if init is None else {
        "file": init.name, "sha256": hashlib.sha256(init.read_bytes()).hexdigest()}
    config, finished, device = run_training(recipe, data, run_dir, minutes, say, init, workers)
    record = {"best_checkpoint": str(finished.best_checkpoint), "steps": finished.steps,
              "minutes": finished.seconds / 60, "stop": finished.reason,
              "best_validation_f1_at_0.5": finished.best_val_f1,
              "hardware": (f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, CPU"
                           if device.startswith("cpu") else f"{device.removeprefix('cuda: ')}, {workers} data workers"),
              "initial_weights": started_from}
    record_path.write_text(json.dumps({**record, "train_config": config.to_dict()}, indent=2))
    return config.to_dict(), record


def validation_images(data, sets: dict[str, list]) -> list[tuple[LoadedImage, np.ndarray]]:
    """The validation split as engine input: the real images read from their files, the generated ones from memory."""
    pairs = [(read_image(path), truth) for path, truth in sets.get("validation split (real images)", [])]
    for sample in data.val:
        if sample.source.startswith("synthetic"):
            image = np.moveaxis(sample.image, 0, -1)
            pairs.append((array_image(image[..., 0] if image.shape[-1] == 1 else image, sample.name), sample.labels))
    return pairs


def build(recipe: Recipe, data_root: Path, out: Path, minutes: float | None, say=print,
          init: Path | None = None, skip_training: bool = False, workers: int = 0) -> Path:
    started = time.perf_counter()
    data = prepare(recipe, data_root)
    unique = len({s.name for s in data.train})
    repeated = f" ({len(data.train)} with the crowded ones repeated)" if len(data.train) > unique else ""
    say(f"{recipe.name}: {unique} training images{repeated}, {len(data.val)} validation, "
        f"{len(data.held_out)} held-out images")
    run_dir = out / ".runs" / recipe.name
    init = initial_weights(recipe, init)
    config, training = finished_training(recipe, data, run_dir, minutes, say, init, skip_training, workers)
    best_checkpoint = Path(training.pop("best_checkpoint"))
    net = load_checkpoint_model(best_checkpoint).eval()
    cal = calibrate_on_validation(net, recipe, data)
    say(f"calibrated: threshold {cal.threshold_best_f1:.3f} (knee {cal.threshold_knee:.3f}), "
        f"min size {cal.min_size} px², grow {cal.params.grow} px, validation F1 {cal.f1:.3f}")
    meta = ModelMeta(
        name=recipe.name, version=recipe.version, description=recipe.description,
        architecture=f"{recipe.network} ({sum(p.numel() for p in net.parameters()):,} parameters)",
        input_channels=recipe.in_channels, normalization=Normalization(), diameter_px=recipe.canonical_diameter,
        postprocess=cal.params.to_dict(),
        training_data=json.dumps({"by_source": data.split_record["by_source"],
                                  "synthetic": data.split_record["synthetic_train"], "seed": recipe.seed}),
        license=LICENCE_NOTES,
        metrics={"validation_f1_canonical": cal.f1, "threshold_knee": cal.threshold_knee,
                 "trained_diameter_px": recipe.canonical_diameter},
    )
    path = out / f"{recipe.name}.onnx"
    export_onnx(net, meta, path)
    best = load_checkpoint(best_checkpoint)
    save_checkpoint(path.with_suffix(".pt"), dataclasses.replace(best, optimizer={}, scheduler=None, scaler=None))
    sets = evaluation_sets(data_root, data.split_record.get("val", []))
    scale = calibrate_scale(OnnxModel(path, use_gpu=False), validation_images(data, sets), say=say)
    say(f"size factor {scale.factor:g}: the model declares cells of {scale.diameter_px(recipe.canonical_diameter)} px")
    meta = dataclasses.replace(meta, diameter_px=scale.diameter_px(recipe.canonical_diameter),
                               metrics={**meta.metrics, "size_factor": scale.factor})
    export_onnx(net, meta, path)
    sets["held out: synthetic neurons (generated, seed 99)"] = synthetic_set(run_dir / "synthetic-test")
    results = evaluate_all(path, sets, say)
    seconds = time_per_image(path)
    headline = results.get("held out: nuclei-mnfinder/val", {}).get("model @ diameter truth", {})
    meta = ModelMeta(**{**meta.__dict__, "metrics": {**meta.metrics, "held_out_mnfinder_f1": headline.get("f1"),
                                                     "held_out_mnfinder_mpe": headline.get("mpe")}})
    export_onnx(net, meta, path)
    card = {
        "name": recipe.name, "version": recipe.version, "file": path.name, "description": recipe.description,
        "recipe": {k: v for k, v in recipe.__dict__.items()}, "train_config": config,
        "initial_weights": training.pop("initial_weights", None),
        "training": {**training, "total_minutes": (time.perf_counter() - started) / 60
                     + (training["minutes"] if skip_training else 0.0)},
        "split": data.split_record, "calibration": {
            "threshold_best_f1": cal.threshold_best_f1, "threshold_knee": cal.threshold_knee,
            "min_size": cal.min_size, "f1": cal.f1, "precision": cal.precision, "recall": cal.recall,
            "size": {"factor": scale.factor, "diameter_px": meta.diameter_px, "table": scale.table}},
        "postprocess": cal.params.to_dict(), "canonical_diameter_px": recipe.canonical_diameter,
        "evaluation": results, "seconds_per_1200x1600_image": seconds, "licence": LICENCE_NOTES,
        "command": f"python -m cellcounter_app.training.build_model {recipe.name} --data {data_root} --out {out}"
                   + (f" --minutes {minutes or config.get('max_minutes'):g}")
                   + (f" --workers {workers}" if workers else ""),
    }
    write_card(json_safe(card), out)
    say(f"wrote {path} and its card; {seconds:.2f} s per 1200x1600 image")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("recipe", choices=sorted(RECIPES))
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--out", type=Path, default=Path("models"))
    parser.add_argument("--minutes", type=float, default=None, help="training time budget (default: the recipe's)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--skip-training", action="store_true",
                        help="calibrate, export and evaluate the finished run in <out>/.runs/<name> again")
    parser.add_argument("--workers", type=int, default=0,
                        help="data-loading processes (on a GPU the crops are the bottleneck: give most CPU cores)")
    parser.add_argument("--init", type=Path, default=None,
                        help="weights (.pt) to start from instead of the recipe's (same split and seed!)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.threads:
        torch.set_num_threads(args.threads)

    def say(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    build(RECIPES[args.recipe], args.data, args.out, args.minutes, say, init=args.init,
          skip_training=args.skip_training, workers=args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
