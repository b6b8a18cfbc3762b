"""Training crops as tensors: shapes, dtypes, seeding, channel adaptation."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from synthetic_images import disc_image  # noqa: E402

from cellcounter_app.training.data import make_sample  # noqa: E402
from cellcounter_app.training.torch_data import (  # noqa: E402
    CropDataset, augment_factory, make_loader, model_input, to_tensors,
)


def sample(seed=0, shape=(80, 96), channels=1):
    image, labels = disc_image(shape, ((20, 20), (30, 31), (60, 70)), radius=7, value=1.0, background=0.1,
                               noise=0.05, seed=seed, dtype=np.float32)
    stack = np.stack([image * (c + 1) for c in range(channels)])
    return make_sample(stack, labels, f"s{seed}", "test")


def test_items_are_crops_with_targets_and_weights():
    data = CropDataset([sample()], crop_size=48, n_classes=1, in_channels=1, crops_per_image=3)
    assert len(data) == 3
    image, target, weight = data[0]
    assert image.shape == (1, 48, 48) and image.dtype == torch.float32
    assert target.shape == (48, 48) and target.dtype == torch.float32
    assert set(torch.unique(target).tolist()) <= {0.0, 1.0}
    assert weight.shape == (48, 48) and float(weight.min()) >= 1.0


def test_three_classes_give_class_indices():
    data = CropDataset([sample()], crop_size=64, n_classes=3, in_channels=1)
    _, target, _ = data[0]
    assert target.dtype == torch.int64 and set(torch.unique(target).tolist()) <= {0, 1, 2}


def test_crops_are_seeded_by_seed_epoch_and_index():
    make = lambda seed: CropDataset([sample()], crop_size=32, n_classes=1, in_channels=1,  # noqa: E731
                                    crops_per_image=2, seed=seed, augment=augment_factory(True))
    a, b = make(1), make(1)
    assert torch.equal(a[1][0], b[1][0])
    b.set_epoch(1)
    assert not torch.equal(a[1][0], b[1][0])
    assert not torch.equal(a[1][0], make(2)[1][0])


def test_small_images_are_padded_to_the_crop():
    data = CropDataset([sample(shape=(40, 30))], crop_size=64, n_classes=1, in_channels=1)
    image, target, weight = data[0]
    assert image.shape == (1, 64, 64) and target.shape == weight.shape == (64, 64)


def test_channels_follow_the_engine_rules():
    rgb = sample(channels=3).image
    assert np.array_equal(model_input(rgb, 1)[0], rgb.max(axis=0))
    grey = sample().image
    assert np.array_equal(model_input(grey, 3), np.repeat(grey, 3, axis=0))


def test_weight_maps_can_be_switched_off():
    data = CropDataset([sample()], crop_size=48, n_classes=1, in_channels=1, use_weight_map=False)
    assert torch.equal(data[0][2], torch.ones(48, 48))


def test_loader_batches():
    data = CropDataset([sample(0), sample(1)], crop_size=32, n_classes=1, in_channels=3, crops_per_image=3)
    batches = list(make_loader(data, batch_size=4))
    assert [b[0].shape[0] for b in batches] == [4, 2]
    assert batches[0][0].shape == (4, 3, 32, 32)


def test_to_tensors_without_weights_gives_ones():
    image, target, weight = to_tensors(np.zeros((1, 4, 4)), np.ones((4, 4), np.uint8), None, 1)
    assert target.dtype == torch.float32 and torch.equal(weight, torch.ones(4, 4))
