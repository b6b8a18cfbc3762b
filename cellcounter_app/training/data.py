"""Training samples: annotated images read from folders, split, rescaled and cropped.

A `Sample` holds one image normalised the way inference normalises it
(percentiles 1 and 99.8 of each channel mapped to 0 and 1) with its instance
labels and its median object diameter.  Folders follow the shared-data layout
``<set>/<split>/images/<stem>.<ext>`` with ``<set>/<split>/labels/<stem>.tif``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from scipy import ndimage as ndi

from ..errors import ImageReadError, ParameterError
from ..inference.channels import adapt_channels
from ..inference.metadata import Normalization
from ..inference.normalize import normalize
from ..inference.rescale import resize_image
from ..io import IMAGE_EXTENSIONS, ReadOptions, natural_key, read_image

SHARED_SETS = ("nuclei-dsb2018", "nuclei-mnfinder", "nuclei-stardist-sample")
"""The annotated sets of ``shared/data`` (see its README)."""

NORMALIZATION = Normalization()
"""Percentiles 1 / 99.8 per channel: the rule inference applies by default."""


@dataclass
class Sample:
    """One training image with its instance labels.

    Attributes
    ----------
    image : ndarray
        float32 ``(C, H, W)``, each channel normalised (percentile 1 -> 0,
        percentile 99.8 -> 1; values outside are kept).
    labels : ndarray
        int32 ``(H, W)`` instance labels, 0 = background.
    name : str
        Identifies the image in split records and model cards.
    diameter_px : float
        Median equivalent diameter of the labelled objects (px) at the stored
        scale; NaN when there are none.
    source : str
        The data set it comes from (e.g. ``"nuclei-mnfinder"``, ``"synthetic-cells"``).
    """

    image: np.ndarray
    labels: np.ndarray
    name: str
    diameter_px: float
    source: str

    def __post_init__(self) -> None:
        if self.image.ndim != 3 or self.image.dtype != np.float32:
            raise ParameterError(f"image must be float32 (C, H, W), got {self.image.dtype} {self.image.shape}")
        if self.labels.dtype != np.int32 or self.labels.shape != self.image.shape[1:]:
            raise ParameterError(f"labels must be int32 {self.image.shape[1:]}, got {self.labels.dtype} "
                                 f"{self.labels.shape}")


def median_diameter(labels: np.ndarray) -> float:
    """Median equivalent diameter ``2 * sqrt(area / pi)`` of the labelled objects (px).

    Returns NaN when ``labels`` holds no object.

    Examples
    --------
    >>> labels = np.zeros((20, 20), np.int32)
    >>> labels[:4, :4], labels[10:, 10:] = 1, 2
    >>> round(median_diameter(labels), 2)
    8.59
    """
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise ParameterError(f"labels must be an integer label image, got dtype {labels.dtype}")
    areas = np.bincount(labels.ravel().astype(np.intp, copy=False))[1:]
    areas = areas[areas > 0]
    if areas.size == 0:
        return float("nan")
    return float(2.0 * np.sqrt(np.median(areas) / np.pi))


def make_sample(image: np.ndarray, labels: np.ndarray, name: str, source: str) -> Sample:
    """A `Sample` from a ``(C, H, W)`` image of any real dtype and its labels (normalised here)."""
    data = normalize(np.asarray(image), NORMALIZATION, channel_axis=0)
    labels = np.asarray(labels).astype(np.int32)
    return Sample(data, labels, name, median_diameter(labels), source)


def load_folder(images_dir: str | Path, labels_dir: str | Path, *, channels: int = 1,
                max_images: int | None = None, source: str | None = None, name_prefix: str = "") -> list[Sample]:
    """Read every image of ``images_dir`` with its label image ``labels_dir/<stem>.tif``.

    Parameters
    ----------
    images_dir, labels_dir : str or Path
        Images (any format `cellcounter_app.io` reads) and uint16 instance labels.
    channels : {1, 3}
        1: colour images become grey (maximum over the channels); 3: RGB is
        kept and grey images are replicated.
    max_images : int, optional
        Read only the first images (natural file-name order).
    source : str, optional
        Recorded in each sample; default the name of the folder above ``images_dir``.
    name_prefix : str
        Put before each file stem to form the sample names.

    Returns
    -------
    list of Sample

    Raises
    ------
    ImageReadError
        For a missing folder, an image without its label file, an unreadable
        file, or a label image that is not integer or not of its image's size.
    """
    if channels not in (1, 3):
        raise ParameterError(f"channels must be 1 or 3, got {channels!r}")
    if max_images is not None and max_images < 0:
        raise ParameterError(f"max_images must be None or >= 0, got {max_images}")
    images_dir, labels_dir = Path(images_dir), Path(labels_dir)
    for folder in (images_dir, labels_dir):
        if not folder.is_dir():
            raise ImageReadError(folder, "no such folder")
    files = sorted((p for p in images_dir.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
                    and not p.name.startswith(".")), key=natural_key)
    if max_images is not None:
        files = files[:max_images]
    source = images_dir.parent.name if source is None else source
    return [_load_pair(path, labels_dir / f"{path.stem}.tif", channels, source, name_prefix) for path in files]


def load_shared_sets(root: str | Path, sets: Sequence[str] = SHARED_SETS, splits: Sequence[str] = ("train", "val"),
                     *, channels: int = 1, max_images: int | None = None) -> list[Sample]:
    """Read annotated sets laid out as ``<root>/<set>/<split>/{images,labels}``.

    A set without split folders (``<root>/<set>/images``) is read once as it
    is; splits a set does not have are skipped.  Sample names are
    ``"<set>/<split>/<stem>"`` (``"<set>/<stem>"`` without a split) and the
    source is the set name.  ``max_images`` limits each folder.

    Raises
    ------
    ImageReadError
        When a set folder is missing or holds none of the layouts above.
    """
    root = Path(root)
    samples: list[Sample] = []
    for name in sets:
        folder = root / name
        parts = [(folder / split, f"{name}/{split}/") for split in splits if (folder / split / "images").is_dir()]
        if not parts and (folder / "images").is_dir():
            parts = [(folder, f"{name}/")]
        if not parts and not _has_splits(folder):
            raise ImageReadError(folder, "no such data set (expected <set>/<split>/images or <set>/images)")
        for part, prefix in parts:
            samples += load_folder(part / "images", part / "labels", channels=channels, max_images=max_images,
                                   source=name, name_prefix=prefix)
    return samples


def split_samples(samples: Iterable[Sample], val_fraction: float, seed: int
                  ) -> tuple[list[Sample], list[Sample], dict[str, object]]:
    """Seeded train/validation split, stratified by source set.

    Each source gives ``round(val_fraction * n)`` of its ``n`` samples to
    validation (at least one when ``n >= 2`` and ``val_fraction > 0``, never
    all).  A source's split depends only on the seed, its name and its sample
    names, not on the other sources.

    Returns
    -------
    train, val : list of Sample
    record : dict
        JSON-ready: ``seed``, ``val_fraction``, ``train`` and ``val`` (sample
        names) and ``by_source`` (``{source: {"train": n, "val": n}}``), for
        the model card.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ParameterError(f"val_fraction must be in [0, 1), got {val_fraction}")
    by_source: dict[str, list[Sample]] = {}
    for sample in samples:
        by_source.setdefault(sample.source, []).append(sample)
    train: list[Sample] = []
    val: list[Sample] = []
    counts: dict[str, dict[str, int]] = {}
    for source in sorted(by_source):
        group = sorted(by_source[source], key=lambda s: s.name)
        n_val = int(round(val_fraction * len(group)))
        if val_fraction > 0 and len(group) >= 2:
            n_val = min(max(n_val, 1), len(group) - 1)
        rng = np.random.default_rng([seed, zlib.crc32(source.encode())])
        order = rng.permutation(len(group))
        val += [group[i] for i in order[:n_val]]
        train += [group[i] for i in order[n_val:]]
        counts[source] = {"train": len(group) - n_val, "val": n_val}
    record: dict[str, object] = {"seed": seed, "val_fraction": val_fraction, "train": [s.name for s in train],
                                 "val": [s.name for s in val], "by_source": counts}
    return train, val, record


def rescale_to_diameter(sample: Sample, target_diameter_px: float, *, max_factor: float = 4.0) -> Sample:
    """Resize a sample so that its median object diameter becomes ``target_diameter_px``.

    The image is resized bilinearly (anti-aliased when shrinking), the labels
    by nearest neighbour on the same grid.  The factor is limited to
    ``[1 / max_factor, max_factor]``; a sample without objects (NaN diameter)
    is returned unchanged.  The returned sample's ``diameter_px`` is measured
    on its new labels.

    Examples
    --------
    >>> labels = np.zeros((64, 64), np.int32)
    >>> labels[10:20, 10:20] = 1
    >>> small = rescale_to_diameter(make_sample(np.ones((1, 64, 64)), labels, "a", "x"), 5.6)
    >>> small.image.shape, round(small.diameter_px, 1)
    ((1, 32, 32), 5.6)
    """
    if not target_diameter_px > 0:
        raise ParameterError(f"target_diameter_px must be > 0, got {target_diameter_px}")
    if not max_factor >= 1:
        raise ParameterError(f"max_factor must be >= 1, got {max_factor}")
    if not np.isfinite(sample.diameter_px) or sample.diameter_px <= 0:
        return sample
    factor = float(np.clip(target_diameter_px / sample.diameter_px, 1.0 / max_factor, max_factor))
    if abs(factor - 1.0) < 1e-3:
        return sample
    image = resize_image(np.moveaxis(sample.image, 0, -1), factor)
    image = np.ascontiguousarray(image.reshape(image.shape[:2] + (-1,)).transpose(2, 0, 1))
    zoom = [o / i for o, i in zip(image.shape[1:], sample.labels.shape)]
    labels = ndi.zoom(sample.labels, zoom, order=0, mode="nearest", grid_mode=True, prefilter=False)
    return replace(sample, image=image, labels=labels.astype(np.int32, copy=False),
                   diameter_px=median_diameter(labels))


def random_crop(sample: Sample, size: int | tuple[int, int], rng: np.random.Generator, *,
                min_foreground: float = 0.01, attempts: int = 8) -> Sample:
    """A random ``size`` crop of a sample, padded by mirroring when the image is smaller.

    Up to ``attempts`` positions are drawn; the first whose labelled fraction
    reaches ``min_foreground`` is taken, else the one with the most labelled
    pixels.  Mirrored copies of objects in the padding get ids of their own
    (``id + k * max_id``).  ``diameter_px`` stays that of the whole sample.
    """
    height, width = (size, size) if np.isscalar(size) else size
    if int(height) < 1 or int(width) < 1:
        raise ParameterError(f"size must be >= 1 px, got {size!r}")
    if not 0.0 <= min_foreground <= 1.0:
        raise ParameterError(f"min_foreground must be in [0, 1], got {min_foreground}")
    if attempts < 1:
        raise ParameterError(f"attempts must be >= 1, got {attempts}")
    image, labels = _pad_to(sample.image, sample.labels, int(height), int(width))
    best, best_fraction = (0, 0), -1.0
    for _ in range(attempts):
        y = int(rng.integers(0, labels.shape[0] - height + 1))
        x = int(rng.integers(0, labels.shape[1] - width + 1))
        fraction = float(np.count_nonzero(labels[y:y + height, x:x + width])) / (height * width)
        if fraction > best_fraction:
            best, best_fraction = (y, x), fraction
        if fraction >= min_foreground:
            break
    y, x = best
    return replace(sample, image=np.ascontiguousarray(image[:, y:y + height, x:x + width]),
                   labels=np.ascontiguousarray(labels[y:y + height, x:x + width]))


def _pad_to(image: np.ndarray, labels: np.ndarray, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Mirror-pad (edge repeated) both arrays to at least ``height`` x ``width``; new ids for the copies."""
    h, w = labels.shape
    if h >= height and w >= width:
        return image, labels
    top, left = max(0, height - h) // 2, max(0, width - w) // 2
    pad = ((top, max(0, height - h) - top), (left, max(0, width - w) - left))
    image = np.pad(image, ((0, 0),) + pad, mode="symmetric")
    tile_y = (np.arange(h + sum(pad[0])) - top) // h
    tile_x = (np.arange(w + sum(pad[1])) - left) // w
    tiles = (tile_y - tile_y.min())[:, None] * (tile_x.max() - tile_x.min() + 1) + (tile_x - tile_x.min())[None, :]
    home = -tile_y.min() * (tile_x.max() - tile_x.min() + 1) - tile_x.min()
    copy = np.where(tiles == home, 0, tiles + 1).astype(np.int32)
    padded = np.pad(labels, pad, mode="symmetric")
    step = max(int(labels.max()), 1)
    return image, np.where(padded > 0, padded + copy * step, 0).astype(np.int32)


def _has_splits(folder: Path) -> bool:
    return folder.is_dir() and any((child / "images").is_dir() for child in folder.iterdir() if child.is_dir())


def _load_pair(image_path: Path, label_path: Path, channels: int, source: str, prefix: str) -> Sample:
    if not label_path.is_file():
        raise ImageReadError(label_path, f"no label image for {image_path.name}")
    loaded = read_image(image_path, ReadOptions())
    labels = read_image(label_path, ReadOptions()).data
    if labels.ndim != 2 or labels.dtype.kind not in "iu":
        raise ImageReadError(label_path, f"labels must be a 2-D integer image, got {labels.dtype} {labels.shape}")
    if labels.shape != loaded.data.shape[:2]:
        raise ImageReadError(label_path, f"label image is {labels.shape[1]}x{labels.shape[0]} px but "
                                         f"{image_path.name} is {loaded.width}x{loaded.height} px")
    return make_sample(adapt_channels(loaded.data, channels), labels, prefix + image_path.stem, source)
