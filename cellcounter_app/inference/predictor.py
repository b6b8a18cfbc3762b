"""What every model looks like to the rest of CellCounter.

`OnnxModel` and `ClassicalModel` both satisfy the `Predictor` protocol: they
turn an image into a cell-probability map and report which model and which
execution provider made it.  Long predictions report progress through
``on_tile`` and stop cooperatively when ``cancel`` returns True.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from ..errors import CellCounterError
from .metadata import ModelMeta

TileCallback = Callable[[int, int], None]
"""Called as ``on_tile(done, total)`` after each tile."""

CancelCallback = Callable[[], bool]
"""Polled between tiles; returning True stops the prediction."""


class CancelledError(CellCounterError):
    """A prediction was stopped because its ``cancel`` callback returned True."""


@runtime_checkable
class Predictor(Protocol):
    """A model that maps an image to a cell-probability map.

    Attributes
    ----------
    meta : ModelMeta
        The model's declared settings (name, version, post-processing defaults...).
    provider : str
        The execution provider really in use ("CPUExecutionProvider",
        "CUDAExecutionProvider", "numpy" for the classical model).
    sha256 : str
        SHA-256 of the model file ("" when there is no file).
    path : Path or None
        The model file, None for built-in models.
    """

    @property
    def meta(self) -> ModelMeta: ...

    @property
    def provider(self) -> str: ...

    @property
    def sha256(self) -> str: ...

    @property
    def path(self) -> Path | None: ...

    def predict(
        self,
        image: np.ndarray,
        *,
        on_tile: TileCallback | None = None,
        cancel: CancelCallback | None = None,
    ) -> np.ndarray:
        """Cell probability of every pixel.

        Parameters
        ----------
        image : ndarray
            2-D ``(H, W)`` or channels-last ``(H, W, C)``, any numeric dtype.
        on_tile : callable, optional
            Progress callback ``on_tile(done, total)``.
        cancel : callable, optional
            Polled between tiles; when it returns True, `CancelledError` is raised.

        Returns
        -------
        ndarray
            ``(H, W)`` with values in [0, 1]: float32, or float16 above
            `cellcounter_app.inference.maps.HALF_MAP_PIXELS` pixels.
        """
        ...
