"""Evaluate models against annotated images: per-image and overall metrics.

Used by ``cellcounter evaluate``, threshold calibration reports and the model
cards.  Detection is centroid matching (one-to-one, Hungarian) within
``max_distance`` px; by default half the median equivalent diameter of the
annotated objects, as in the model cards.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np
from skimage.measure import label as connected_components

from .errors import CellCounterError, ImageReadError
from .inference import Predictor
from .io import ReadOptions, find_images, read_image
from .metrics import MatchResult, aggregate, counting_metrics, evaluate_labels
from .pipeline import count_image, effective_params, model_info
from .postprocess.size import DEFAULT_SIZE, SizeSetting
from .results import ModelInfo

TRUTH_SUFFIXES = ("", "_labels", "_label", "_masks", "_mask")


@dataclass
class ModelEvaluation:
    """Metrics of one model on one annotated set."""

    model: ModelInfo
    params: dict[str, Any]
    max_distance: float
    images: list[dict[str, Any]] = field(default_factory=list)
    overall: dict[str, Any] = field(default_factory=dict)
    seconds_per_image: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": {"name": self.model.name, "version": self.model.version,
                      "sha256": self.model.sha256, "provider": self.model.provider},
            "params": self.params, "max_distance": self.max_distance,
            "seconds_per_image": self.seconds_per_image,
            "overall": self.overall, "images": self.images,
        }


def pair_truth(images: Sequence[Path], truth_dir: Path) -> tuple[list[tuple[Path, Path]], list[Path]]:
    """Pair each image with ``truth_dir/<stem><suffix>.tif|.tiff|.png``; return (pairs, unpaired)."""
    pairs, unpaired = [], []
    for image in images:
        stem = image.name.split(".")[0]
        found = next((truth_dir / f"{stem}{sfx}{ext}" for sfx in TRUTH_SUFFIXES
                      for ext in (".tif", ".tiff", ".png")
                      if (truth_dir / f"{stem}{sfx}{ext}").is_file()), None)
        if found is None:
            unpaired.append(image)
        else:
            pairs.append((image, found))
    return pairs, unpaired


def read_truth(path: Path) -> np.ndarray:
    """An instance label image; a binary mask is split into connected components."""
    data = read_image(path, ReadOptions(channel="max")).data
    if data.ndim != 2 or not np.issubdtype(data.dtype, np.integer):
        raise ImageReadError(path, "ground truth must be a 2-D integer label or mask image")
    if np.unique(data).size <= 2:
        return connected_components(data > 0).astype(np.int32)
    return data.astype(np.int32)


def median_diameter(truths: Sequence[np.ndarray]) -> float:
    """Median equivalent diameter (px) of all annotated objects."""
    areas = [np.bincount(t.ravel())[1:] for t in truths]
    flat = np.concatenate([a[a > 0] for a in areas]) if areas else np.zeros(0)
    return float(np.median(2.0 * np.sqrt(flat / np.pi))) if flat.size else 0.0


TRUTH_SIZE = "truth"
"""``size=TRUTH_SIZE``: count each image at the median diameter of its own annotations."""


def evaluate_model(
    model: Predictor,
    pairs: Sequence[tuple[Path, np.ndarray]],
    *,
    max_distance: float | None = None,
    overrides: dict[str, Any] | None = None,
    read: ReadOptions = ReadOptions(),
    size: SizeSetting | str = DEFAULT_SIZE,
    cancel: Callable[[], bool] | None = None,
) -> Iterator[tuple[int, ModelEvaluation]]:
    """Count each ``(image path, truth labels)`` pair and score it; yields ``(done, evaluation)``.

    ``max_distance`` None matches centroids within half the median diameter of
    each image's own annotations; ``size`` is a `SizeSetting` for every image,
    or ``"truth"`` for each image's annotated median diameter.
    """
    params = effective_params(model, overrides)
    size_text = size if isinstance(size, str) else size.to_text()
    evaluation = ModelEvaluation(model_info(model), {**params.to_dict(), "diameter": size_text},
                                 max_distance if max_distance is not None else float("nan"))
    matches, n_true, n_pred, seconds = [], [], [], []
    for done, (path, truth) in enumerate(pairs, start=1):
        truth_d = median_diameter([truth])
        image_size = SizeSetting(truth_d, "px") if size == TRUTH_SIZE else size
        radius = max_distance if max_distance is not None else max(truth_d / 2.0, 1.0)
        result = count_image(read_image(path, read), model, overrides, size=image_size, cancel=cancel)
        pred = result.labels
        if pred.shape != truth.shape:
            raise CellCounterError(f"{path}: truth labels are {truth.shape}, image is {pred.shape}")
        row = evaluate_labels(truth, pred, max_distance=radius)
        row = {"image": path.name, **row, "seconds": result.seconds, "max_distance": radius,
               "true_diameter_px": truth_d, "diameter_px": result.params.get("diameter_px"),
               "scale": result.params.get("scale")}
        matches.append(MatchResult.from_counts(row["n_true"], row["n_pred"], row["tp"]))
        n_true.append(int(row["n_true"]))
        n_pred.append(int(row["n_pred"]))
        seconds.append(result.seconds)
        evaluation.images.append(row)
        yield done, evaluation
    evaluation.overall = {**(aggregate(matches).to_dict() if matches else {}),
                          **(counting_metrics(n_true, n_pred) if n_true else {})}
    evaluation.seconds_per_image = float(np.mean(seconds)) if seconds else float("nan")
    yield len(pairs), evaluation


def load_pairs(images: Sequence[Path], truth_dir: Path) -> tuple[list[tuple[Path, np.ndarray]], list[str]]:
    """Find images, pair them with truth files and read the truths; returns (pairs, problems)."""
    files, skipped = find_images(images)
    paired, unpaired = pair_truth(files, Path(truth_dir))
    problems = [f"{p}: {why}" for p, why in skipped] + [f"{p}: no ground-truth file in {truth_dir}" for p in unpaired]
    out = []
    for image, truth_path in paired:
        try:
            out.append((image, read_truth(truth_path)))
        except CellCounterError as exc:
            problems.append(str(exc))
    return out, problems


def write_report(evaluations: Sequence[ModelEvaluation], folder: Path, title: str = "Evaluation") -> list[Path]:
    """``report.json`` and ``report.md`` (overall table per model, then per-image tables)."""
    from .export import atomic_write_bytes

    folder.mkdir(parents=True, exist_ok=True)
    data = {"title": title, "models": [e.to_dict() for e in evaluations]}
    json_path, md_path = folder / "report.json", folder / "report.md"
    atomic_write_bytes(json_path, json.dumps(json_safe(data), indent=2, default=_json_default).encode())
    atomic_write_bytes(md_path, markdown_report(evaluations, title).encode())
    return [json_path, md_path]


OVERALL_COLUMNS = ("f1", "precision", "recall", "tp", "fp", "fn", "mae", "median_ae", "mpe", "r2")
IMAGE_COLUMNS = ("image", "n_true", "n_pred", "f1", "precision", "recall", "iou_f1", "seg")


def markdown_report(evaluations: Sequence[ModelEvaluation], title: str) -> str:
    lines = [f"# {title}", ""]
    if evaluations:
        radius = evaluations[0].max_distance
        lines += [f"Centroid matching within {radius:.1f} px." if np.isfinite(radius) else
                  "Centroid matching within half the median annotated cell diameter of each image.", ""]
    lines += ["| model | " + " | ".join(OVERALL_COLUMNS) + " | s/image |",
              "|---" * (len(OVERALL_COLUMNS) + 2) + "|"]
    for e in evaluations:
        cells = [_fmt(e.overall.get(c)) for c in OVERALL_COLUMNS]
        lines.append(f"| {e.model.name} {e.model.version} | " + " | ".join(cells)
                     + f" | {_fmt(e.seconds_per_image)} |")
    for e in evaluations:
        lines += ["", f"## {e.model.name} per image", "",
                  "| " + " | ".join(IMAGE_COLUMNS) + " |", "|---" * len(IMAGE_COLUMNS) + "|"]
        for row in e.images:
            lines.append("| " + " | ".join(_fmt(row.get(c)) for c in IMAGE_COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (float, np.floating)):
        return "" if not np.isfinite(value) else f"{value:.3f}"
    return str(value)


def json_safe(value: Any) -> Any:
    """NaN and infinities become null, so the report is strict JSON."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return None
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
