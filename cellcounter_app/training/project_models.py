"""A project's trained models: versioned file names and model cards.

Models trained in a project live in ``<project>/models/`` as
``<name>-v<N>.onnx`` (with ``.pt`` weights, a ``.json`` card and a ``.md``
card); ``N`` only grows, so a version is never overwritten.  Find them by
name with ``inference.load_model(name, extra_dirs=[project_models_dir(folder)])``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import atomic_write_bytes
from ..errors import ParameterError
from ..inference import Predictor
from .project_eval import EngineScore

if TYPE_CHECKING:
    from .project_train import ProjectTrainRequest

MODELS_DIR = "models"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


def project_models_dir(folder: str | Path) -> Path:
    """The folder of a project's trained models."""
    return Path(folder) / MODELS_DIR


def reserve_model_path(models_dir: Path, name: str) -> tuple[Path, Path]:
    """``models_dir/<name>-v<N>.onnx`` with ``N`` one above every version there, and its reserved run folder.

    The run folder ``.<name>-v<N>-run`` is created here, so two runs never
    pick the same version.
    """
    if not NAME_PATTERN.match(name):
        raise ParameterError(f"model name must be 1-63 letters, digits, '.', '_' or '-', got {name!r}")
    models_dir.mkdir(parents=True, exist_ok=True)
    pattern = re.compile(rf"^\.?{re.escape(name)}-v(\d+)(?:\.onnx|\.pt|\.json|\.md|-run)$")
    taken = [int(m.group(1)) for p in models_dir.iterdir() if (m := pattern.match(p.name))]
    version = max(taken, default=0) + 1
    while True:
        out = models_dir / f"{name}-v{version}.onnx"
        run_dir = models_dir / f".{out.stem}-run"
        try:
            run_dir.mkdir()
        except FileExistsError:
            version += 1
            continue
        return out, run_dir


def write_project_card(card_path: Path, request: ProjectTrainRequest, base: Predictor | None,
                       new: EngineScore, reference: EngineScore, device: str) -> Path:
    """Add the project, base model, images and engine scores to the JSON card; write the Markdown card."""
    card = json.loads(card_path.read_text())
    card["train_images"] = list(dict.fromkeys(card["train_images"]))
    card["project"] = str(request.project)
    card["base"] = None if base is None else {"name": base.meta.name, "version": base.meta.version,
                                              "sha256": base.sha256, "path": str(base.path)}
    card["annotations"] = {image.name: {"kind": image.kind, "cells": image.n_cells} for image in request.images}
    card["point_shape"] = request.point_shape
    card["device"] = device
    card["evaluation"] = {
        "what": "validation images counted through the engine at the median diameter of their annotations; "
                "centroid matching within half that diameter",
        "new": new.to_dict(), "reference": reference.to_dict(),
    }
    # one base F1 in the card, the one the panel shows (the network-level check of `finetune` is kept aside)
    card["base_validation_f1_network"] = card.get("base_validation_f1")
    card["base_validation_f1"] = reference.f1
    atomic_write_bytes(card_path, json.dumps(card, indent=2, default=str).encode())
    lines = [
        f"# Model card: `{card['name']}` {card['version']}", "",
        f"Trained in project `{request.project.name}` "
        + (f"from `{base.meta.name}` {base.meta.version}" if base else "from scratch") + f" on {device or 'cpu'}.",
        "", f"- Training images ({len(card['train_images'])}): " + ", ".join(card["train_images"]),
        f"- Validation images ({len(card['val_images'])}): " + ", ".join(card["val_images"]),
        f"- {card['training']['steps']} steps in {card['training']['minutes']:.1f} min "
        f"({card['training']['stop']}); threshold {card['calibration']['threshold']:.2f}, "
        f"minimum size {card['calibration']['min_size']} px² at {card['diameter_px']:g} px cells.", "",
        "| model | F1 | precision | recall | count MAE | cells | detected |", "|---|---|---|---|---|---|---|",
    ]
    for score in (new, reference):
        lines.append(f"| {score.model} | {score.f1:.3f} | {score.precision:.3f} | {score.recall:.3f} | "
                     f"{score.count_mae:.2f} | {score.n_true} | {score.n_pred} |")
    md_path = card_path.with_suffix(".md")
    atomic_write_bytes(md_path, ("\n".join(lines) + "\n").encode())
    return card_path
