"""Count cells in images: the one pipeline shared by the CLI and the GUI.

:func:`count_batch` is a generator of progress events with cooperative cancel;
the CLI drains it with a progress bar, the GUI runs it in its worker bridge.
:func:`count_image` counts one image with a loaded model, and
:func:`recount` re-runs post-processing and measurement on a cached
probability map (the live preview behind the threshold slider).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from .errors import CellCounterError
from .export import check_image_outputs, label_path, overlay_path, write_label_image, write_overlay
from .inference import CancelledError, Predictor, load_model, list_models
from .inference.rescale import NO_RESCALE_TOLERANCE, predict_at_scale, resize_labels, resize_probability
from .io import LoadedImage, ReadOptions, find_images, read_image
from .markers import MarkerSpec, PairedImage, PairPattern, check_setup, pair_files
from .markers.channels import detection_image
from .markers.score import applicable, marker_planes, read_siblings, rescore_batch, score_image
from .measure import measure_cells, summarize
from .postprocess import PostprocessParams, postprocess
from .postprocess.size import DEFAULT_SIZE, SizeSetting, derive_params, enlargement_note
from .postprocess.stain import cell_stain, stain_filter
from .reliability import reliability_params, uncertain_share
from .results import STATUS_ERROR, ImageResult, ModelInfo
from .size_decision import SizeDecision, resolve_size

log = logging.getLogger(__name__)

DEFAULT_MODEL_ORDER = ("nuclei", "classical")


def default_model_name() -> str:
    """The model used when none is named: ``nuclei`` when installed, else ``classical``."""
    names = {entry.name for entry in list_models()}
    return next(name for name in DEFAULT_MODEL_ORDER if name in names or name == "classical")


@dataclass(frozen=True)
class CountRequest:
    """Everything a batch needs, frozen before the work starts.

    ``params`` holds only the parameters the user set (in image pixels); the
    others come from the model's own defaults, converted to each image's cell
    size (see :func:`resolve_size`).

    Markers (see `cellcounter_app.markers`): cells are found in
    ``detect_channel`` (or ``read.channel``) and each of ``markers`` is
    measured in its own channel of the same file or in a sibling file paired
    by ``pair``; ``marker_scope`` ``"batch"`` fits automatic positivity rules
    to the cells of all images at once (final at `BatchFinished`).
    """

    inputs: tuple[Path, ...]
    model: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    diameter: SizeSetting = field(default_factory=SizeSetting)
    read: ReadOptions = field(default_factory=ReadOptions)
    pixel_size_um: float | None = None
    use_gpu: bool = True
    threads: int | None = None
    labels_dir: Path | None = None
    overlays_dir: Path | None = None
    rois_dir: Path | None = None
    geojson_dir: Path | None = None
    keep_arrays: bool = False
    force: bool = False
    detect_channel: int | str | None = None
    markers: tuple[MarkerSpec, ...] = ()
    pair: PairPattern | None = None
    marker_scope: str = "image"

    def __post_init__(self) -> None:
        setup = check_setup(self.markers, self.read.channel, self.detect_channel, self.pair, self.marker_scope)
        object.__setattr__(self, "markers", setup.markers)
        object.__setattr__(self, "detect_channel", setup.detect_channel)

    @property
    def detection_channel(self) -> int | str | None:
        """The channel cells are found in (None: every channel, as the model reads them)."""
        return self.detect_channel if self.detect_channel is not None else self.read.channel

    @property
    def channel_in_file(self) -> int | str | None:
        """The detection channel to pick from a file read whole (None when `image_read` picks it)."""
        return self.detection_channel if self.markers or self.detect_channel is not None else None

    @property
    def image_read(self) -> ReadOptions:
        """How each counted file is read: every channel when markers or a detection channel need them."""
        if self.markers or self.detect_channel is not None:
            return ReadOptions(channel=None, z=self.read.z)
        return self.read


@dataclass(frozen=True)
class BatchStarted:
    total: int
    skipped: tuple[tuple[Path, str], ...]
    model: ModelInfo


@dataclass(frozen=True)
class ImageStarted:
    index: int
    total: int
    path: Path


@dataclass(frozen=True)
class ImageCounted:
    index: int
    total: int
    result: ImageResult


@dataclass(frozen=True)
class BatchFinished:
    results: tuple[ImageResult, ...]
    cancelled: bool
    seconds: float

    @property
    def n_counted(self) -> int:
        return sum(1 for r in self.results if r.ok)


Event = BatchStarted | ImageStarted | ImageCounted | BatchFinished


def effective_params(model: Predictor, overrides: Mapping[str, Any] | None = None) -> PostprocessParams:
    """The model's default post-processing parameters with ``overrides`` applied."""
    return model.meta.default_params().replace(**dict(overrides or {}))


def model_info(model: Predictor) -> ModelInfo:
    return ModelInfo(model.meta.name, model.meta.version, model.sha256, model.provider)


def naming_root(inputs: Sequence[Path]) -> Path:
    """The folder image names are made relative to: the common ancestor of the inputs."""
    anchors = [p if p.is_dir() else p.parent for p in (Path(i).resolve() for i in inputs)]
    if not anchors:
        return Path.cwd()
    return Path(os.path.commonpath([str(a) for a in anchors]))


def image_name(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX form (the ``image`` column of the exports)."""
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return Path(path).name


def recount(
    probability: np.ndarray,
    intensity: np.ndarray | None,
    params: PostprocessParams,
    pixel_size_um: float | None = None,
    *,
    scale: float = 1.0,
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, float]]:
    """Post-process a probability map and measure the cells: ``(labels, cells, summary)``.

    Fast enough to follow a slider: it never re-runs the network.  ``params``
    are in image pixels.  When the image was shrunk for the network
    (``scale`` < 1, cells larger than the model's), the objects are found at
    the network's scale and their labels enlarged back, which costs a fraction
    of post-processing at full size; measurements are always taken on the
    full-size image.  Cells fainter than ``params.min_stain`` (their signal
    over the background around them, in units of the image's noise) are
    dropped here, where the image is at hand.
    """
    return recount_with_stain(probability, intensity, params, pixel_size_um, scale=scale)[:3]


def recount_with_stain(
    probability: np.ndarray,
    intensity: np.ndarray | None,
    params: PostprocessParams,
    pixel_size_um: float | None = None,
    *,
    scale: float = 1.0,
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, float], np.ndarray]:
    """`recount`, and the stain of every object found before ``min_stain`` dropped the faint ones.

    A count with ``min_stain`` t keeps exactly the objects whose value there
    is at least t (empty without an image).
    """
    labels, stain, every = find_cells(probability, intensity, params, scale=scale)
    cells = measure_cells(labels, intensity, pixel_size_um, stain=stain)
    summary = summarize(labels, cells, pixel_size_um)
    return labels, cells, summary, every


def find_cells(
    probability: np.ndarray, intensity: np.ndarray | None, params: PostprocessParams, *, scale: float = 1.0,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """The cells of a probability map before they are measured: ``(labels, stain of the kept cells,
    stain of every object found)`` (see `recount_with_stain`)."""
    if scale < 1.0 - NO_RESCALE_TOLERANCE:
        small = resize_probability(probability, tuple(max(1, round(n * scale)) for n in probability.shape))
        found = postprocess(small, derive_params(params, 1.0 / scale))
        del small  # freed before the full-size labels are made
        labels = resize_labels(found, probability.shape)
        del found
    else:
        labels = postprocess(probability, params)
    every = cell_stain(labels, intensity) if intensity is not None else np.zeros(0)
    labels, stain = stain_filter(labels, intensity, params.min_stain, stain=every)
    return labels, stain, every


def count_image(
    image: LoadedImage,
    model: Predictor,
    overrides: Mapping[str, Any] | None = None,
    *,
    size: SizeSetting = DEFAULT_SIZE,
    name: str | None = None,
    pixel_size_um: float | None = None,
    cancel: Callable[[], bool] | None = None,
    keep_arrays: bool = True,
    keep_probability: bool = True,
    detect_channel: int | str | None = None,
    markers: Sequence[MarkerSpec] = (),
    siblings: Mapping[str, LoadedImage] | None = None,
) -> ImageResult:
    """Count the cells of one loaded image.

    The image is resized so its cells match the model's trained size
    (``size``: a diameter in px or µm, ``auto``, or the model's native scale),
    and the probability map and every measurement are returned in the image's
    own pixels.  ``overrides`` are the parameters the user set (image pixels);
    ``pixel_size_um`` overrides the image's calibration.  The label image and
    the probability map are kept in the result with ``keep_arrays``, the map
    only with ``keep_probability`` too.
    With ``detect_channel`` the cells are found in that channel of ``image``
    (all channels read); each of ``markers`` is then measured in its channel
    of ``image`` or in its image of ``siblings`` (keyed by marker name) and
    scored (`cellcounter_app.markers.score_image`).
    Raises `CancelledError` when ``cancel()`` becomes true during inference.
    """
    start = time.perf_counter()
    full = image
    setup = applicable(image, detect_channel, markers)
    detect_channel, markers = setup.detect_channel, setup.markers
    image = detection_image(image, detect_channel)
    calibration = pixel_size_um if pixel_size_um is not None else image.pixel_size_um
    decision = resolve_size(model, image.data, size, calibration, overrides, cancel)
    probability: np.ndarray | None = predict_at_scale(model, image.data, decision.scale, cancel=cancel)
    labels, stain, _ = find_cells(probability, image.data, decision.params, scale=decision.scale)
    share = uncertain_share(labels, probability, decision.params.threshold)
    if not (keep_arrays and keep_probability):
        probability = None  # freed before measuring: a 20000² map is 0.75 GiB
    cells = measure_cells(labels, image.data, calibration, stain=stain)
    summary = summarize(labels, cells, calibration)
    params = {**decision.params.to_dict(), **decision.as_record()}
    if detect_channel is not None:
        params["detect_channel"] = detect_channel
    result = ImageResult(
        path=image.path,
        name=name or image.path.name,
        summary=summary,
        cells=cells,
        model=model_info(model),
        params=params,
        timestamp=_now(),
        labels=labels if keep_arrays else None,
        probability=probability,
    )
    if markers:
        score_image(result, labels, marker_planes(full, markers, siblings), markers)
    enlarged = enlargement_note(decision.scale, decision.diameter_px, model.meta.diameter_px, image.data.shape)
    if note := "; ".join(filter(None, (*full.notes, setup.note, enlarged))):
        result.params["note"] = note
    result.params.update(reliability_params(cells, labels, None, result.params, share=share))
    result.seconds = time.perf_counter() - start
    return result


def failed_result(path: Path, name: str, error: str, model: Predictor | None = None,
                  params: PostprocessParams | None = None) -> ImageResult:
    """The record of an image that could not be counted."""
    return ImageResult(
        path=path,
        name=name,
        status=STATUS_ERROR,
        error=error,
        model=model_info(model) if model is not None else None,
        params=params.to_dict() if params is not None else {},
        timestamp=_now(),
    )


def batch_files(request: CountRequest) -> tuple[list[Path], list[tuple[Path, str]], dict[Path, PairedImage]]:
    """The files a batch counts, the ones skipped and why, and the sibling files of each (``--pair``)."""
    files, skipped = find_images(request.inputs)
    paired: dict[Path, PairedImage] = {}
    if request.pair is not None:
        pairing = pair_files(files, request.pair)
        files = [image.detect for image in pairing.images]
        skipped = [*skipped, *pairing.unpaired]
        paired = {image.detect: image for image in pairing.images}
    return list(files), list(skipped), paired


def count_batch(
    request: CountRequest,
    *,
    model: Predictor | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Iterator[Event]:
    """Count every image of ``request.inputs``, yielding progress events.

    Folders are searched recursively; non-image files are reported in
    `BatchStarted.skipped`.  An image that fails is recorded with its error and
    the batch goes on.  ``cancel()`` is checked between images and between
    inference tiles; after a cancel the images already counted are kept.

    Raises
    ------
    ModelError
        When the model cannot be loaded (before any event is yielded).
    ParameterError
        When a parameter override is invalid.
    CellCounterError
        When a label image or overlay could not be written (checked before
        the first image; see `check_image_outputs`).
    """
    start = time.perf_counter()
    predictor = model or load_model(request.model or default_model_name(),
                                    use_gpu=request.use_gpu, threads=request.threads)
    params = effective_params(predictor, request.params)  # validates the overrides up front
    files, skipped, paired = batch_files(request)
    root = naming_root(request.inputs)
    check_image_outputs([image_name(path, root) for path in files], request.labels_dir, request.overlays_dir,
                        force=request.force, rois_dir=request.rois_dir, geojson_dir=request.geojson_dir)
    yield BatchStarted(len(files), tuple(skipped), model_info(predictor))
    results: list[ImageResult] = []
    cancelled = False
    for index, path in enumerate(files):
        if cancel is not None and cancel():
            cancelled = True
            break
        yield ImageStarted(index, len(files), path)
        try:
            result = count_file(request, predictor, path, image_name(path, root), paired.get(path),
                                params=params, cancel=cancel)
        except CancelledError:
            cancelled = True
            break
        results.append(result)
        yield ImageCounted(index, len(files), result)
    if request.marker_scope == "batch" and any(r.ok for r in results):
        for marker in (m for m in request.markers if any(f"{m.name}_positive" in r.cells for r in results)):
            rescore_batch(results, marker.name, marker.rule)
    yield BatchFinished(tuple(results), cancelled, time.perf_counter() - start)


def count_file(
    request: CountRequest,
    predictor: Predictor,
    path: Path,
    name: str,
    paired: PairedImage | None = None,
    *,
    params: PostprocessParams | None = None,
    cancel: Callable[[], bool] | None = None,
) -> ImageResult:
    """Count one file of a batch: read it, count it, write its label image and overlay.

    The step `count_batch` takes for each image, and what a cluster worker
    runs (`cellcounter_app.cluster`).  An image that fails comes back as an
    error result (`failed_result`) and is logged; only a cancel raises.
    ``paired`` names the sibling files of the markers (``request.pair``);
    ``params`` are the effective parameters recorded on an error result.

    Raises
    ------
    CancelledError
        When ``cancel()`` becomes true during inference.
    """
    try:
        loaded = read_image(path, request.image_read)
        siblings = read_siblings(paired, request.markers, request.read.z) if paired is not None else None
        result = count_image(loaded, predictor, request.params, size=request.diameter, name=name,
                             pixel_size_um=request.pixel_size_um, cancel=cancel,
                             keep_arrays=True, keep_probability=request.keep_arrays,
                             detect_channel=request.channel_in_file, markers=request.markers, siblings=siblings)
        try:
            _write_image_outputs(request, detection_image(loaded, result.params.get("detect_channel")), result)
        except (CellCounterError, OSError) as exc:  # checked before the batch (a full disk?): keep the count
            log.error("%s: counted, but its label image or overlay could not be written: %s", name, exc)
        if not request.keep_arrays:
            result.labels = result.probability = None
        return result
    except CancelledError:
        raise
    except CellCounterError as exc:
        log.warning("%s", exc)
        return failed_result(path, name, _reason(exc, path), predictor, params)
    except MemoryError:
        log.exception("out of memory counting %s", path)
        return failed_result(path, name, "not enough memory to count this image", predictor, params)
    except Exception as exc:  # a bug must not end the batch; it is logged with its traceback
        log.exception("unexpected error counting %s", path)
        return failed_result(path, name, f"internal error: {type(exc).__name__}: {exc}", predictor, params)


def _reason(exc: CellCounterError, path: Path) -> str:
    """The error text without a leading copy of the file name (the table already names it)."""
    reason = getattr(exc, "reason", None)
    return reason if reason else str(exc)


def _write_image_outputs(request: CountRequest, image: LoadedImage, result: ImageResult) -> None:
    if request.labels_dir is not None:
        target = label_path(request.labels_dir, result.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_label_image(result.labels, target, force=request.force,
                          pixel_size_um=result.summary.get("pixel_size_um"))
    if request.overlays_dir is not None:
        target = overlay_path(request.overlays_dir, result.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_overlay(image.data, result.labels, target, cells=result.cells, force=request.force)


def _now() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


__all__ = [
    "BatchFinished", "BatchStarted", "CountRequest", "Event", "ImageCounted", "ImageStarted",
    "count_batch", "count_file", "count_image", "default_model_name", "effective_params",
    "failed_result", "image_name", "model_info", "naming_root", "recount", "resolve_size",
    "SizeDecision",
]
