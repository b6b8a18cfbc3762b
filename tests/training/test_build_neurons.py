"""The neurons build: its split and card; the bundled model counts only the clearly stained somata."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from cellcounter_app.inference import load_model
from cellcounter_app.io import LoadedImage
from cellcounter_app.pipeline import count_image
from cellcounter_app.postprocess.size import SizeSetting
from cellcounter_app.training.build_neurons import split
from cellcounter_app.training.synthetic import generate


def test_every_source_keeps_a_validation_image_and_a_single_image_source_trains():
    samples = [SimpleNamespace(source=s, name=f"{s}{i}") for s, n in (("a", 6), ("b", 4), ("c", 1)) for i in range(n)]
    train, val = split(samples, seed=0)
    assert sorted(s.source for s in val) == ["a", "b"]
    assert len(train) + len(val) == len(samples) and any(s.source == "c" for s in train)


@pytest.mark.skipif(not Path("models/neurons.onnx").is_file(), reason="the neurons model is not built")
def test_neurons_counts_the_stained_somata_and_not_the_unstained_ones():
    model = load_model("neurons", use_gpu=False, threads=1)
    errors = {"neurons": [], "cells": []}
    for seed in range(3):
        image, labels = generate(seed, shape=(384, 384), kind="cells", colour="yellow", diameter_px=(18.0, 26.0),
                                 unstained=(0.5, 0.5))
        rgb = (np.clip(np.moveaxis(image, 0, -1), 0, 1) * 255).astype(np.uint8)
        loaded = LoadedImage(Path(f"s{seed}.png"), rgb, ("red", "green", "blue"), None, 8, "YXS", rgb.shape, True)
        n = int(labels.max())
        for name in errors:
            result = count_image(loaded, load_model(name, use_gpu=False, threads=1), size=SizeSetting(22.0, "px"))
            errors[name].append(abs(result.summary["count"] - n) / max(n, 1))
    assert np.mean(errors["neurons"]) < np.mean(errors["cells"])
    assert model.meta.default_params().min_stain > 0
