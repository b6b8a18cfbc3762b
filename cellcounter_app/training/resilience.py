"""Running out of memory while training: recognise it, free memory, and choose the next try.

torch reports a full GPU as ``torch.OutOfMemoryError`` (CUDA), or as a
``RuntimeError`` whose message says "out of memory" (Apple MPS) or "can't
allocate memory" (the CPU allocator).  `fit_in_memory` turns all of them into
`MemoryError`, and `OutOfMemoryRetry` decides what to try next: half the
batch, then the CPU, then give up with a message.
"""

from __future__ import annotations

import gc
from typing import Iterator, TypeVar

import torch

from ..errors import CellCounterError
from .device import pick_device

T = TypeVar("T")
OUT_OF_MEMORY_TEXT = ("out of memory", "can't allocate memory", "cannot allocate memory")


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` means a device or the computer ran out of memory."""
    if isinstance(exc, (MemoryError, torch.OutOfMemoryError)):
        return True
    return isinstance(exc, RuntimeError) and any(text in str(exc).lower() for text in OUT_OF_MEMORY_TEXT)


def free_memory() -> None:
    """Drop unreachable tensors and return cached GPU memory to the driver."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def fit_in_memory(reports: Iterator[T]) -> Iterator[T]:
    """Pass ``reports`` through; an out-of-memory error of any device is raised as `MemoryError`."""
    try:
        yield from reports
    except (MemoryError, RuntimeError) as exc:
        if not is_out_of_memory(exc):
            raise
        free_memory()
        raise MemoryError(str(exc)) from exc


class OutOfMemoryRetry:
    """The batch size and device of the next try after running out of memory.

    Halves the batch down to 1; then, on a GPU, moves to the CPU with the
    first batch size; on the CPU with batch 1 there is nothing left to try.

    Examples
    --------
    >>> retry = OutOfMemoryRetry(4, "cpu")
    >>> retry.next(MemoryError()), (retry.batch_size, retry.device)
    ('Out of memory on the CPU with batch 4: retrying with batch 2.', (2, 'cpu'))
    """

    def __init__(self, batch_size: int, device: str):
        self.first_batch = self.batch_size = int(batch_size)
        self.device = device

    def next(self, exc: BaseException) -> str:
        """Move to the next try and say so; `CellCounterError` when none is left."""
        on_cpu = self.device == "cpu" or pick_device(self.device).type == "cpu"
        where = "on the CPU" if on_cpu else "on the GPU"
        if self.batch_size > 1:
            old, self.batch_size = self.batch_size, max(1, self.batch_size // 2)
            return f"Out of memory {where} with batch {old}: retrying with batch {self.batch_size}."
        if not on_cpu:
            self.device, self.batch_size = "cpu", self.first_batch
            return (f"Out of memory on the GPU even with batch 1: training on the CPU instead "
                    f"(slower), batch {self.batch_size}.")
        raise CellCounterError(f"training ran out of memory on the CPU even with batch 1 ({exc}); close other "
                               "programs or use smaller training crops") from exc
