"""Validation: engine post-processing, detection F1, whole-image prediction."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from synthetic_images import disc_image  # noqa: E402

from cellcounter_app.training.data import make_sample  # noqa: E402
from cellcounter_app.training.losses import make_loss  # noqa: E402
from cellcounter_app.training.networks import CResUnet  # noqa: E402
from cellcounter_app.training.validate import (  # noqa: E402
    DEFAULT_DIAMETER, Validator, median_diameter, predict_probability, validation_params,
)

CENTRES = ((15, 15), (15, 50), (45, 30))


def sample(shape=(60, 70)):
    image, labels = disc_image(shape, CENTRES, radius=7, value=1.0, background=0.0, noise=0.0, dtype=np.float32)
    return make_sample(image[None], labels, "discs", "test")


class Thresholder(torch.nn.Module):
    """A stand-in network whose logits say 'cell' wherever the image is bright."""

    input_multiple = 16
    in_channels = 1

    def forward(self, x):
        return (x - 0.5) * 40.0


def test_a_perfect_network_scores_f1_1_and_no_count_error():
    validator = Validator([sample(), sample()], n_classes=1, in_channels=1, loss=make_loss("dice"),
                          device=torch.device("cpu"))
    result = validator(Thresholder())
    assert result.f1 == 1.0 and result.precision == 1.0 and result.recall == 1.0
    assert result.count_mae == 0.0 and result.loss < 0.05


def test_a_network_finding_nothing_scores_0():
    class Nothing(Thresholder):
        def forward(self, x):
            return torch.full_like(x, -10.0)

    validator = Validator([sample()], n_classes=1, in_channels=1, loss=make_loss("bce"), device=torch.device("cpu"))
    result = validator(Nothing())
    assert result.f1 == 0.0 and result.count_mae == 3.0


def test_matching_distance_defaults_to_the_median_diameter():
    validator = Validator([sample()], n_classes=1, in_channels=1, loss=make_loss("bce"), device=torch.device("cpu"))
    assert validator.max_distance == pytest.approx(validator.diameter)
    assert 13 < validator.diameter < 16  # discs of radius 7


def test_validation_params_scale_with_the_diameter():
    small, large = validation_params(10.0), validation_params(40.0)
    assert large.min_size == pytest.approx(16 * small.min_size, rel=0.05)
    assert large.peak_min_distance == 4 * small.peak_min_distance


def test_median_diameter_of_disc_areas():
    labels = np.zeros((50, 50), np.int32)
    labels[:10, :10] = 1  # area 100
    assert median_diameter([labels]) == pytest.approx(math.sqrt(400 / math.pi))
    assert median_diameter([np.zeros((5, 5), np.int32)]) == DEFAULT_DIAMETER


def test_predict_probability_on_an_odd_sized_image():
    net = CResUnet(in_channels=1, base=4)
    prob = predict_probability(net, sample(shape=(37, 53)).image)
    assert prob.shape == (37, 53) and prob.dtype == np.float32
    assert 0.0 <= prob.min() and prob.max() <= 1.0
    assert not net.training


def test_three_class_probability_is_the_cell_class():
    class ThreeClass(Thresholder):
        def forward(self, x):
            return torch.cat([torch.zeros_like(x), (x - 0.5) * 40.0, torch.zeros_like(x)], dim=1)

    prob = predict_probability(ThreeClass(), sample().image, device=torch.device("cpu"))
    labels = sample().labels
    assert prob[labels > 0].min() > 0.99 and prob[labels == 0].max() < 0.01


def test_validation_counts_in_float32_as_the_exported_model_does():
    """Under bfloat16 autocast a 3-class nuclei network's validation F1 fell by 0.02: validation never uses it."""
    seen = []

    class Recorder(Thresholder):
        def forward(self, x):
            seen.append((x.dtype, torch.is_autocast_enabled("cpu"), torch.is_autocast_enabled("cuda")))
            return super().forward(x)

    Validator([sample()], n_classes=1, in_channels=1, loss=make_loss("dice"), device=torch.device("cpu"))(Recorder())
    predict_probability(Recorder(), sample().image, device=torch.device("cpu"))
    assert seen == [(torch.float32, False, False)] * 2
