"""What runs on a Dask worker: one image of the batch, with the model loaded once per worker process."""

from __future__ import annotations

import logging
import os
import socket
import threading
from pathlib import Path
from typing import Any

from ..errors import CellCounterError
from ..inference import Predictor, load_model
from ..markers import PairedImage
from ..pipeline import CountRequest, count_file
from ..postprocess import PostprocessParams
from ..results import ImageResult

_MODELS: dict[tuple[str, bool, int | None], Predictor] = {}
_LOADING = threading.Lock()


def worker_model(name: str, use_gpu: bool, threads: int | None) -> Predictor:
    """The model ``name``, loaded on the first image this worker process counts and kept for the next ones."""
    key = (name, use_gpu, threads)
    with _LOADING:
        if key not in _MODELS:
            _set_up_logging()
            _MODELS[key] = load_model(name, use_gpu=use_gpu, threads=threads)
        return _MODELS[key]


def count_on_worker(request: CountRequest, model: str, threads: int | None, path: Path, name: str,
                    paired: PairedImage | None, params: PostprocessParams) -> ImageResult:
    """Count one image of the batch: `count_file` with this worker's model (an error comes back as a result)."""
    predictor = worker_model(model, request.use_gpu, threads)
    return count_file(request, predictor, path, name, paired, params=params)


def probe(paths: list[Path], model: str, use_gpu: bool, threads: int | None) -> str:
    """Before the batch, on one worker: '' when it can read ``paths`` and load the model, else why not."""
    for path in paths:
        if not os.access(path, os.R_OK):
            where = "does not exist" if not os.path.exists(path) else "cannot be read"
            return (f"{path} {where} on the Dask worker {socket.gethostname()}; the workers must see the images "
                    "at the same path as this computer (a shared file system)")
    try:
        worker_model(model, use_gpu, threads)
    except Exception as exc:  # the worker's own reason, sent back to the client
        return f"the Dask worker {socket.gethostname()} cannot load the model {model}: {exc}"
    return ""


class _NotReportedByTheClient(logging.Filter):
    """Drop what the client reports anyway: a failed image comes back as its error row, and other libraries'
    warnings about the same file (``tifffile: invalid offset ...``); escape control characters in the rest."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("cellcounter_app"):
            return record.levelno >= logging.ERROR
        args: Any = record.args
        if (record.levelno == logging.WARNING and isinstance(args, tuple) and len(args) == 1
                and isinstance(args[0], CellCounterError)):
            return False
        record.msg, record.args = _printable(record.getMessage()), None
        return True


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() or c == "\n" else repr(c)[1:-1] for c in text)


def _set_up_logging() -> None:
    """Where nobody configured the worker's logging (a local cluster's workers): warnings and errors on stderr,
    named as the worker's, without the ones the client reports."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s (Dask worker): %(message)s"))
        handler.addFilter(_NotReportedByTheClient())
        root.addHandler(handler)
