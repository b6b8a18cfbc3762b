"""Shared settings of the training tests."""

from __future__ import annotations

import pytest

try:
    import torch
except ImportError:  # the numpy-only training modules are tested without torch too
    torch = None


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Run torch on one thread: the tests' tensors are tiny, and on a loaded 2-core
    machine thread hand-offs cost far more than they gain (10x slower steps)."""
    if torch is None:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
