"""ONNX Runtime sessions: options, execution-provider choice and honest fallback.

CUDA is used only when it really runs: it must be listed by ONNX Runtime,
the session must accept it and report it first.  Otherwise a warning is
logged and a CPU-only session is used.  ONNX Runtime's own console chatter is
silenced and its Python warnings are passed on to `logging`.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import onnxruntime as ort

from ..errors import ModelError

logger = logging.getLogger(__name__)

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"

MAX_THREADS = 256
"""The most CPU threads a session may be given (more only adds memory and contention)."""

QUIET = 3
"""ONNX Runtime log severity shown: errors and worse (0 verbose ... 4 fatal)."""

# the process-wide logger prints the CUDA provider's "cannot load library" lines on PCs without
# CUDA before any session option applies; the fallback is reported through `logging` instead
ort.set_default_logger_severity(QUIET)


def session_options(threads: int | None = None) -> ort.SessionOptions:
    """Options for a quiet, fully optimised session using ``threads`` CPU threads.

    ``threads`` defaults to ``os.cpu_count()``; one operator runs at a time
    (``inter_op_num_threads = 1``), each on all threads.
    """
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)
                                or not 1 <= threads <= MAX_THREADS):
        raise ModelError(f"threads must be an integer from 1 to {MAX_THREADS} or None, got {threads!r}")
    options = ort.SessionOptions()
    options.log_severity_level = QUIET
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return options


def open_session(
    path: str | Path, providers: Sequence[str], options: ort.SessionOptions
) -> ort.InferenceSession:
    """An `ort.InferenceSession` for ``path``; any failure becomes a `ModelError` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            session = ort.InferenceSession(str(path), sess_options=options, providers=list(providers))
        except Exception as exc:  # ORT raises several unrelated exception types
            raise ModelError(f"{path}: cannot load the ONNX model ({first_line(exc)})") from exc
    for warning in caught:
        logger.warning("%s: onnxruntime: %s", path.name, warning.message)
    return session


def choose_session(path: str | Path, *, use_gpu: bool = True, threads: int | None = None) -> ort.InferenceSession:
    """Open ``path`` on CUDA when asked for and really available, else on the CPU.

    Parameters
    ----------
    path : str or Path
        The ``.onnx`` file.
    use_gpu : bool
        Try ``CUDAExecutionProvider`` first when ONNX Runtime lists it.
    threads : int, optional
        CPU threads (default: ``os.cpu_count()``).

    Returns
    -------
    onnxruntime.InferenceSession
        Its ``get_providers()[0]`` is the provider really in use.

    Raises
    ------
    ModelError
        The file is missing or not a loadable ONNX model.
    """
    options = session_options(threads)
    if use_gpu and CUDA in ort.get_available_providers():
        try:
            session = open_session(path, [CUDA, CPU], options)
        except ModelError as exc:
            logger.warning("%s: could not open with CUDA, trying the CPU: %s", Path(path).name, exc)
        else:
            in_use = session.get_providers()
            if in_use and in_use[0] == CUDA:
                return session
            logger.warning(
                "%s: CUDA is installed but unusable (session providers: %s); using the CPU",
                Path(path).name, ", ".join(in_use) or "none",
            )
            if list(in_use) == [CPU]:
                return session
    return open_session(path, [CPU], options)


def read_properties(path: str | Path) -> dict[str, str]:
    """The ``metadata_props`` of an ONNX file, read with a minimal CPU session.

    The file is fully loaded and checked by ONNX Runtime (so a broken file
    raises `ModelError` here) but not optimised.
    """
    options = session_options(1)
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = open_session(path, [CPU], options)
    return dict(session.get_modelmeta().custom_metadata_map)


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type when it has none)."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
