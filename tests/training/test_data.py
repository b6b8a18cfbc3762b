"""Training data: folders of image/label pairs, seeded splits, rescaling to a diameter, crops."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from cellcounter_app.errors import ImageReadError, ParameterError
from cellcounter_app.training.data import (Sample, load_folder, load_shared_sets, make_sample, median_diameter,
                                           random_crop, rescale_to_diameter, split_samples)
from cellcounter_app.training.synthetic import generate


def disc_labels(shape=(64, 64), centres=((20, 20), (40, 45)), radius=6) -> np.ndarray:
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    labels = np.zeros(shape, np.int32)
    for index, (r, c) in enumerate(centres, start=1):
        labels[(rows - r) ** 2 + (cols - c) ** 2 <= radius**2] = index
    return labels


def write_set(folder: Path, stems=("b2", "a10", "a1"), seed=0) -> dict[str, np.ndarray]:
    """Generated images as 8-bit RGB PNG and 16-bit grey TIFF, with uint16 label TIFFs."""
    (folder / "images").mkdir(parents=True)
    (folder / "labels").mkdir(parents=True)
    written = {}
    for i, stem in enumerate(stems):
        image, labels = generate(seed + i, shape=(64, 80), diameter_px=(8.0, 14.0),
                                 colour="green" if i % 2 else "grey")
        if i % 2:
            Image.fromarray((image.transpose(1, 2, 0) * 255).astype(np.uint8)).save(folder / "images" / f"{stem}.png")
        else:
            tifffile.imwrite(folder / "images" / f"{stem}.tif", (image[0] * 4000).astype(np.uint16))
        tifffile.imwrite(folder / "labels" / f"{stem}.tif", labels.astype(np.uint16), compression="zlib")
        written[stem] = labels
    return written


def test_median_diameter_of_discs_and_of_nothing():
    assert median_diameter(disc_labels(radius=10)) == pytest.approx(20.0, rel=0.05)
    assert np.isnan(median_diameter(np.zeros((5, 5), np.uint16)))
    with pytest.raises(ParameterError, match="integer label image"):
        median_diameter(np.zeros((5, 5)))


def test_load_folder_pairs_by_stem_and_normalises(tmp_path):
    written = write_set(tmp_path / "set" / "train")
    tifffile.imwrite(tmp_path / "set" / "train" / "labels" / "orphan.tif", np.zeros((4, 4), np.uint16))
    samples = load_folder(tmp_path / "set" / "train" / "images", tmp_path / "set" / "train" / "labels")
    assert [s.name for s in samples] == ["a1", "a10", "b2"]
    for sample in samples:
        assert isinstance(sample, Sample) and sample.source == "train"
        assert sample.image.shape == (1, 64, 80) and sample.image.dtype == np.float32
        np.testing.assert_array_equal(sample.labels, written[sample.name])
        assert sample.labels.dtype == np.int32
        low, high = np.percentile(sample.image, [1, 99.8])
        assert abs(low) < 1e-3 and abs(high - 1.0) < 1e-3
        assert sample.diameter_px == pytest.approx(median_diameter(written[sample.name]))
        assert sample.image[0][sample.labels > 0].mean() > sample.image[0][sample.labels == 0].mean()
    rgb = load_folder(tmp_path / "set" / "train" / "images", tmp_path / "set" / "train" / "labels", channels=3,
                      max_images=2, source="mine", name_prefix="mine/")
    assert [s.name for s in rgb] == ["mine/a1", "mine/a10"] and {s.source for s in rgb} == {"mine"}
    assert all(s.image.shape == (3, 64, 80) for s in rgb)
    np.testing.assert_allclose(rgb[0].image[0], rgb[0].image[2])  # grey TIFF replicated
    assert rgb[1].image[1][rgb[1].labels > 0].mean() > 0.3  # green stain kept in its channel


def test_missing_label_file_is_reported_by_name(tmp_path):
    write_set(tmp_path / "s")
    (tmp_path / "s" / "labels" / "a10.tif").unlink()
    with pytest.raises(ImageReadError, match=r"a10\.tif: no label image for a10\.png") as info:
        load_folder(tmp_path / "s" / "images", tmp_path / "s" / "labels")
    assert info.value.path.name == "a10.tif"


def test_label_image_of_another_size_is_reported(tmp_path):
    write_set(tmp_path / "s", stems=("x",))
    tifffile.imwrite(tmp_path / "s" / "labels" / "x.tif", np.zeros((10, 10), np.uint16))
    with pytest.raises(ImageReadError, match="label image is 10x10 px but x.tif is 80x64 px"):
        load_folder(tmp_path / "s" / "images", tmp_path / "s" / "labels")


def test_missing_folder_and_bad_channels_are_refused(tmp_path):
    with pytest.raises(ImageReadError, match="no such folder"):
        load_folder(tmp_path / "nothing", tmp_path)
    with pytest.raises(ParameterError, match="channels must be 1 or 3"):
        load_folder(tmp_path, tmp_path, channels=2)


def test_load_shared_sets_reads_splits_and_flat_sets(tmp_path):
    write_set(tmp_path / "alpha" / "train", stems=("a", "b"))
    write_set(tmp_path / "alpha" / "val", stems=("c",))
    write_set(tmp_path / "beta", stems=("d",))
    samples = load_shared_sets(tmp_path, sets=("alpha", "beta"))
    assert [s.name for s in samples] == ["alpha/train/a", "alpha/train/b", "alpha/val/c", "beta/d"]
    assert [s.source for s in samples] == ["alpha", "alpha", "alpha", "beta"]
    assert [s.name for s in load_shared_sets(tmp_path, sets=("alpha",), splits=("val",))] == ["alpha/val/c"]
    assert load_shared_sets(tmp_path, sets=("alpha",), splits=("test",)) == []
    with pytest.raises(ImageReadError, match="no such data set"):
        load_shared_sets(tmp_path, sets=("gamma",))


def fake_samples(counts: dict[str, int]) -> list[Sample]:
    labels = disc_labels((16, 16), centres=((8, 8),), radius=3)
    return [make_sample(np.ones((1, 16, 16)), labels, f"{source}/{i:02d}", source)
            for source, n in counts.items() for i in range(n)]


def test_split_is_seeded_stratified_and_recorded():
    samples = fake_samples({"big": 20, "small": 5, "single": 1})
    train, val, record = split_samples(samples, 0.2, seed=3)
    assert sorted(s.name for s in train + val) == sorted(s.name for s in samples)
    assert not {s.name for s in train} & {s.name for s in val}
    assert record["by_source"] == {"big": {"train": 16, "val": 4}, "single": {"train": 1, "val": 0},
                                   "small": {"train": 4, "val": 1}}
    assert record["val"] == [s.name for s in val] and record["seed"] == 3
    json.dumps(record)
    again = split_samples(list(reversed(samples)), 0.2, seed=3)
    assert [s.name for s in again[1]] == [s.name for s in val]
    other = split_samples(samples, 0.2, seed=4)
    assert {s.name for s in other[1]} != {s.name for s in val}
    alone = split_samples(fake_samples({"big": 20}), 0.2, seed=3)
    assert {s.name for s in alone[1]} == {s.name for s in val if s.source == "big"}
    with pytest.raises(ParameterError, match=r"val_fraction must be in \[0, 1\)"):
        split_samples(samples, 1.0, seed=0)


@pytest.mark.parametrize("target", [12.0, 30.0])
def test_rescale_reaches_the_target_diameter(target):
    image, labels = generate(5, shape=(128, 128), diameter_px=(18.0, 22.0), touching_fraction=0.0)
    sample = make_sample(image, labels, "s", "synthetic")
    scaled = rescale_to_diameter(sample, target)
    assert scaled.diameter_px == pytest.approx(target, rel=0.1)
    assert scaled.image.shape[1:] == scaled.labels.shape and scaled.image.dtype == np.float32
    factor = target / sample.diameter_px
    assert scaled.labels.shape[0] == pytest.approx(128 * factor, abs=1)
    assert set(np.unique(scaled.labels)) <= set(np.unique(labels))
    grey = scaled.image.max(axis=0)
    assert grey[scaled.labels > 0].mean() > 2 * grey[scaled.labels == 0].mean()


def test_rescale_limits_the_factor_and_skips_empty_samples():
    sample = make_sample(np.ones((1, 64, 64)), disc_labels(radius=6), "s", "x")
    assert rescale_to_diameter(sample, 1000.0, max_factor=2.0).labels.shape == (128, 128)
    empty = make_sample(np.ones((1, 8, 8)), np.zeros((8, 8), np.int32), "e", "x")
    assert rescale_to_diameter(empty, 20.0) is empty
    with pytest.raises(ParameterError, match="target_diameter_px must be > 0"):
        rescale_to_diameter(sample, 0.0)


def test_random_crop_keeps_image_and_labels_together():
    labels = disc_labels((100, 120), centres=((20, 20), (50, 70), (80, 100)), radius=8)
    sample = Sample(labels[None].astype(np.float32) * 10 + 1, labels, "s", median_diameter(labels), "x")
    rng = np.random.default_rng(0)
    for _ in range(5):
        crop = random_crop(sample, 40, rng, min_foreground=0.05)
        assert crop.image.shape == (1, 40, 40) and crop.labels.shape == (40, 40)
        assert np.count_nonzero(crop.labels) >= 0.05 * 1600
        np.testing.assert_array_equal(crop.image[0] > 5, crop.labels > 0)
        assert crop.diameter_px == sample.diameter_px


def test_small_images_are_mirror_padded_with_new_ids():
    labels = disc_labels((30, 30), centres=((8, 8), (20, 22)), radius=5)
    sample = Sample(labels[None].astype(np.float32), labels, "s", median_diameter(labels), "x")
    crop = random_crop(sample, (64, 72), np.random.default_rng(0), min_foreground=0.0)
    assert crop.image.shape == (1, 64, 72)
    np.testing.assert_array_equal(crop.labels[17:47, 21:51], labels)  # the image itself, centred
    ids = np.unique(crop.labels)[1:]
    assert len(ids) > 2  # mirrored copies got ids of their own: id + k * max_id
    inside = crop.labels > 0
    np.testing.assert_array_equal(crop.image[0][inside], (crop.labels[inside] - 1) % 2 + 1)
    np.testing.assert_array_equal(crop.image[0][~inside], 0)
    with pytest.raises(ParameterError, match="size must be >= 1"):
        random_crop(sample, 0, np.random.default_rng(0))


def test_sample_checks_its_arrays():
    with pytest.raises(ParameterError, match="image must be float32"):
        Sample(np.zeros((4, 4)), np.zeros((4, 4), np.int32), "n", 1.0, "s")
    with pytest.raises(ParameterError, match="labels must be int32"):
        Sample(np.zeros((1, 4, 4), np.float32), np.zeros((4, 5), np.int32), "n", 1.0, "s")


@pytest.mark.data
def test_real_nuclei_load_with_their_documented_size(shared_data):
    folder = shared_data / "nuclei-mnfinder" / "val"
    samples = load_folder(folder / "images", folder / "labels", max_images=3, source="nuclei-mnfinder")
    assert len(samples) == 3
    for sample in samples:
        assert sample.image.shape[0] == 1 and sample.labels.max() > 10
        assert 15.0 <= sample.diameter_px <= 45.0  # README: median 27 px in mnfinder
        grey = sample.image[0]
        assert grey[sample.labels > 0].mean() > grey[sample.labels == 0].mean()


def test_numpy_side_of_training_imports_without_torch():
    blocker = (
        "import importlib.abc, sys\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in {'torch', 'PySide6', 'pyqtgraph'}:\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import cellcounter_app.training.data, cellcounter_app.training.augment\n"
        "import cellcounter_app.training.targets, cellcounter_app.training.synthetic\n"
    )
    result = subprocess.run([sys.executable, "-c", blocker], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
