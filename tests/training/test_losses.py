"""Losses against values computed by hand on two pixels.

The binary cases use logits (0, ln 3), i.e. probabilities (0.5, 0.75), and
target (1, 0): one half-found cell pixel and one background pixel wrongly at 0.75.
"""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from cellcounter_app.errors import ParameterError  # noqa: E402
from cellcounter_app.training.config import DEFAULT_LOSS, LOSS_TERMS, LossOptions  # noqa: E402
from cellcounter_app.training.losses import (  # noqa: E402
    LOSS_PRESETS, CombinedLoss, CrossEntropyLoss, DiceLoss, FocalLoss, FocalTverskyLoss, WeightedBCELoss, make_loss,
)

LOGITS = torch.tensor([[[[0.0, math.log(3.0)]]]])
TARGET = torch.tensor([[[1.0, 0.0]]])
WEIGHT = torch.tensor([[[1.0, 3.0]]])
LN2, LN3 = math.log(2.0), math.log(3.0)


def value(loss, *args):
    return pytest.approx(float(loss(LOGITS, TARGET, *args)), abs=1e-6)


def test_weighted_bce():
    # cell: -2 log 0.5 = 2 ln 2; background: -log 0.25 = 2 ln 2
    assert value(WeightedBCELoss(w_cell=2.0)) == 2 * LN2
    assert value(WeightedBCELoss(w_cell=2.0), WEIGHT) == (2 * LN2 + 3 * 2 * LN2) / 2
    assert value(WeightedBCELoss(w_cell=1.0)) == (LN2 + 2 * LN2) / 2


def test_dice():
    # intersection 0.5, sum of truth 1, sum of probabilities 1.25
    assert value(DiceLoss(smooth=0.0)) == 1 - 1.0 / 2.25
    assert value(DiceLoss(smooth=1.0)) == 1 - 2.0 / 3.25
    # weighted: probabilities sum to 0.5 + 3 * 0.75
    assert value(DiceLoss(smooth=0.0), WEIGHT) == 1 - 1.0 / 3.75


def test_focal():
    cell = 0.25 * 0.5**2 * LN2
    background = 0.75 * 0.75**2 * 2 * LN2
    assert value(FocalLoss(alpha=0.25, gamma=2.0)) == (cell + background) / 2
    assert value(FocalLoss(alpha=0.25, gamma=2.0), WEIGHT) == (cell + 3 * background) / 2


def test_focal_with_gamma_0_and_alpha_half_is_half_the_bce():
    assert value(FocalLoss(alpha=0.5, gamma=0.0)) == 0.5 * float(WeightedBCELoss()(LOGITS, TARGET))


def test_focal_tversky():
    # TP 0.5, FN 0.5, FP 0.75
    index = 0.5 / (0.5 + 0.7 * 0.5 + 0.3 * 0.75)
    assert value(FocalTverskyLoss(0.7, 0.3, gamma=2.0, smooth=0.0)) == (1 - index) ** 2
    smoothed = 1.5 / (1.5 + 0.7 * 0.5 + 0.3 * 0.75)
    assert value(FocalTverskyLoss(0.7, 0.3, gamma=2.0, smooth=1.0)) == (1 - smoothed) ** 2
    weighted = 0.5 / (0.5 + 0.7 * 0.5 + 0.3 * 3 * 0.75)
    assert value(FocalTverskyLoss(0.7, 0.3, gamma=0.75, smooth=0.0), WEIGHT) == (1 - weighted) ** 0.75


def test_tversky_with_half_weights_is_dice():
    assert value(FocalTverskyLoss(0.5, 0.5, gamma=1.0, smooth=0.0)) == float(DiceLoss(smooth=0.0)(LOGITS, TARGET))


def test_cross_entropy_with_class_weights():
    logits = torch.zeros(1, 3, 1, 2)
    target = torch.tensor([[[0, 2]]])
    loss = CrossEntropyLoss((1.0, 2.0, 5.0))
    assert float(loss(logits, target)) == pytest.approx((LN3 + 5 * LN3) / 2)
    assert float(loss(logits, target, torch.tensor([[[2.0, 1.0]]]))) == pytest.approx((2 * LN3 + 5 * LN3) / 2)


def test_multiclass_dice_scores_the_cell_class():
    logits = torch.zeros(1, 3, 1, 2)
    target = torch.tensor([[[1, 0]]])
    # cell probability 1/3 on both pixels: intersection 1/3, sums 1 and 2/3
    assert float(DiceLoss(smooth=0.0)(logits, target)) == pytest.approx(1 - (2 / 3) / (5 / 3))


def test_combined_preset_uses_the_seed_lambdas():
    options = LossOptions(w_cell=2.0, smooth=0.0)
    loss = LOSS_PRESETS["bce_dice_ft"](options)
    assert isinstance(loss, CombinedLoss) and loss.lambdas == [0.3, 0.3, 0.4]
    index = 0.5 / (0.5 + 0.7 * 0.5 + 0.3 * 0.75)
    expected = 0.3 * 2 * LN2 + 0.3 * (1 - 1 / 2.25) + 0.4 * (1 - index) ** 2
    assert value(loss) == expected
    assert LOSS_TERMS["bce_dice_focal_overcrowd"] == (("bce", 0.2), ("dice", 0.5), ("focal", 0.3))
    assert LOSS_TERMS["bce_dice_ft_cellvit"] == (("bce", 0.5), ("dice", 0.3), ("focal_tversky", 0.5))


@pytest.mark.parametrize("name", sorted(LOSS_TERMS))
def test_every_preset_gives_finite_gradients(name):
    n_classes = 3 if name.startswith("ce") else 1
    logits = torch.randn(2, n_classes, 8, 8, requires_grad=True)
    target = torch.randint(0, 3, (2, 8, 8)) if n_classes == 3 else (torch.rand(2, 8, 8) > 0.7).float()
    loss = make_loss(name)(logits, target, torch.rand(2, 8, 8) + 0.5)
    loss.backward()
    assert loss.dim() == 0 and torch.isfinite(loss)
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0


@pytest.mark.parametrize("name", ["dice", "focal_tversky", "bce"])
def test_perfect_prediction_has_almost_no_loss(name):
    target = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    logits = (target * 2 - 1)[:, None] * 20.0
    assert float(make_loss(name)(logits, target)) < 1e-6


def test_default_is_focal_tversky():
    assert DEFAULT_LOSS == "focal_tversky"
    assert isinstance(make_loss(DEFAULT_LOSS), FocalTverskyLoss)


def test_unknown_preset_lists_the_names():
    with pytest.raises(ParameterError, match="loss must be one of bce, dice"):
        make_loss("hinge")


def test_shape_mismatch_is_refused():
    with pytest.raises(ParameterError, match="does not match"):
        WeightedBCELoss()(LOGITS, torch.zeros(1, 1, 3))
