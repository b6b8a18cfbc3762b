"""Segmentation losses of seed 000 (``SCIENCE.md``, *Training*) and their presets.

Every loss is a module called as ``loss(logits, target, weight=None)``:

* binary networks: ``logits`` ``(N, 1, H, W)`` (or ``(N, H, W)``), ``target``
  of the same number of pixels with values in [0, 1] (1 = cell);
* 3-class networks: ``logits`` ``(N, K, H, W)``, ``target`` ``(N, H, W)`` of
  class indices (0 background, 1 cell, 2 boundary);
* ``weight``: optional per-pixel weight map ``(N, H, W)`` (e.g. the
  ``exp(-d²/2σ²)`` maps that weigh pixels between close cells).  Pixel-wise
  losses average ``weight * loss``; ratio losses (Dice, Tversky) use weighted
  sums.

Ratio losses are computed over the whole batch (one ratio), so crops with no
cell do not blow up the loss.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ParameterError
from .config import DEFAULT_LOSS, DEFAULT_MULTICLASS_LOSS, LOSS_TERMS, LossOptions

__all__ = [
    "DEFAULT_LOSS", "DEFAULT_MULTICLASS_LOSS", "LOSS_PRESETS", "CombinedLoss", "CrossEntropyLoss", "DiceLoss",
    "FocalLoss", "FocalTverskyLoss", "WeightedBCELoss", "make_loss",
]


def _binary(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None
            ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Flatten to matching ``(N, H*W)`` float32 logits, targets and weights."""
    if logits.dim() == 4:
        if logits.shape[1] != 1:
            raise ParameterError(f"binary losses need one logit channel, got {logits.shape[1]}")
        logits = logits[:, 0]
    if target.dim() == 4:
        target = target[:, 0]
    if target.shape != logits.shape:
        raise ParameterError(f"target shape {tuple(target.shape)} does not match logits {tuple(logits.shape)}")
    n = logits.shape[0]
    logits = logits.float().reshape(n, -1)
    target = target.float().reshape(n, -1)
    if weight is None:
        weight = torch.ones_like(target)
    else:
        if weight.numel() != target.numel():
            raise ParameterError(f"weight map of shape {tuple(weight.shape)} does not match the target")
        weight = weight.float().reshape(n, -1)
    return logits, target, weight


class WeightedBCELoss(nn.Module):
    """Binary cross-entropy with cell pixels weighted by ``w_cell``.

    ``-(w_cell·y·log p + (1-y)·log(1-p))`` per pixel, times the weight map,
    averaged over pixels; computed from logits for numerical stability.
    """

    def __init__(self, w_cell: float = 1.0):
        super().__init__()
        self.w_cell = float(w_cell)

    def forward(self, logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
        logits, target, weight = _binary(logits, target, weight)
        pos_weight = torch.tensor(self.w_cell, device=logits.device)
        pixel = F.binary_cross_entropy_with_logits(logits, target, pos_weight=pos_weight, reduction="none")
        return (weight * pixel).mean()


class DiceLoss(nn.Module):
    """Soft Dice loss ``1 - (2·Σyp + s) / (Σy + Σp + s)`` over the batch.

    For 3-class logits, ``p`` is the softmax probability of ``channel`` and
    ``y`` is ``target == channel``.
    """

    def __init__(self, smooth: float = 1.0, channel: int = 1):
        super().__init__()
        self.smooth = float(smooth)
        self.channel = channel

    def forward(self, logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
        if logits.dim() == 4 and logits.shape[1] > 1:
            prob = torch.softmax(logits.float(), dim=1)[:, self.channel].flatten()
            truth = (target == self.channel).float().flatten()
            w = torch.ones_like(truth) if weight is None else weight.float().flatten()
        else:
            logit, truth, w = _binary(logits, target, weight)
            prob = torch.sigmoid(logit)
        intersection = (w * truth * prob).sum()
        total = (w * truth).sum() + (w * prob).sum()
        return 1.0 - (2.0 * intersection + self.smooth) / (total + self.smooth)


class FocalLoss(nn.Module):
    """Focal loss ``-α_t (1 - p_t)^γ log p_t`` (Lin et al. 2017), averaged over pixels.

    ``p_t`` is ``p`` on cell pixels and ``1 - p`` on background; ``α_t`` is
    ``alpha`` on cell pixels and ``1 - alpha`` on background.
    """

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0):
        super().__init__()
        self.alpha = float(alpha)
        self.gamma = float(gamma)

    def forward(self, logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
        logits, target, weight = _binary(logits, target, weight)
        log_pt = -F.binary_cross_entropy_with_logits(logits, target, reduction="none")
        prob = torch.sigmoid(logits)
        pt = prob * target + (1.0 - prob) * (1.0 - target)
        alpha_t = self.alpha * target + (1.0 - self.alpha) * (1.0 - target)
        pixel = -alpha_t * (1.0 - pt).clamp(min=0.0) ** self.gamma * log_pt
        return (weight * pixel).mean()


class FocalTverskyLoss(nn.Module):
    """Focal Tversky loss ``(1 - TI)^γ`` over the batch (seed 000; Abraham & Khan 2019).

    ``TI = (Σyp + s) / (Σyp + α·Σy(1-p) + β·Σ(1-y)p + s)``: ``alpha`` weighs
    missed cell pixels (false negatives), ``beta`` false cell pixels.
    """

    def __init__(self, alpha: float = 0.7, beta: float = 0.3, gamma: float = 2.0, smooth: float = 1.0):
        super().__init__()
        self.alpha, self.beta, self.gamma, self.smooth = float(alpha), float(beta), float(gamma), float(smooth)

    def forward(self, logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
        logits, target, weight = _binary(logits, target, weight)
        prob = torch.sigmoid(logits)
        tp = (weight * target * prob).sum()
        fn = (weight * target * (1.0 - prob)).sum()
        fp = (weight * (1.0 - target) * prob).sum()
        index = (tp + self.smooth) / (tp + self.alpha * fn + self.beta * fp + self.smooth)
        return (1.0 - index).clamp(min=0.0) ** self.gamma


class CrossEntropyLoss(nn.Module):
    """Class-weighted cross-entropy ``-w_c log softmax(x)_c`` per pixel, times the weight map, averaged."""

    def __init__(self, class_weights: tuple[float, ...] = (1.0, 1.0, 5.0)):
        super().__init__()
        self.register_buffer("class_weights", torch.tensor(class_weights, dtype=torch.float32))

    def forward(self, logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
        if logits.dim() != 4 or logits.shape[1] != self.class_weights.numel():
            raise ParameterError(
                f"logits must be (N, {self.class_weights.numel()}, H, W), got {tuple(logits.shape)}"
            )
        target = target.long()
        pixel = F.cross_entropy(logits.float(), target, reduction="none") * self.class_weights[target]
        if weight is not None:
            pixel = pixel * weight.float().reshape(pixel.shape)
        return pixel.mean()


class CombinedLoss(nn.Module):
    """Weighted sum ``Σ λ_i · loss_i`` of several terms."""

    def __init__(self, terms: list[tuple[nn.Module, float]]):
        super().__init__()
        self.terms = nn.ModuleList(module for module, _ in terms)
        self.lambdas = [float(lam) for _, lam in terms]

    def forward(self, logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
        total = logits.new_zeros((), dtype=torch.float32)
        for module, lam in zip(self.terms, self.lambdas):
            total = total + lam * module(logits, target, weight)
        return total


_TERM_FACTORIES: dict[str, Callable[[LossOptions], nn.Module]] = {
    "bce": lambda o: WeightedBCELoss(o.w_cell),
    "dice": lambda o: DiceLoss(o.smooth),
    "focal": lambda o: FocalLoss(o.focal_alpha, o.focal_gamma),
    "focal_tversky": lambda o: FocalTverskyLoss(o.tversky_alpha, o.tversky_beta, o.tversky_gamma, o.smooth),
    "ce": lambda o: CrossEntropyLoss(o.class_weights),
}


def _preset(name: str) -> Callable[[LossOptions], nn.Module]:
    terms = LOSS_TERMS[name]

    def factory(options: LossOptions | None = None) -> nn.Module:
        options = options if options is not None else LossOptions()
        if len(terms) == 1 and terms[0][1] == 1.0:
            return _TERM_FACTORIES[terms[0][0]](options)
        return CombinedLoss([(_TERM_FACTORIES[term](options), lam) for term, lam in terms])

    factory.__doc__ = f"Build the {name!r} loss: " + " + ".join(f"{lam:g}·{term}" for term, lam in terms)
    return factory


LOSS_PRESETS: dict[str, Callable[..., nn.Module]] = {name: _preset(name) for name in LOSS_TERMS}
"""Loss factories by name (``LOSS_PRESETS["bce_dice_ft"](LossOptions())``); see `config.LOSS_TERMS`."""


def make_loss(name: str, options: LossOptions | None = None) -> nn.Module:
    """Build the preset ``name`` (one of `LOSS_PRESETS`) with ``options``.

    Examples
    --------
    >>> loss = make_loss("dice")
    >>> round(float(loss(torch.full((1, 1, 2, 2), 10.0), torch.ones(1, 2, 2))), 4)
    0.0
    """
    if name not in LOSS_PRESETS:
        raise ParameterError(f"loss must be one of {', '.join(LOSS_PRESETS)}, got {name!r}")
    return LOSS_PRESETS[name](options)
