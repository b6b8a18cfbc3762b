"""Device choice, seeding, precision and memory format."""

from __future__ import annotations

import random

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from cellcounter_app.errors import CellCounterError, ParameterError  # noqa: E402
from cellcounter_app.training.device import (  # noqa: E402
    autocast, describe_device, memory_format, pick_device, seed_everything,
)


def test_auto_prefers_cuda_then_mps_then_cpu():
    expected = "cuda" if torch.cuda.is_available() else (
        "mps" if torch.backends.mps.is_available() else "cpu")
    assert pick_device("auto").type == expected
    assert pick_device("cpu") == torch.device("cpu")


def test_unknown_device_is_refused():
    with pytest.raises(ParameterError, match="device must be one of auto, cuda, mps, cpu, got 'tpu'"):
        pick_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_missing_cuda_is_reported():
    with pytest.raises(CellCounterError, match="no cuda device"):
        pick_device("cuda")


def test_seed_everything_seeds_all_generators():
    seed_everything(5)
    a = (random.random(), np.random.random(), torch.rand(1).item())
    seed_everything(5)
    assert a == (random.random(), np.random.random(), torch.rand(1).item())


def test_cpu_uses_channels_last_and_no_autocast():
    cpu = torch.device("cpu")
    assert memory_format(cpu, True) == torch.channels_last
    assert memory_format(cpu, False) == torch.contiguous_format
    with autocast(cpu, True):
        assert torch.ones(2, 2).matmul(torch.ones(2, 2)).dtype == torch.float32
    assert describe_device(cpu).startswith("cpu (")
