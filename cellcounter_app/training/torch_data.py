"""Training crops as torch tensors: random crop, augmentation, targets.

Wraps the numpy samples of `training.data` (``Sample``: normalised
``(C, H, W)`` image, instance labels) into a torch `Dataset` of fixed-size
crops (`data.random_crop`), augmented (`augment.Augmenter`) and turned into
targets and weight maps (`targets.make_targets`).  Every crop is drawn from a
generator seeded by ``(seed, epoch, index)``, so a run is reproducible
whatever the number of loader workers.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ..errors import ParameterError
from ..inference.channels import adapt_channels
from .augment import AugmentConfig, Augmenter
from .data import Sample, random_crop
from .targets import make_targets

__all__ = ["AugmentFactory", "CropDataset", "augment_factory", "make_loader", "model_input", "to_tensors"]

Augment = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
AugmentFactory = Callable[[int], Augment]
"""Builds an ``augment(image, labels) -> (image, labels)`` callable from a seed."""


def model_input(image: np.ndarray, in_channels: int) -> np.ndarray:
    """A ``(C, H, W)`` sample image as float32 with exactly ``in_channels`` channels.

    Channels are adapted with the engine's rules (`inference.channels.adapt_channels`:
    maximum over channels for a grey model, replication for an RGB model), so a
    network trains on what it will see when counting.
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 2:
        image = image[np.newaxis]
    if image.ndim != 3:
        raise ParameterError(f"sample images must be (C, H, W), got shape {image.shape}")
    if image.shape[0] != in_channels:
        image = adapt_channels(np.moveaxis(image, 0, -1), in_channels)
    return np.ascontiguousarray(image, dtype=np.float32)


class CropDataset(Dataset):
    """``crops_per_image`` random crops of every sample per epoch, as tensors.

    Item ``i`` is a crop of sample ``i % len(samples)``: ``(image, target,
    weight)`` with ``image`` float32 ``(C, S, S)``, ``target`` float32
    ``(S, S)`` (1 = cell) for one class or int64 class indices for 3 classes,
    ``weight`` float32 ``(S, S)`` (all ones without weight maps).  Images
    smaller than the crop are mirror-padded.

    Parameters
    ----------
    samples : sequence of training.data.Sample
    crop_size : int
        Crop side ``S`` in px.
    n_classes : int
        1 or 3, passed to `targets.make_targets`.
    in_channels : int
        Channels of the network input (see `model_input`).
    crops_per_image : int
    seed : int
    augment : AugmentFactory, optional
        Called with a per-crop seed; the callable it returns augments the crop.
    use_weight_map : bool
        Return the weight maps of `make_targets`, or ones.
    target : {"mask", "distance"}
        The binary target's kind (`make_targets`'s ``kind``).
    """

    def __init__(
        self, samples: Sequence[Sample], *, crop_size: int, n_classes: int, in_channels: int,
        crops_per_image: int = 1, seed: int = 0, augment: AugmentFactory | None = None,
        use_weight_map: bool = True, target: str = "mask",
    ):
        if not samples:
            raise ParameterError("a training dataset needs at least one sample, got none")
        self.samples = list(samples)
        self.inputs = [dataclasses.replace(s, image=model_input(s.image, in_channels)) for s in self.samples]
        self.crop_size, self.n_classes = crop_size, n_classes
        self.crops_per_image, self.seed = crops_per_image, seed
        self.augment, self.use_weight_map, self.target = augment, use_weight_map, target
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Draw the crops of ``epoch`` (call before iterating a new epoch)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.samples) * self.crops_per_image

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        rng = np.random.default_rng([self.seed, self.epoch, index])
        k = index % len(self.samples)
        crop = random_crop(self.inputs[k], self.crop_size, rng)
        image, labels = crop.image, crop.labels
        if self.augment is not None:
            image, labels = self.augment(int(rng.integers(2**31)))(image, labels)
        diameter = crop.diameter_px if np.isfinite(crop.diameter_px) and crop.diameter_px > 0 else None
        target, weight = make_targets(labels, self.n_classes, diameter_px=diameter, kind=self.target)
        return to_tensors(image, target, weight if self.use_weight_map else None, self.n_classes)


def augment_factory(enabled: bool, config: AugmentConfig | None = None) -> AugmentFactory | None:
    """Seed -> `Augmenter` with ``config`` (default `AugmentConfig()`), or None when not ``enabled``."""
    if not enabled:
        return None
    chosen = config if config is not None else AugmentConfig()
    return lambda seed: Augmenter(chosen, seed)


def to_tensors(
    image: np.ndarray, target: np.ndarray, weight: np.ndarray | None, n_classes: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Image, ``(H, W)`` target and weight map of `make_targets` as the tensors the losses take.

    The target becomes float32 (1 = cell) for one class, int64 class indices for 3 classes.
    """
    dtype = np.int64 if n_classes > 1 else np.float32
    target_tensor = torch.from_numpy(np.ascontiguousarray(target, dtype=dtype))
    shape = target_tensor.shape
    weight_tensor = (torch.ones(shape) if weight is None
                     else torch.from_numpy(np.ascontiguousarray(weight, dtype=np.float32)).reshape(shape))
    return torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)), target_tensor, weight_tensor


def make_loader(dataset: CropDataset, *, batch_size: int, num_workers: int = 0,
                device: torch.device | None = None) -> DataLoader:
    """A `DataLoader` over ``dataset`` in index order (the crops are random already)."""
    return DataLoader(
        dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers,
        pin_memory=device is not None and device.type == "cuda", drop_last=False,
    )
