"""The training loop, as a generator of progress reports.

`train` yields a `StepReport` after every optimisation step, an `EpochReport`
after every validation and one `FinishedReport` at the end; the CLI drains it
with a progress bar, the GUI runs it in a worker with cooperative cancel
(``STYLE.md``, rule 2).  Checkpoints go to ``config.output_dir``:
``last.pt`` (after every validation, and when cancelled or stopped by the time
budget) and ``best.pt`` (highest validation F1; at equal F1 the lower validation loss).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Generator, Iterable, Iterator, Sequence, Union

import torch

from ..errors import ParameterError
from .augment import AugmentConfig
from .checkpoint import TrainingState, adapt_input_channels, adapt_output_classes, load_checkpoint, make_scheduler
from .config import TrainConfig
from .data import Sample
from .device import amp_dtype, autocast, describe_device, memory_format, pick_device, seed_everything
from .losses import make_loss
from .networks import CResUnet
from .torch_data import CropDataset, augment_factory, make_loader
from .validate import ValidationResult, Validator

__all__ = ["EpochReport", "FinishedReport", "Report", "StepReport", "train"]


@dataclass(frozen=True)
class StepReport:
    """One optimisation step done.  ``seconds``: training time so far in this run."""

    step: int
    epoch: int
    loss: float
    lr: float
    seconds: float
    images_per_s: float


@dataclass(frozen=True)
class EpochReport:
    """One validation done (at the end of an epoch, or of a run stopped early).

    ``epoch`` counts from 1; ``best`` says whether ``best.pt`` was just written.
    """

    epoch: int
    step: int
    train_loss: float
    val_loss: float
    val_f1: float
    val_count_mae: float
    best: bool
    checkpoint_path: Path
    device: str


@dataclass(frozen=True)
class FinishedReport:
    """The run is over.

    ``best_checkpoint`` is ``best.pt``, or ``last.pt`` when no validation ran
    yet (cancelled in the first epoch), or None when nothing was saved (NaN in
    the first epoch).  ``reason``: "completed", "cancelled", "time budget" or
    "nan" (the loss became NaN or infinite; the checkpoints hold the last good weights).
    """

    best_checkpoint: Path | None
    best_val_f1: float
    steps: int
    seconds: float
    reason: str


Report = Union[StepReport, EpochReport, FinishedReport]


def train(
    config: TrainConfig,
    train_samples: Sequence[Sample],
    val_samples: Sequence[Sample],
    *,
    resume_from: str | Path | None = None,
    initial_weights: str | Path | None = None,
    cancel: Callable[[], bool] | None = None,
    reserve_validations: float = 0.0,
    reserve_seconds: float = 0.0,
) -> Iterator[Report]:
    """Train a c-ResUnet and yield progress reports.

    Parameters
    ----------
    config : TrainConfig
        Network, loss, optimiser, budget (``epochs``, ``max_steps``,
        ``max_minutes``), device and output folder.
    train_samples, val_samples : sequence of training.data.Sample
        Training images (cropped at random each epoch) and whole validation images.
    resume_from : path, optional
        A checkpoint of an earlier run with the same network: weights,
        optimiser, schedule and step/epoch counters continue from it; the
        budget ``epochs`` counts the epochs done before.
    initial_weights : path, optional
        A checkpoint (or weights file) of the same network to start from
        (fine-tuning): only its weights are used; optimiser and counters start fresh.
        Weights of a grey network start an RGB one and back (`adapt_input_channels`),
        a binary network starts a 3-class one (`adapt_output_classes`).
        They are validated first (an `EpochReport` with ``epoch`` 0 and no
        training loss) and are the best checkpoint until an epoch beats them,
        so fine-tuning never returns a model worse on the validation images.
    cancel : callable, optional
        Checked before every step and every validation; when it returns True
        the run saves ``last.pt`` and finishes with reason "cancelled".
    reserve_validations, reserve_seconds : float
        Training stops ``reserve_seconds`` plus this many times the longest
        validation pass before ``max_minutes`` (at most `MAX_RESERVE` of it):
        room for the final validation and for what the caller does after
        training (calibration, export), so that the whole job keeps the time
        budget the user gave.

    Yields
    ------
    StepReport, EpochReport, FinishedReport

    Notes
    -----
    ``max_minutes`` is wall-clock time of this call (data preparation and
    validation included), checked after every step; the run then validates
    the partial epoch and finishes with reason "time budget".  A generator:
    nothing runs (and bad arguments raise nothing) before the first ``next``.
    """
    if not train_samples or not val_samples:
        raise ParameterError(
            f"training needs training and validation samples, got {len(train_samples)} and {len(val_samples)}"
        )
    seed_everything(config.seed)
    device = pick_device(config.device)
    fmt = memory_format(device, config.channels_last)
    model = CResUnet(**config.network_config()).to(device, memory_format=fmt)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    per_epoch = config.steps_per_epoch(len(train_samples))
    scheduler = make_scheduler(config, optimizer, per_epoch)
    use_amp = config.mixed_precision and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype(device) == torch.float16)
    state = TrainingState(config, model, optimizer, scheduler, scaler)
    if initial_weights is not None and resume_from is None:
        weights = adapt_input_channels(load_checkpoint(initial_weights).model, config.in_channels)
        model.load_state_dict(adapt_output_classes(weights, config.n_classes))
    if resume_from is not None:
        state.restore(load_checkpoint(resume_from), best_path=Path(resume_from).parent / "best.pt")
    loss_fn = make_loss(config.loss, config.loss_options).to(device)
    dataset = CropDataset(
        train_samples, crop_size=config.crop_size, n_classes=config.n_classes, in_channels=config.in_channels,
        crops_per_image=config.crops_per_image, seed=config.seed,
        augment=augment_factory(config.augment, _augment_config(config)), use_weight_map=config.use_weight_map,
        target=config.target,
    )
    loader = make_loader(dataset, batch_size=config.batch_size, num_workers=config.num_workers, device=device)
    validator = Validator(
        val_samples, n_classes=config.n_classes, in_channels=config.in_channels, loss=loss_fn, device=device,
        params=config.val_params, max_distance=config.match_distance,
        memory_format=fmt, use_weight_map=config.use_weight_map, target=config.target,
    )
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    budget = _Budget(config.max_minutes * 60.0 if config.max_minutes > 0 else math.inf, reserve_validations,
                     reserve_seconds)
    step_setup = _StepSetup(loss_fn, device, fmt, use_amp)
    started = time.perf_counter()
    reason = "completed"
    if initial_weights is not None and resume_from is None and not (cancel is not None and cancel()):
        # the starting weights are scored as epoch 0: a run that never beats them keeps them
        yield budget.timed(_validate, state, validator, [], 0, out, describe_device(device))
    while reason == "completed" and state.epoch < config.epochs and not state.out_of_steps():
        dataset.set_epoch(state.epoch)
        losses, reason = yield from _train_epoch(state, loader, step_setup, cancel, started, budget)
        if reason == "completed" and cancel is not None and cancel():
            reason = "cancelled"
        if reason in ("nan", "cancelled"):
            break
        number = state.epoch + 1
        if len(losses) == len(loader):
            state.epoch += 1
        yield budget.timed(_validate, state, validator, losses, number, out, describe_device(device))
    if reason == "cancelled":
        state.save(out / "last.pt", val_f1=None)
    yield FinishedReport(state.best_checkpoint(), state.best_val_f1, state.step, time.perf_counter() - started, reason)


def _augment_config(config: TrainConfig) -> AugmentConfig:
    """The default augmentation with the zoom and the acquisition changes of ``config``."""
    p = config.p_acquisition
    return AugmentConfig(p_scale=config.p_zoom, scale_range=(config.zoom_min, config.zoom_max),
                         p_background=p, p_shot_noise=p, p_saturate=p / 2)


@dataclass(frozen=True)
class _StepSetup:
    loss: torch.nn.Module
    device: torch.device
    memory_format: torch.memory_format
    use_amp: bool


MAX_RESERVE = 0.5
"""At most this share of the time budget is kept back for work after training."""


@dataclass
class _Budget:
    """The wall-clock budget of a run (s), less room for ``reserve`` validation passes and ``fixed`` seconds
    of work after training."""

    seconds: float
    reserve: float = 0.0
    fixed: float = 0.0
    longest: float = 0.0

    def limit(self) -> float:
        return self.seconds - min(self.fixed + self.reserve * self.longest, MAX_RESERVE * self.seconds)

    def timed(self, validate: Callable[..., EpochReport], *args: Any) -> EpochReport:
        start = time.perf_counter()
        report = validate(*args)
        self.longest = max(self.longest, time.perf_counter() - start)
        return report


def _train_epoch(
    state: TrainingState, loader: Iterable[tuple[torch.Tensor, ...]], setup: _StepSetup,
    cancel: Callable[[], bool] | None, started: float, budget: _Budget,
) -> Generator[StepReport, None, tuple[list[float], str]]:
    """Train over one epoch's batches; return the step losses and why it ended.

    The time budget (`_Budget.limit` since ``started``, wall clock) is checked
    after each step, cancel and the step budget before each.
    """
    state.model.train()
    losses: list[float] = []
    previous = time.perf_counter()
    for images, target, weight in loader:
        if cancel is not None and cancel():
            return losses, "cancelled"
        if state.out_of_steps():
            break
        loss = _step(state, setup, images, target, weight)
        if not math.isfinite(loss):
            return losses, "nan"
        losses.append(loss)
        now = time.perf_counter()
        yield StepReport(state.step, state.epoch + 1, loss, state.optimizer.param_groups[0]["lr"], now - started,
                         images.shape[0] / max(now - previous, 1e-9))
        previous = time.perf_counter()
        if previous - started >= budget.limit():
            return losses, "time budget"
    return losses, "completed"


def _step(state: TrainingState, setup: _StepSetup, images: torch.Tensor, target: torch.Tensor,
          weight: torch.Tensor) -> float:
    """One optimisation step; returns the loss (NaN or inf: no update was made)."""
    device = setup.device
    images = images.to(device, non_blocking=True).to(memory_format=setup.memory_format)
    target = target.to(device, non_blocking=True)
    weight = weight.to(device, non_blocking=True)
    with autocast(device, setup.use_amp):
        logits = state.model(images)
    loss = setup.loss(logits.float(), target, weight)
    value = float(loss.detach())
    if not math.isfinite(value):
        return value
    state.optimizer.zero_grad(set_to_none=True)
    state.scaler.scale(loss).backward()
    state.scaler.step(state.optimizer)
    state.scaler.update()
    state.after_step()
    return value


def _validate(state: TrainingState, validator: Validator, losses: list[float], epoch: int, out: Path,
              device: str) -> EpochReport:
    """Validate, update the schedule, write ``best.pt`` (if better) and ``last.pt``."""
    result: ValidationResult = validator(state.model)
    improved = state.after_validation(result.f1, result.loss)
    if improved:
        state.save(out / "best.pt", val_f1=result.f1, best=True)
    state.save(out / "last.pt", val_f1=result.f1)
    return EpochReport(
        epoch=epoch, step=state.step, train_loss=float(sum(losses) / len(losses)) if losses else math.nan,
        val_loss=result.loss, val_f1=result.f1, val_count_mae=result.count_mae, best=improved,
        checkpoint_path=out / ("best.pt" if improved else "last.pt"), device=device,
    )
