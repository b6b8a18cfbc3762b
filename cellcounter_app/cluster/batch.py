"""`count_batch_on_cluster`: the events of `count_batch`, with each image counted as a Dask task."""

from __future__ import annotations

import dataclasses
import logging
import os
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..export import check_image_outputs
from ..inference import Predictor, load_model
from ..markers import PairedImage
from ..markers.score import rescore_batch
from ..pipeline import (BatchFinished, BatchStarted, CountRequest, Event, ImageCounted, batch_files,
                        default_model_name, effective_params, failed_result, image_name, model_info, naming_root)
from ..postprocess import PostprocessParams
from ..results import ImageResult
from .address import DaskAddress
from .client import ClusterError, import_distributed, open_client, worker_count
from .worker import count_on_worker, probe

log = logging.getLogger(__name__)

WORKERS_RECOUNTED_S = 2.0

TASKS_PER_WORKER = 4
"""Images queued per worker at a time: enough to keep every worker busy, few enough to cancel quickly and to
keep the scheduler's memory flat over a batch of a million images."""


def count_batch_on_cluster(
    request: CountRequest,
    address: DaskAddress,
    *,
    cancel: Callable[[], bool] | None = None,
    tasks_per_worker: int = TASKS_PER_WORKER,
) -> Iterator[Event]:
    """Count every image of ``request.inputs`` on the Dask cluster at ``address``, yielding progress events.

    The same events as `cellcounter_app.pipeline.count_batch` (no
    `ImageStarted`: the images run on the workers), with the results in
    input order. Each image is a task running `count_file` on a worker, which
    loads the model once and writes the image's label TIFF and overlay; an
    image that fails comes back as an error result, and one whose worker died
    is retried elsewhere by Dask and, when it kills that worker too, recorded
    as an error. ``cancel()`` is checked between images; closing the
    generator (Ctrl+C in the CLI) cancels the tasks not yet collected and
    closes the client (and the local cluster).

    Raises
    ------
    ModelError, ParameterError
        The model cannot be loaded here or a parameter is invalid (before
        the cluster is reached).
    ClusterError
        Dask is missing, the scheduler cannot be reached, a worker cannot read
        the first image or load the model (before `BatchStarted`), or the
        scheduler is lost during the batch.
    CellCounterError
        A label image or overlay could not be written (checked before the first image).
    """
    start = time.perf_counter()
    model = request.model or default_model_name()
    predictor = load_model(model, use_gpu=False, threads=1)  # checks the model and the parameters here, at once
    params = effective_params(predictor, request.params)
    files, skipped, paired = batch_files(request)
    root = naming_root(request.inputs)
    names = [image_name(path, root) for path in files]
    check_image_outputs(names, request.labels_dir, request.overlays_dir, force=request.force,
                        rois_dir=request.rois_dir, geojson_dir=request.geojson_dir)
    import_distributed()
    with open_client(address) as client:
        threads = request.threads
        if threads is None and address.kind == "local":  # N workers share the cores instead of each taking all
            threads = max(1, (os.cpu_count() or 1) // worker_count(client))
        if files:
            _check_workers(client, files[0], model, request.use_gpu, threads)
        yield BatchStarted(len(files), tuple(skipped),
                           dataclasses.replace(model_info(predictor), provider=address.describe()))
        results: list[ImageResult] = []
        cancelled = False
        tasks = _Tasks(client, request, model, threads, params, tasks_per_worker)
        stream = tasks.stream(files, names, paired, predictor)
        try:
            for index, result in stream:
                results.append(result)
                yield ImageCounted(index, len(files), result)
                if cancel is not None and cancel() and index + 1 < len(files):
                    cancelled = True
                    break
        finally:
            stream.close()
    if request.marker_scope == "batch" and any(r.ok for r in results):
        for marker in (m for m in request.markers if any(f"{m.name}_positive" in r.cells for r in results)):
            rescore_batch(results, marker.name, marker.rule)
    yield BatchFinished(tuple(results), cancelled, time.perf_counter() - start)


def _check_workers(client: Any, first: Path, model: str, use_gpu: bool, threads: int | None) -> None:
    """Before the batch: a worker must read the first image where this computer does and load the model."""
    try:
        problem = client.submit(probe, [first], model, use_gpu, threads, pure=False).result()
    except Exception as exc:
        raise ClusterError(f"the Dask workers cannot run CellCounter ({type(exc).__name__}: {exc}); install the same"
                           " CellCounter in the workers' environment") from None
    if problem:
        raise ClusterError(problem)


class _Tasks:
    """The batch's tasks on the cluster: a bounded queue submitted in input order and collected in it."""

    def __init__(self, client: Any, request: CountRequest, model: str, threads: int | None,
                 params: PostprocessParams, tasks_per_worker: int):
        self.client = client
        self.request = request
        self.model = model
        self.threads = threads
        self.params = params
        self.tasks_per_worker = max(1, tasks_per_worker)
        self.token = uuid.uuid4().hex[:12]
        self.distributed = import_distributed()
        self._limit, self._counted_at = 0, -float("inf")

    def stream(self, files: Sequence[Path], names: Sequence[str], paired: dict[Path, PairedImage],
               predictor: Predictor) -> Iterator[tuple[int, ImageResult]]:
        """``(index, result)`` in input order; the tasks not yet collected are cancelled when it is closed."""
        queued: deque[tuple[int, Any]] = deque()
        following = iter(range(len(files)))
        try:
            self._top_up(queued, following, files, names, paired)
            while queued:
                index, future = queued.popleft()
                result = self._collect(future, files[index], names[index], predictor)
                self._top_up(queued, following, files, names, paired)
                yield index, result
        finally:
            if queued:
                self.client.cancel([future for _, future in queued])

    def _top_up(self, queued: deque[tuple[int, Any]], following: Iterator[int], files: Sequence[Path],
                names: Sequence[str], paired: dict[Path, PairedImage]) -> None:
        while len(queued) < self._queue_limit():
            index = next(following, None)
            if index is None:
                return
            path = files[index]
            future = self.client.submit(
                count_on_worker, self.request, self.model, self.threads, path, names[index], paired.get(path),
                self.params, key=f"cellcounter-{self.token}-{index}", priority=-index, retries=1, pure=False)
            queued.append((index, future))

    def _queue_limit(self) -> int:
        """`tasks_per_worker` for each worker, recounted every few seconds (workers join and leave)."""
        if time.monotonic() - self._counted_at > WORKERS_RECOUNTED_S:
            self._limit = self.tasks_per_worker * worker_count(self.client)
            self._counted_at = time.monotonic()
        return self._limit

    def _collect(self, future: Any, path: Path, name: str, predictor: Predictor) -> ImageResult:
        try:
            return future.result()
        except self.distributed.KilledWorker:
            log.error("%s: the Dask workers counting it died", name)
            return failed_result(path, name, "the Dask worker counting it died each time it was tried (out of memory"
                                 " or a crash; see the workers' logs)", predictor, self.params)
        except self.distributed.client.FutureCancelledError:
            raise ClusterError(f"the Dask scheduler cancelled the task of {name}; was the cluster shut down?") from None
        except OSError as exc:
            raise ClusterError(f"lost the Dask scheduler while counting {name}: {exc}") from None
        except Exception as exc:  # the task raised on the worker (count_file returns errors as results)
            log.error("%s: the Dask task failed: %s: %s", name, type(exc).__name__, exc)
            return failed_result(path, name, f"internal error on a Dask worker: {type(exc).__name__}: {exc}",
                                 predictor, self.params)
