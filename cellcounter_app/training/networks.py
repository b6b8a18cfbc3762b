"""The c-ResUnet family of segmentation networks (Morelli et al. 2021).

A U-Net with residual blocks, an initial 1x1 convolution that learns the
colour space and an extra residual block with 5x5 filters in the bottleneck
(``SCIENCE.md``, *Models*).  Forward returns logits; the probability (sigmoid,
or softmax over classes) is added at export time.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..errors import ParameterError

__all__ = ["RECEPTIVE_FIELD", "CResUnet", "ResidualBlock", "build_network", "count_parameters"]

RECEPTIVE_FIELD = 253
"""Receptive field (px) of a depth-4 `CResUnet` output pixel, at its widest (measured
by back-propagating one output pixel; it depends on the pixel's position modulo 16)."""


class ResidualBlock(nn.Module):
    """Two conv-BN-ReLU layers with an identity (or 1x1) shortcut added before the last ReLU.

    Parameters
    ----------
    in_channels, out_channels : int
        Feature channels in and out; a 1x1 convolution matches the shortcut
        when they differ.
    kernel_size : int
        Odd side of both convolution kernels (3, or 5 in the bottleneck).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3):
        super().__init__()
        pad = kernel_size // 2
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size, padding=pad, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, kernel_size, padding=pad, bias=False),
            nn.BatchNorm2d(out_channels),
        )
        self.shortcut: nn.Module = (
            nn.Identity() if in_channels == out_channels
            else nn.Conv2d(in_channels, out_channels, 1, bias=False)
        )
        self.activation = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(self.body(x) + self.shortcut(x))


class CResUnet(nn.Module):
    """c-ResUnet: residual U-Net with a learned colour space and a 5x5 bottleneck.

    Layout (``base`` = 16, ``depth`` = 4): 1x1 colour convolution (``in_channels``
    -> ``colour_channels``); encoder residual blocks of 16, 32, 64, 128
    channels, each followed by 2x2 max pooling; in the bottleneck (1/16
    resolution) a residual block with 5x5 filters; decoder levels of a 2x2
    transposed convolution, concatenation with the encoder skip and a residual
    block; a 1x1 head to ``n_classes`` logits.  About 1.9M parameters at the
    default width (``small=True``: width 8, about 0.5M).

    At depth 4 the receptive field is 253 px wide (`RECEPTIVE_FIELD`), several
    times the largest cell at the canonical training size (cell diameters of
    20-40 px; FNC's largest neurons, 67 µm, are about 100 px at full
    resolution), so every output pixel sees a whole cell and its surroundings.

    Parameters
    ----------
    in_channels : int
        Image channels (1 grey, 3 RGB).
    n_classes : int
        1: one logit per pixel (sigmoid, cell vs background); 3: background /
        cell / boundary scores (softmax).
    base : int
        Channels of the first encoder level; doubled at each level.
    depth : int
        Number of 2x2 poolings; height and width must be multiples of
        ``2**depth`` (`input_multiple`).
    colour_channels : int
        Output channels of the initial 1x1 colour-space convolution.
    small : bool
        Use width 8 instead of ``base`` (about 0.5M parameters, ~3x fewer FLOPs).

    Examples
    --------
    >>> net = CResUnet(in_channels=1, small=True).eval()
    >>> tuple(net(torch.zeros(1, 1, 32, 48)).shape)
    (1, 1, 32, 48)
    """

    def __init__(
        self,
        in_channels: int = 3,
        n_classes: int = 1,
        base: int = 16,
        depth: int = 4,
        colour_channels: int = 1,
        small: bool = False,
    ):
        super().__init__()
        for name, value, lo, hi in (
            ("in_channels", in_channels, 1, 16), ("n_classes", n_classes, 1, 16), ("base", base, 4, 256),
            ("depth", depth, 1, 6), ("colour_channels", colour_channels, 1, 16),
        ):
            if not (isinstance(value, int) and lo <= value <= hi):
                raise ParameterError(f"{name} must be an integer between {lo} and {hi}, got {value!r}")
        width = 8 if small else base
        self.config: dict[str, Any] = {
            "in_channels": in_channels, "n_classes": n_classes, "base": base, "depth": depth,
            "colour_channels": colour_channels, "small": small,
        }
        self.in_channels = in_channels
        self.n_classes = n_classes
        self.input_multiple = 2**depth
        channels = [width * 2**level for level in range(depth)]

        self.colour = nn.Conv2d(in_channels, colour_channels, 1)
        self.encoder = nn.ModuleList()
        previous = colour_channels
        for c in channels:
            self.encoder.append(ResidualBlock(previous, c))
            previous = c
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = ResidualBlock(previous, previous, kernel_size=5)
        self.up = nn.ModuleList()
        self.decoder = nn.ModuleList()
        for c in reversed(channels):
            self.up.append(nn.ConvTranspose2d(previous, c, 2, stride=2))
            self.decoder.append(ResidualBlock(2 * c, c))
            previous = c
        self.head = nn.Conv2d(previous, n_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape ``(N, n_classes, H, W)`` for an input ``(N, in_channels, H, W)``."""
        if not torch.jit.is_tracing():
            self._check_input(x)
        x = self.colour(x)
        skips = []
        for block in self.encoder:
            x = block(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for up, block, skip in zip(self.up, self.decoder, reversed(skips)):
            x = block(torch.cat([up(x), skip], dim=1))
        return self.head(x)

    def _check_input(self, x: torch.Tensor) -> None:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ParameterError(f"input must be (N, {self.in_channels}, H, W), got {tuple(x.shape)}")
        height, width = x.shape[-2:]
        if height % self.input_multiple or width % self.input_multiple:
            raise ParameterError(
                f"height and width must be multiples of {self.input_multiple}, got {height}x{width}"
            )


def build_network(config: dict[str, Any]) -> CResUnet:
    """Rebuild a network from its ``config`` dict (as stored in a checkpoint)."""
    return CResUnet(**config)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
