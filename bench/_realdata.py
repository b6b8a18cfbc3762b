"""The annotated real sets of ``../shared/data`` as benchmark sources, and the negative controls.

A *source* is one lab / acquisition: its images share a microscope, a stain
and a cell size, so a model that trained on some of its images has seen it
even when the images scored were held back.  The leave-one-source-out rule
of the benchmark is stated per source: `seen_sources` reads, from a model's
card, which sources it trained or was calibrated on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

from cellcounter_app.evaluation import load_pairs


@dataclass(frozen=True)
class Source:
    """One benchmark source: folders of ``images``/``labels`` under the data root."""

    name: str
    kind: str
    """``nuclei`` (every nucleus annotated) or ``stained`` (only clearly stained cells annotated)."""
    folders: tuple[str, ...]
    card_name: str
    """The set name model cards use in ``split.by_source``."""


SOURCES: tuple[Source, ...] = (
    Source("dsb2018", "nuclei", ("nuclei-dsb2018/train",), "nuclei-dsb2018"),
    Source("mnfinder", "nuclei", ("nuclei-mnfinder/train", "nuclei-mnfinder/val"), "nuclei-mnfinder"),
    Source("bbbc039", "nuclei", ("nuclei-bbbc039/train",), "nuclei-bbbc039"),
    Source("tissue-20x", "nuclei", ("nuclei-tissue-bitdepth/20x",), "nuclei-tissue-bitdepth"),
    Source("tissue-40x-air", "nuclei", ("nuclei-tissue-bitdepth/40x-air",), "nuclei-tissue-bitdepth"),
    Source("tissue-40x-oil", "nuclei", ("nuclei-tissue-bitdepth/40x-oil",), "nuclei-tissue-bitdepth"),
    Source("tissue-63x-oil", "nuclei", ("nuclei-tissue-bitdepth/63x-oil",), "nuclei-tissue-bitdepth"),
    Source("stardist-sample", "nuclei", ("nuclei-stardist-sample",), "nuclei-stardist-sample"),
    Source("deepflash-cfos", "stained", ("neurons-deepflash/cfos", "neurons-deepflash/cfos-transfer"),
           "neurons-deepflash"),
    Source("deepflash-parv", "stained", ("neurons-deepflash/parv",), "neurons-deepflash"),
    Source("fnc", "stained", ("neurons-fnc/train",), "neurons-fnc"),
)


def source_pairs(data: Path, source: Source, limit: int, seed: int = 0) -> list[tuple[Path, np.ndarray]]:
    """Up to ``limit`` (0: all) ``(image, truth labels)`` pairs of ``source``, a seeded sample."""
    files: list[tuple[Path, Path]] = []
    for folder in source.folders:
        images = data / folder / "images"
        if images.is_dir():
            files += [(p, data / folder / "labels") for p in sorted(images.iterdir()) if p.is_file()]
    if limit and len(files) > limit:
        keep = np.random.default_rng(seed).choice(len(files), size=limit, replace=False)
        files = [files[i] for i in sorted(keep)]
    pairs: list[tuple[Path, np.ndarray]] = []
    for image, labels in files:
        found, _ = load_pairs([image], labels)
        pairs += found
    return pairs


def card_for(name: str) -> Path | None:
    """The card of a model named on the command line: beside a model file (``/tmp/run/nuclei.onnx``), else the
    bundled one; none for ``classical``."""
    if name == "classical":
        return None
    from cellcounter_app.inference.registry import bundled_models_dir

    return Path(name).with_suffix(".json") if name.endswith(".onnx") else bundled_models_dir() / f"{name}.json"


def seen_sources(card: Path | None) -> set[str]:
    """The card set names a model trained or calibrated on; none for classical.

    A build card lists them in ``split.by_source``; a fine-tuned model's card lists its images
    (``split.train`` / ``split.val``, named ``<set>/...``) and the model it started from
    (``base``), whose sources it has seen too.
    """
    if card is None or not card.is_file():
        return set()
    data = json.loads(card.read_text())
    split = data.get("split") or {}
    seen = set(split.get("by_source") or {})
    seen |= set((data.get("calibration") or {}).get("sources") or [])
    seen |= {name.split("/")[0] for key in ("train", "val") if isinstance(split.get(key), list)
             for name in split[key] if "/" in name}
    base = data.get("base")
    if isinstance(base, str) and base and base != data.get("name"):
        seen |= seen_sources(card.with_name(f"{base}.json"))
    return seen


def negative_controls(side: int = 512, seed: int = 0) -> dict[str, np.ndarray]:
    """Images with no cell in them, drawn in code: every cell found in one is a phantom.

    ``out-of-focus`` is a field of nuclei blurred far past recognition (sigma
    of 12 px on 8-px nuclei): a lab would not count it either.
    """
    rng = np.random.default_rng(seed)
    shape = (side, side)
    controls = {
        "blank (zeros)": np.zeros(shape, np.uint16),
        "flat, offset 1000": np.full(shape, 1000, np.uint16),
        "Gaussian noise": np.clip(rng.normal(400, 20, shape), 0, 65535).astype(np.uint16),
        "Poisson noise": rng.poisson(30, shape).astype(np.uint16),
        "Poisson noise, 8-bit dim": np.clip(rng.poisson(4, shape), 0, 255).astype(np.uint8),
    }
    field = np.zeros(shape, np.float32)
    ys, xs = rng.integers(0, side, (2, 150))
    field[ys, xs] = 1.0
    nuclei = ndi.gaussian_filter(field, 4.0) * 1e5
    blurred = ndi.gaussian_filter(nuclei, 12.0) + 300.0
    controls["out of focus"] = np.clip(rng.poisson(blurred), 0, 65535).astype(np.uint16)
    return controls
