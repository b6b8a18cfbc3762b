"""Train a model on a project's annotated images: the generator the training panel drains.

`train_project` turns the corrected and annotated images of a project
(`project_data`) into a fine-tuning run (`finetune.finetune`) that exports
``<project>/models/<name>-v<N>.onnx`` (never overwriting an earlier version)
with its ``.pt`` weights and a JSON + Markdown card, then counts the
validation images through the engine with the new model and with the base
model (``classical`` when training from scratch) and yields one
`ProjectTrainResult`.

It never raises into its caller for a training problem: too few
annotations, a missing model, an unreadable image, running out of GPU memory
(it retries with half the batch, then on the CPU, saying so), a NaN loss
(training stops; the model keeps the last good checkpoint) all end with a
result whose ``message`` says what happened.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Union

from ..errors import CellCounterError, ModelError, ParameterError
from ..inference import Predictor, load_model
from ..project import Project
from .config import CHOICES, LOSS_TERMS
from .finetune import FineTuneRequest, FineTuneResult, finetune
from .loop import EpochReport, FinishedReport, StepReport
from .point_targets import POINT_SHAPES
from .project_data import (
    DEFAULT_DIAMETER_PX, AnnotatedImage, TrainingImage, check_enough, load_training_image, split_training,
    training_images,
)
from .project_eval import engine_score
from .project_models import MODELS_DIR, NAME_PATTERN, reserve_model_path, write_project_card
from .resilience import OutOfMemoryRetry, fit_in_memory

log = logging.getLogger(__name__)

MIN_EPOCH_STEPS = 10
"""A few corrected images make epochs of one or two steps, each followed by a validation:
their crops are drawn several times per epoch so that an epoch has at least this many steps."""
CROPS_PER_IMAGE = 4
"""Random crops per image and epoch (`config.TrainConfig.crops_per_image`, which `finetune` keeps)."""


@dataclass(frozen=True)
class ProjectTrainRequest:
    """Everything a project training run needs, frozen on the thread that owns the project.

    ``images`` come from `project_data.training_images`; ``val_images`` are
    image ids or names (empty: a seeded split of ``val_fraction``); ``base``
    a model name (the project's models included) or ``.onnx`` path, empty to
    train from scratch; ``name`` defaults to the base model's name (without
    its ``-v<N>``) or ``model``.  ``diameter_px`` 0: points become cells of
    the image's own cell size.
    """

    project: Path
    images: tuple[AnnotatedImage, ...]
    base: str = ""
    name: str = ""
    val_images: tuple[str, ...] = ()
    val_fraction: float = 0.2
    epochs: int = 50
    minutes: float = 0.0
    loss: str = ""
    point_shape: str = "disc"
    diameter_px: float = 0.0
    batch_size: int = 8
    crop_size: int = 192
    width: int = 16
    seed: int = 0
    device: str = "auto"
    skipped: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "project", Path(self.project))
        object.__setattr__(self, "images", tuple(self.images))
        object.__setattr__(self, "val_images", tuple(self.val_images))
        if self.name and not NAME_PATTERN.match(self.name):
            raise ParameterError(f"model name must be 1-63 letters, digits, '.', '_' or '-', got {self.name!r}")
        if not 0.0 < self.val_fraction < 1.0:
            raise ParameterError(f"val_fraction must be between 0 and 1 (both excluded), got {self.val_fraction}")
        for key, value, low, high in (("epochs", self.epochs, 1, 100_000), ("batch_size", self.batch_size, 1, 512),
                                      ("width", self.width, 4, 128), ("crop_size", self.crop_size, 32, 4096)):
            if not low <= value <= high:
                raise ParameterError(f"{key} must be between {low} and {high}, got {value}")
        if self.crop_size % 16:
            raise ParameterError(f"crop_size must be a multiple of 16, got {self.crop_size}")
        if not 0.0 <= self.minutes <= 100_000.0:
            raise ParameterError(f"minutes must be between 0 (no limit) and 100000, got {self.minutes}")
        if not (self.diameter_px == 0.0 or 1.0 <= self.diameter_px <= 2000.0):
            raise ParameterError(f"diameter_px must be 0 (automatic) or between 1 and 2000, got {self.diameter_px}")
        if self.point_shape not in POINT_SHAPES:
            raise ParameterError(f"point_shape must be one of {', '.join(POINT_SHAPES)}, got {self.point_shape!r}")
        if self.loss and self.loss not in LOSS_TERMS:
            raise ParameterError(f"loss must be one of {', '.join(LOSS_TERMS)}, got {self.loss!r}")
        if self.device not in CHOICES["device"]:
            raise ParameterError(f"device must be one of {', '.join(CHOICES['device'])}, got {self.device!r}")

    @classmethod
    def from_project(cls, project: Project, **options: Any) -> "ProjectTrainRequest":
        """A request over every usable image of ``project`` (call on the thread that owns it)."""
        found = training_images(project)
        return cls(project=project.folder, images=tuple(found.images), skipped=tuple(found.skipped), **options)


@dataclass(frozen=True)
class TrainingNotice:
    """Something the user should read: ``kind`` is ``skipped``, ``out of memory``, ``nan`` or ``cancelled``."""

    kind: str
    message: str


@dataclass(frozen=True)
class TrainingStarted:
    """The data is ready and training begins."""

    model_name: str
    model_path: Path
    base: str
    train_images: tuple[str, ...]
    val_images: tuple[str, ...]
    train_cells: int
    val_cells: int


@dataclass(frozen=True)
class ProjectTrainResult:
    """How a run ended.  ``ok``: a model was written (also after cancel, NaN or the time budget).

    ``f1`` / ``base_f1``: detection F1 of the new model and of ``reference``
    (the base model, or ``classical``) on the validation images, counted
    through the engine; ``stop``: ``completed``, ``time budget``,
    ``cancelled``, ``nan``, ``not enough annotations`` or ``failed``.
    """

    ok: bool
    message: str
    stop: str
    model_name: str = ""
    model_path: Path | None = None
    card_path: Path | None = None
    base: str = ""
    reference: str = ""
    f1: float | None = None
    base_f1: float | None = None
    train_images: tuple[str, ...] = ()
    val_images: tuple[str, ...] = ()
    steps: int = 0
    minutes: float = 0.0
    device: str = ""
    scores: dict[str, Any] = field(default_factory=dict)

    @property
    def improved(self) -> bool:
        return self.f1 is not None and self.base_f1 is not None and self.f1 > self.base_f1


Report = Union[TrainingNotice, TrainingStarted, StepReport, EpochReport, FinishedReport, ProjectTrainResult]


def train_project(request: ProjectTrainRequest, *, cancel: Callable[[], bool] | None = None) -> Iterator[Report]:
    """Train on the project's annotations; yields progress and ends with one `ProjectTrainResult`.

    Yields `TrainingNotice`, `TrainingStarted`, the loop's `StepReport` /
    `EpochReport` / `FinishedReport`, then the `ProjectTrainResult`.
    ``cancel`` is checked between steps: the best model so far is still
    exported and scored.
    """
    started = time.perf_counter()
    run = _Run(request, cancel, started)
    try:
        yield from run.execute()
    except CellCounterError as exc:
        yield run.failure(str(exc))
    except (OSError, MemoryError, RuntimeError) as exc:
        log.exception("training a model for %s failed", request.project)
        yield run.failure(f"training failed: {exc}")
    finally:
        run.release()


class _Run:
    """State of one `train_project` call."""

    def __init__(self, request: ProjectTrainRequest, cancel: Callable[[], bool] | None, started: float):
        self.request, self.cancel, self.started = request, cancel, started
        self.stop = "failed"
        self.run_dir: Path | None = None
        self.finished: FinishedReport | None = None
        self.device = ""

    def execute(self) -> Iterator[Report]:
        request = self.request
        for note in request.skipped:
            yield TrainingNotice("skipped", note)
        self.stop = "not enough annotations"
        check_enough(request.images)
        self.stop = "failed"
        models_dir = request.project / MODELS_DIR
        base = load_model(request.base, use_gpu=False, extra_dirs=[models_dir]) if request.base else None
        if base is not None and base.path is None:
            raise ModelError(f"{request.base!r} has no network to fine-tune; choose a trained model as the base, "
                             "or train from scratch")
        items = self.load(base)
        if self.cancelled():
            self.stop = "cancelled"
            raise CellCounterError("training was cancelled before it started; no model was saved")
        train, val, split = split_training(items, val_images=request.val_images, val_fraction=request.val_fraction,
                                           seed=request.seed)
        name = request.name or (re.sub(r"-v\d+$", "", base.meta.name) if base else "model")
        out, self.run_dir = reserve_model_path(models_dir, name)
        yield TrainingStarted(out.stem, out, _describe(base), tuple(i.sample.name for i in train),
                              tuple(i.sample.name for i in val), sum(i.n_cells for i in train),
                              sum(i.n_cells for i in val))
        repeats = epoch_repeats(len(train), request.batch_size)
        tuning = FineTuneRequest(
            train=tuple(i.sample for i in train) * repeats, val=tuple(i.sample for i in val), out=out, name=out.stem,
            base=str(base.path) if base else "", channels=base.meta.input_channels if base else 1,
            width=request.width, loss=request.loss, epochs=request.epochs, minutes=request.minutes,
            crop_size=request.crop_size, batch_size=request.batch_size, seed=request.seed, device=request.device,
            split_record={**split, "epoch_repeats": repeats},
        )
        result = yield from self.finetune(tuning)
        yield from self.finish(result, base, train, val)

    def load(self, base: Predictor | None) -> list[TrainingImage]:
        request = self.request
        fallback = (base.meta.diameter_px if base else 0.0) or DEFAULT_DIAMETER_PX
        channels = base.meta.input_channels if base else 1
        return [load_training_image(image, channels=channels, point_shape=request.point_shape,
                                    diameter_px=request.diameter_px, fallback_diameter_px=fallback)
                for image in request.images]

    def finetune(self, tuning: FineTuneRequest) -> Iterator[Report]:
        """Run `finetune`, retrying smaller or on the CPU when memory runs out; returns its result."""
        retry = OutOfMemoryRetry(tuning.batch_size, tuning.device)
        while True:
            budget = self.request.minutes
            if budget > 0:
                budget = max(budget - (time.perf_counter() - self.started) / 60.0, 0.1 * budget)
            attempt = dataclasses.replace(tuning, batch_size=retry.batch_size, device=retry.device, minutes=budget)
            try:
                for report in fit_in_memory(finetune(attempt, cancel=self.cancel)):
                    if isinstance(report, FineTuneResult):
                        return report
                    if isinstance(report, FinishedReport):
                        self.finished = report
                        yield from self.on_finished(report)
                    if isinstance(report, EpochReport):
                        self.device = report.device
                    yield report
                raise ModelError("training ended without exporting a model")
            except ModelError:
                if self.finished is not None and self.finished.reason == "nan":
                    self.stop = "nan"
                    raise CellCounterError(
                        f"the training loss became NaN at step {self.finished.steps}, before the first validation: "
                        "no model was saved. Check the annotations, or train from a base model.") from None
                raise
            except MemoryError as exc:
                yield TrainingNotice("out of memory", retry.next(exc))

    def on_finished(self, report: FinishedReport) -> Iterator[Report]:
        if report.reason == "nan" and report.best_checkpoint is not None:
            yield TrainingNotice("nan", f"The training loss became NaN at step {report.steps}: training stopped. "
                                        "The model keeps the weights of the last good validation.")
        elif report.reason == "cancelled":
            yield TrainingNotice("cancelled", "Training was cancelled: the best model so far is exported.")

    def finish(self, result: FineTuneResult, base: Predictor | None, train: list[TrainingImage],
               val: list[TrainingImage]) -> Iterator[Report]:
        new_score = engine_score(load_model(result.model_path, use_gpu=False), val)
        reference = engine_score(base if base is not None else load_model("classical"), val)
        write_project_card(result.card_path, self.request, base, new_score, reference, self.device)
        self.stop, self.run_dir = result.finished.reason, None
        verdict = "better than" if new_score.f1 > reference.f1 else "not better than"
        yield ProjectTrainResult(
            ok=True, stop=result.finished.reason,
            message=(f"{result.model_path.stem}: validation F1 {new_score.f1:.3f}, {verdict} {reference.model} "
                     f"({reference.f1:.3f}) on {new_score.images} image(s)."),
            model_name=result.model_path.stem, model_path=result.model_path, card_path=result.card_path,
            base=_describe(base), reference=reference.model, f1=new_score.f1, base_f1=reference.f1,
            train_images=tuple(i.sample.name for i in train), val_images=tuple(i.sample.name for i in val),
            steps=result.finished.steps, minutes=(time.perf_counter() - self.started) / 60.0, device=self.device,
            scores={"new": new_score.to_dict(), "reference": reference.to_dict()},
        )

    def cancelled(self) -> bool:
        return self.cancel is not None and bool(self.cancel())

    def failure(self, message: str) -> ProjectTrainResult:
        return ProjectTrainResult(ok=False, message=message, stop=self.stop, base=self.request.base,
                                  steps=self.finished.steps if self.finished else 0,
                                  minutes=(time.perf_counter() - self.started) / 60.0, device=self.device)

    def release(self) -> None:
        """Remove the reserved run folder when no model came out of it and it holds nothing."""
        if self.run_dir is not None and self.run_dir.is_dir() and not any(self.run_dir.iterdir()):
            self.run_dir.rmdir()


def epoch_repeats(n_images: int, batch_size: int) -> int:
    """How many times the training images are listed so that one epoch has `MIN_EPOCH_STEPS` steps.

    Examples
    --------
    >>> epoch_repeats(2, 8), epoch_repeats(40, 8)
    (10, 1)
    """
    return max(1, math.ceil(MIN_EPOCH_STEPS * batch_size / (CROPS_PER_IMAGE * max(n_images, 1))))


def _describe(base: Predictor | None) -> str:
    return "" if base is None else f"{base.meta.name} {base.meta.version}"
