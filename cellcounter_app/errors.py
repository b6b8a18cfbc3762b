"""The error types CellCounter raises on purpose.

Every error names the file (when there is one) and the reason, so that a batch
can record it next to the image and carry on with the rest.
"""

from __future__ import annotations

from pathlib import Path


class CellCounterError(Exception):
    """Base class of every error CellCounter raises on purpose."""


class ImageReadError(CellCounterError):
    """A file could not be read as an image.

    Attributes
    ----------
    path : Path
        The file that failed.
    reason : str
        A short human-readable reason ("zero-byte file", "truncated TIFF", ...).

    Examples
    --------
    >>> err = ImageReadError("a01.tif", "zero-byte file")
    >>> str(err)
    'a01.tif: zero-byte file'
    """

    def __init__(self, path: str | Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ModelError(CellCounterError):
    """A model could not be found, loaded or run."""


class ParameterError(CellCounterError, ValueError):
    """A parameter is outside its allowed range or of the wrong type."""
