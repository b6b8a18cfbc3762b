"""Where and how training runs: device choice, seeding, mixed precision, memory format."""

from __future__ import annotations

import contextlib
import random
from typing import ContextManager

import numpy as np
import torch

from ..errors import CellCounterError, ParameterError

__all__ = ["amp_dtype", "autocast", "describe_device", "memory_format", "pick_device", "seed_everything"]


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def pick_device(preference: str = "auto") -> torch.device:
    """The torch device to train on.

    Parameters
    ----------
    preference : {"auto", "cuda", "mps", "cpu"}
        ``auto``: CUDA if available, then Apple MPS, then the CPU.  A named
        device that is not available raises `CellCounterError`.

    Examples
    --------
    >>> pick_device("cpu")
    device(type='cpu')
    """
    available = {"cuda": torch.cuda.is_available(), "mps": _mps_available(), "cpu": True}
    if preference == "auto":
        return torch.device(next(kind for kind in ("cuda", "mps", "cpu") if available[kind]))
    if preference not in available:
        raise ParameterError(f"device must be one of auto, cuda, mps, cpu, got {preference!r}")
    if not available[preference]:
        raise CellCounterError(f"training on {preference} was asked for, but this machine has no {preference} device")
    return torch.device(preference)


def describe_device(device: torch.device) -> str:
    """A short human-readable name ("cuda: NVIDIA H100", "cpu (2 threads)", ...)."""
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return device.type


def seed_everything(seed: int) -> None:
    """Seed Python's `random`, numpy's global generator and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def autocast(device: torch.device, enabled: bool) -> ContextManager[object]:
    """Mixed-precision context: bfloat16 (or float16 without bf16 support) on CUDA, nothing elsewhere."""
    if not enabled or device.type != "cuda":
        return contextlib.nullcontext()
    return torch.autocast("cuda", dtype=amp_dtype(device))


def amp_dtype(device: torch.device) -> torch.dtype:
    """The reduced precision used by `autocast` on ``device``."""
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def memory_format(device: torch.device, channels_last: bool) -> torch.memory_format:
    """``channels_last`` on CPU and CUDA when asked for (faster convolutions), else contiguous."""
    if channels_last and device.type in ("cpu", "cuda"):
        return torch.channels_last
    return torch.contiguous_format
