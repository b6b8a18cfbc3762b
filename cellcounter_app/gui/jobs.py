"""The work the window hands to its worker: counting project images, and live recounts.

Qt-free.  A request is frozen on the GUI thread from the project
(:func:`count_request`) and only the request travels to the worker, which
runs :func:`run_count`, a generator over the shared pipeline's
`~cellcounter_app.pipeline.count_batch`.  :func:`preview` re-runs
post-processing on a cached probability map for the threshold slider;
:func:`stain_candidates` gives the stain of every object found before
``min_stain`` drops the faint ones (the Stain panel's histogram); a preview
gives them too, measured in the same pass.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import numpy as np
from ..inference import Predictor, load_model
from ..io import LoadedImage, ReadOptions
from ..markers import MarkerSpec
from ..markers.channels import detection_image
from ..markers.score import applicable, marker_planes, score_image
from ..pipeline import CountRequest, ImageCounted, ImageStarted, count_batch, default_model_name, recount_with_stain
from ..postprocess.size import SizeSetting, derive_params
from ..project import Project
from ..reliability import reliability_params
from ..results import ImageResult
from ..markers.setup import marker_specs


PROJECT_MODELS_DIR = "models"
"""Models trained in a project live in this folder of the project (found before the installed ones)."""


class ModelCache:
    """Loaded models by (name, GPU, threads), shared by the batch and the preview threads.

    ``extra_dirs`` (the open project's models folder) are searched before the
    installed models.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[tuple[str, bool, int | None], Predictor] = {}
        self.extra_dirs: tuple[Path, ...] = ()

    def set_extra_dirs(self, folders: tuple[Path, ...]) -> None:
        """Search these folders first (models loaded from elsewhere are forgotten when they change)."""
        with self._lock:
            if folders != self.extra_dirs:
                self.extra_dirs = tuple(folders)
                self._models.clear()

    def get(self, name: str, use_gpu: bool = True, threads: int | None = None) -> Predictor:
        """The model ``name`` (loaded on first use; raises `ModelError` when it cannot be)."""
        key = (name or default_model_name(), use_gpu, threads)
        with self._lock:
            if key not in self._models:
                self._models[key] = load_model(key[0], use_gpu=use_gpu, threads=threads,
                                               extra_dirs=self.extra_dirs)
            return self._models[key]

    def forget(self, name: str) -> None:
        """Load ``name`` again on next use (a new version was trained)."""
        with self._lock:
            for key in [k for k in self._models if k[0] == name]:
                del self._models[key]

    def loaded(self) -> list[Predictor]:
        with self._lock:
            return list(self._models.values())

    def clear(self) -> None:
        with self._lock:
            self._models.clear()


@dataclass(frozen=True)
class ImageJob:
    image_id: str
    path: Path
    overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProjectCountRequest:
    """Images of a project to count, with everything the worker needs."""

    jobs: tuple[ImageJob, ...]
    model: str = ""
    size: SizeSetting = field(default_factory=SizeSetting)
    read: ReadOptions = field(default_factory=ReadOptions)
    pixel_size_um: float | None = None
    use_gpu: bool = True
    threads: int | None = None
    detect_channel: int | str | None = None
    markers: tuple[MarkerSpec, ...] = ()


def count_request(project: Project, image_ids: list[str], *, use_gpu: bool = True,
                  threads: int | None = None) -> ProjectCountRequest:
    """Freeze what counting ``image_ids`` of ``project`` needs (missing files are left out)."""
    defaults = project.defaults
    jobs = tuple(ImageJob(entry.id, entry.path, dict(project.user_params(entry.id)))
                 for entry in (project.image(i) for i in image_ids) if not entry.missing)
    detect_channel, markers = marker_specs(defaults.markers)
    return ProjectCountRequest(jobs, defaults.model, SizeSetting.from_dict(defaults.size), defaults.read,
                               defaults.pixel_size_um, use_gpu, threads, detect_channel, markers)


@dataclass(frozen=True)
class CountStarted:
    total: int
    model: str


@dataclass(frozen=True)
class ImageBegun:
    image_id: str
    done: int
    total: int


@dataclass(frozen=True)
class ImageDone:
    image_id: str
    result: ImageResult
    done: int
    total: int
    seconds_left: float
    """Estimated time to finish the batch (NaN until one image is counted)."""


@dataclass(frozen=True)
class CountEnded:
    cancelled: bool
    counted: int
    failed: int
    seconds: float


def run_count(request: ProjectCountRequest, models: ModelCache,
              cancelled: Callable[[], bool]) -> Iterator[CountStarted | ImageBegun | ImageDone | CountEnded]:
    """Count the request's images with the shared pipeline, yielding progress.

    Images with the same parameters go through one `count_batch`; results
    keep their probability map and labels (for the live preview and the
    project's label images).  Raises `ModelError` before the first event when
    the model cannot be loaded.
    """
    start = time.perf_counter()
    model = models.get(request.model, request.use_gpu, request.threads)
    total = len(request.jobs)
    yield CountStarted(total, model.meta.name)
    groups: dict[tuple, list[ImageJob]] = {}
    for job in request.jobs:
        groups.setdefault(tuple(sorted(job.overrides.items())), []).append(job)
    done = counted = failed = 0
    for jobs in groups.values():
        ids = {_key(job.path): job.image_id for job in jobs}
        batch = CountRequest(tuple(job.path for job in jobs), model.meta.name, dict(jobs[0].overrides),
                             request.size, request.read, request.pixel_size_um, request.use_gpu,
                             request.threads, keep_arrays=True, detect_channel=request.detect_channel,
                             markers=request.markers)
        for event in count_batch(batch, model=model, cancel=cancelled):
            if isinstance(event, ImageStarted):
                yield ImageBegun(ids[_key(event.path)], done, total)
            elif isinstance(event, ImageCounted):
                done += 1
                counted += event.result.ok
                failed += not event.result.ok
                elapsed = time.perf_counter() - start
                result = dataclasses.replace(event.result)
                # count_batch keeps its results until the batch ends: only the copy handed on keeps the arrays
                event.result.labels = event.result.probability = None
                yield ImageDone(ids[_key(result.path)], result, done, total, elapsed / done * (total - done))
        if cancelled():
            break
    yield CountEnded(cancelled() and done < total, counted, failed, time.perf_counter() - start)


def _key(path: Path) -> str:
    return os.path.normcase(str(Path(path).resolve()))


@dataclass(frozen=True)
class PreviewRequest:
    """A recount of one counted image with new parameters (frozen on the GUI thread)."""

    image_id: str
    result: ImageResult
    """The image's last full count, with its probability map."""
    image: LoadedImage
    """The image as read for counting (every channel when markers are scored)."""
    model: str
    overrides: Mapping[str, Any]
    use_gpu: bool = True
    threads: int | None = None
    detect_channel: int | str | None = None
    markers: tuple[MarkerSpec, ...] = ()


def preview(request: PreviewRequest, models: ModelCache) -> ImageResult:
    """Post-process the cached probability map with new parameters, exactly as a full count would.

    The cell size and the network scale of the last count are kept, so the
    labels equal those a new batch count would give; the reliability flag is
    measured again on the new cells (a higher ``min_stain`` may leave only
    clearly stained ones).
    """
    return preview_with_stain(request, models)[0]


def preview_with_stain(request: PreviewRequest, models: ModelCache) -> tuple[ImageResult, np.ndarray]:
    """`preview`, and the stain of every object found before ``min_stain`` dropped any (`stain_candidates`)."""
    base = request.result
    if base.probability is None:
        raise ValueError(f"{base.name}: no probability map to recount")
    model = models.get(request.model, request.use_gpu, request.threads)
    scale = float(base.params.get("scale", 1.0) or 1.0)
    params = derive_params(model.meta.default_params(), scale, request.overrides)
    calibration = base.summary.get("pixel_size_um")
    calibration = calibration if calibration == calibration else None  # NaN: uncalibrated
    setup = applicable(request.image, request.detect_channel, request.markers)
    detected = detection_image(request.image, setup.detect_channel) if request.markers else request.image
    labels, cells, summary, every = recount_with_stain(base.probability, detected.data, params, calibration,
                                                       scale=scale)
    kept = {key: value for key, value in base.params.items() if key not in params.to_dict()}
    result = dataclasses.replace(base, summary=summary, cells=cells, labels=labels,
                                 params={**params.to_dict(), **kept})
    if setup.markers:
        score_image(result, labels, marker_planes(request.image, setup.markers, None), setup.markers)
    result.params.update(reliability_params(cells, labels, base.probability, result.params))
    return result, every


def stain_candidates(request: PreviewRequest, models: ModelCache) -> np.ndarray:
    """The stain of every object post-processing finds in the image, before ``min_stain`` drops any.

    ``min_stain`` is the last step, so a count with ``min_stain`` t keeps
    exactly the objects whose value here is at least t: a histogram of these
    values shows what a threshold keeps and what it drops.
    """
    return np.asarray(preview_with_stain(request, models)[1], dtype=float)
