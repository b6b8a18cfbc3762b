"""Reproducible recipes for the bundled models: data, split, configuration.

``python -m cellcounter_app.training.build_model nuclei --data ../shared/data``
trains, calibrates, exports and evaluates one bundled model from its recipe
(see `build_model`).  No torch here: the data side only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .data import SHARED_SETS, Sample, load_shared_sets, rescale_to_diameter, split_samples
from .synthetic import generate_dataset

SAMPLE_STEMS = ("1b518cd2", "20e209f6", "4d2cff9a")
"""DSB 2018 images shipped in resources/sample/: always held out of training."""

HELD_OUT_SETS = ("nuclei-mnfinder/val/", "nuclei-stardist-sample/")
"""Whole sets never trained on: the independent test images of the model cards."""

LICENCE_NOTES = (
    "Trained on nuclei-dsb2018 (Data Science Bowl 2018 / BBBC038 with community fixes, CC0 1.0), "
    "nuclei-mnfinder (MIT licence) and, for nuclei 2.1.0, nuclei-bbbc039 (BBBC039v1, Broad Bioimage "
    "Benchmark Collection, CC0); tested on nuclei-mnfinder/val (MIT) and the StarDist sample image "
    "(BSD-3-Clause). The weights are a derived work distributed with CellCounter; the training images "
    "are not included."
)


@dataclass(frozen=True)
class Recipe:
    """Everything that defines one bundled model."""

    name: str
    version: str
    description: str
    in_channels: int
    canonical_diameter: float
    network: str = "c-resunet-small"
    n_classes: int = 1
    loss: str = "focal_tversky"
    learning_rate: float = 1e-3
    batch_size: int = 8
    crop_size: int = 192
    crops_per_image: int = 2
    minutes: float = 35.0
    val_fraction: float = 0.1
    seed: int = 0
    synthetic: tuple[dict[str, Any], ...] = ()
    """Groups of generated images: ``generate_dataset`` arguments plus ``n`` (training images) and
    ``n_val`` (validation images) each."""
    init_from: str = ""
    """Weights (``.pt``, relative to the repository) the training starts from; empty: from scratch.
    They must come from a run with the same seed and split, or validation images leak into training."""
    max_repeat: int = 1
    """Training images with many cells are drawn up to this many times per epoch (see `repeat_by_cells`)."""
    target: str = "mask"
    """What the network learns (`TrainConfig.target`): the cut cell mask or each cell's distance map."""
    zoom: tuple[float, float] = (0.7, 1.4)
    """Training crops are zoomed by a random factor in this range (`TrainConfig.zoom_min`, ``zoom_max``)."""
    p_zoom: float = 0.5
    """Share of the training crops that are zoomed."""
    patience: int = 3
    """Plateau schedule: the learning rate halves after this many epochs without a better validation F1."""
    sets: tuple[str, ...] = SHARED_SETS
    """The annotated sets of ``shared/data`` read (each split by itself: adding a set leaves the others'
    split as it was, so weights from a run on fewer sets can be continued)."""
    p_acquisition: float = 0.0
    """Share of the crops given acquisition changes (`TrainConfig.p_acquisition`: uneven background,
    photon noise, saturation)."""
    history: tuple[str, ...] = ()
    """How the ``init_from`` weights were made, stage by stage (printed in the model card): a build
    continues from them, so the recipe alone does not say how the first stages were trained."""

    def train_config(self, output_dir: Path, minutes: float | None = None) -> dict[str, Any]:
        return {
            "output_dir": str(output_dir), "network": self.network, "in_channels": self.in_channels,
            "n_classes": self.n_classes, "loss": self.loss, "learning_rate": self.learning_rate,
            "batch_size": self.batch_size, "crop_size": self.crop_size,
            "crops_per_image": self.crops_per_image, "epochs": 100_000,
            "max_minutes": self.minutes if minutes is None else minutes,
            "match_distance": self.canonical_diameter / 2, "seed": self.seed, "schedule": "plateau",
            "patience": self.patience, "target": self.target, "p_zoom": self.p_zoom, "zoom_min": self.zoom[0],
            "zoom_max": self.zoom[1], "p_acquisition": self.p_acquisition,
        }


RECIPES: dict[str, Recipe] = {
    "nuclei": Recipe(
        name="nuclei", version="2.1.0", in_channels=1, canonical_diameter=20.0,
        description="Fluorescent nuclei (DAPI, Hoechst, H2B): grey or any single stain colour.",
        n_classes=3, loss="ce_dice", zoom=(0.5, 2.0), p_zoom=0.7, batch_size=8, crops_per_image=8,
        minutes=45.0, patience=2, init_from="models/nuclei.pt", learning_rate=3e-4, max_repeat=4,
        sets=("nuclei-dsb2018", "nuclei-mnfinder", "nuclei-bbbc039", "nuclei-stardist-sample"),
        p_acquisition=0.5,
        history=(
            "1.0.0: binary output, focal Tversky loss, batch 8, zoom 0.7-1.4x, 38 min from scratch on one CPU thread.",
            "1.1.0: 1.0.0's weights, crowded images repeated (max_repeat 4), 34 min more on one CPU thread.",
            "3-class: 1.1.0's weights with a 3-class head (background / interior / boundary), loss ce_dice,"
            " batch 8, zoom 0.7-1.4x, 75 min on one CPU thread (8155 steps).",
            "2.0.0: the 3-class weights, DSB 2018 + MNFinder, batch 32, 48 crops per image, learning rate 5e-4,"
            " crops zoomed 0.5-2x, 6.5 min on an NVIDIA H200 (9164 steps): the weights 2.1.0 started from"
            " (`models/nuclei.pt` now holds 2.1.0's, so a rebuild continues from those).",
        ),
    ),
    "cells": Recipe(
        name="cells", version="1.0.0", in_channels=3, canonical_diameter=20.0,
        description="Fluorescent cell bodies in any stain colour (neurons in brain slices, cultured cells,"
                    " nuclei), grey or RGB.",
        synthetic=(
            {"n": 300, "n_val": 24, "kind": "cells", "colour": "random", "shape": (384, 384),
             "diameter_px": (14, 40)},
            {"n": 200, "n_val": 12, "kind": "mixed", "colour": "random", "shape": (256, 256),
             "diameter_px": (14, 30)},
        ),
        init_from="models/cells.pt", learning_rate=5e-4,
        history=("1.0.0: started from the binary `nuclei` 1.0.0 weights, 65 min on two CPU threads.",),
    ),
}


@dataclass
class PreparedData:
    train: list[Sample]
    val: list[Sample]
    held_out: list[Sample]
    split_record: dict[str, Any]


def is_held_out(name: str) -> bool:
    return name.startswith(HELD_OUT_SETS) or any(stem in name for stem in SAMPLE_STEMS)


def prepare(recipe: Recipe, data_root: Path) -> PreparedData:
    """Load, split and rescale the data of ``recipe`` (validation and training at the canonical size)."""
    samples = load_shared_sets(data_root, recipe.sets, channels=recipe.in_channels)
    held_out = [s for s in samples if is_held_out(s.name)]
    pool = [s for s in samples if not is_held_out(s.name)]
    train, val, record = split_samples(pool, recipe.val_fraction, recipe.seed)
    n_train = n_val = 0
    for group, spec in enumerate(recipe.synthetic):
        extra = dict(spec)
        n, n_group_val = int(extra.pop("n", 0)), int(extra.pop("n_val", 0))
        # seeds 1, 2 for the first group's training and validation images, 3, 4 for the second, ...
        train += generate_dataset(n, recipe.seed + 2 * group + 1, channels=recipe.in_channels, **extra)
        val += generate_dataset(n_group_val, recipe.seed + 2 * group + 2, channels=recipe.in_channels, **extra)
        n_train, n_val = n_train + n, n_val + n_group_val
    record = {**record, "held_out": sorted(s.name for s in held_out), "synthetic_train": n_train,
              "synthetic_val": n_val}
    d = recipe.canonical_diameter
    return PreparedData(
        train=repeat_by_cells([_canonical(s, d) for s in train], recipe.max_repeat),
        val=[_canonical(s, d) for s in val],
        held_out=held_out,
        split_record=record,
    )


def repeat_by_cells(samples: list[Sample], max_repeat: int) -> list[Sample]:
    """``samples`` with each one listed ``round(cells / median cells)`` times, 1 to ``max_repeat``.

    An epoch draws the same number of crops from every listed sample, so a
    256² image with a dozen nuclei would weigh as much as a crowded 1024²
    field: repeating the images with many cells spends the training on the
    touching, crowded nuclei that are the hard cases (the same arrays are
    listed again, nothing is copied).

    >>> from types import SimpleNamespace as S
    >>> def s(n): return S(labels=np.arange(n + 1))
    >>> [int(x.labels.max()) for x in repeat_by_cells([s(10), s(10), s(40), s(200)], 4)]
    [10, 10, 40, 40, 200, 200, 200, 200]
    """
    if max_repeat <= 1 or not samples:
        return list(samples)
    cells = np.array([len(np.unique(s.labels)) - 1 for s in samples], dtype=float)
    typical = max(float(np.median(cells)), 1.0)
    repeats = np.clip(np.round(cells / typical), 1, max_repeat).astype(int)
    return [s for s, n in zip(samples, repeats) for _ in range(n)]


def _canonical(sample: Sample, diameter: float) -> Sample:
    if not np.isfinite(sample.diameter_px) or sample.diameter_px <= 0:
        return sample
    return rescale_to_diameter(sample, diameter)
