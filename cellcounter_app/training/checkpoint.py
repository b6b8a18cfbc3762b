"""The state of a training run, and its checkpoints on disk.

`TrainingState` holds what a run changes (network, optimiser, schedule,
gradient scaler, step and epoch counters, best validation F1) and maps it to a
`Checkpoint` and back.  A checkpoint is a ``torch.save`` dict of plain values and tensors (so it loads
with ``weights_only=True``): the network's constructor arguments and weights,
the optimiser / scheduler / gradient-scaler states, the step and epoch
counters, the training configuration and the best validation F1.
"""

from __future__ import annotations

import math
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..errors import ModelError, ParameterError
from .config import TrainConfig
from .networks import CResUnet, build_network

__all__ = [
    "FORMAT", "Checkpoint", "TrainingState", "adapt_input_channels", "adapt_output_classes", "load_checkpoint",
    "load_model", "make_scheduler", "save_checkpoint",
]

Scheduler = torch.optim.lr_scheduler.LRScheduler | torch.optim.lr_scheduler.ReduceLROnPlateau

FORMAT = "cellcounter.training.checkpoint"
VERSION = 1


@dataclass(frozen=True)
class Checkpoint:
    """The content of a checkpoint file (tensors on the CPU)."""

    network: dict[str, Any]
    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    scheduler: dict[str, Any] | None
    scaler: dict[str, Any] | None
    step: int
    epoch: int
    """Epochs completed when it was written."""
    config: TrainConfig
    best_val_f1: float
    val_f1: float | None
    """Validation F1 of these weights, None when they were not validated (cancelled run)."""
    best_val_loss: float = math.nan
    """Validation loss of the best weights (breaks ties of F1); NaN in checkpoints written before it was kept."""


def save_checkpoint(path: str | os.PathLike[str], checkpoint: Checkpoint) -> Path:
    """Write ``checkpoint`` to ``path`` atomically (a temporary file moved into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT, "version": VERSION, "network": dict(checkpoint.network),
        "model": checkpoint.model, "optimizer": checkpoint.optimizer, "scheduler": checkpoint.scheduler,
        "scaler": checkpoint.scaler, "step": checkpoint.step, "epoch": checkpoint.epoch,
        "config": checkpoint.config.to_dict(), "best_val_f1": checkpoint.best_val_f1, "val_f1": checkpoint.val_f1,
        "best_val_loss": checkpoint.best_val_loss,
    }
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(payload, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint written by `save_checkpoint`; raise `ModelError` if it is not one."""
    path = Path(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError) as exc:
        raise ModelError(f"{path}: not a readable checkpoint: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelError(f"{path}: not a CellCounter training checkpoint")
    if payload.get("version", 0) > VERSION:
        raise ModelError(f"{path}: checkpoint version {payload['version']} is newer than this CellCounter ({VERSION})")
    return Checkpoint(
        network=dict(payload["network"]), model=payload["model"], optimizer=payload["optimizer"],
        scheduler=payload["scheduler"], scaler=payload["scaler"], step=int(payload["step"]),
        epoch=int(payload["epoch"]), config=TrainConfig.from_dict(payload["config"]),
        best_val_f1=float(payload["best_val_f1"]),
        val_f1=None if payload["val_f1"] is None else float(payload["val_f1"]),
        best_val_loss=float(payload.get("best_val_loss", math.nan)),
    )


def adapt_input_channels(weights: dict[str, torch.Tensor], in_channels: int) -> dict[str, torch.Tensor]:
    """``weights`` of a c-ResUnet re-shaped for ``in_channels`` input channels.

    Only the 1x1 colour convolution depends on the input channels.  A grey
    network becomes an RGB one by sharing its weight equally over the three
    channels, and an RGB one becomes grey by summing them: either way the new
    network gives the same output on a grey image (the engine feeds a grey
    image to an RGB model as three equal channels).

    >>> w = {"colour.weight": torch.ones(1, 1, 1, 1), "colour.bias": torch.zeros(1)}
    >>> adapt_input_channels(w, 3)["colour.weight"].flatten().tolist()
    [0.3333333432674408, 0.3333333432674408, 0.3333333432674408]
    """
    key = "colour.weight"
    if key not in weights:
        raise ModelError("these weights have no colour layer: not a c-ResUnet")
    old = weights[key]
    if old.shape[1] == in_channels:
        return weights
    if old.shape[1] == 1:
        new = old.repeat(1, in_channels, 1, 1) / in_channels
    elif in_channels == 1:
        new = old.sum(dim=1, keepdim=True)
    else:
        raise ModelError(f"cannot adapt weights for {old.shape[1]} input channels to {in_channels}")
    return {**weights, key: new}


BOUNDARY_START_LOGIT = -4.0
"""Bias of a new boundary class: its probability starts below 2 % everywhere."""


def adapt_output_classes(weights: dict[str, torch.Tensor], n_classes: int) -> dict[str, torch.Tensor]:
    """``weights`` of a c-ResUnet re-shaped for ``n_classes`` outputs.

    A binary network (one sigmoid logit ``z``) starts a 3-class one
    (background / cell / boundary, softmax) with the logits ``(0, z, -4)``:
    the cell probability is then ``sigmoid(z)`` within 2 % and the boundary
    class starts near zero, so fine-tuning begins from the binary network's
    answer instead of from a random head.  Any other change of the number of
    classes is refused.

    >>> w = {"head.weight": torch.full((1, 2, 1, 1), 0.5), "head.bias": torch.tensor([1.0])}
    >>> new = adapt_output_classes(w, 3)
    >>> new["head.weight"].flatten().tolist(), new["head.bias"].tolist()
    ([0.0, 0.0, 0.5, 0.5, 0.0, 0.0], [0.0, 1.0, -4.0])
    """
    weight, bias = weights.get("head.weight"), weights.get("head.bias")
    if weight is None or bias is None:
        raise ModelError("these weights have no output layer: not a c-ResUnet")
    if weight.shape[0] == n_classes:
        return weights
    if weight.shape[0] != 1 or n_classes != 3:
        raise ModelError(f"cannot adapt weights for {weight.shape[0]} output classes to {n_classes}")
    new_weight = torch.zeros((3, *weight.shape[1:]), dtype=weight.dtype)
    new_weight[1] = weight[0]
    new_bias = torch.tensor([0.0, float(bias[0]), BOUNDARY_START_LOGIT], dtype=bias.dtype)
    return {**weights, "head.weight": new_weight, "head.bias": new_bias}


def load_model(path: str | os.PathLike[str]) -> CResUnet:
    """The network of a checkpoint, with its weights, on the CPU in eval mode (ready for `export_onnx`)."""
    checkpoint = load_checkpoint(path)
    model = build_network(checkpoint.network)
    model.load_state_dict(checkpoint.model)
    return model.eval()


def make_scheduler(config: TrainConfig, optimizer: torch.optim.Optimizer, steps_per_epoch: int) -> Scheduler | None:
    """The learning-rate schedule of ``config.schedule``.

    ``plateau``: halve the rate after ``patience`` validations without a better
    F1; ``onecycle``: one cycle up to ``learning_rate`` and down over the
    whole budget (``epochs`` x ``steps_per_epoch``, or ``max_steps`` when
    smaller); ``constant``: None.
    """
    if config.schedule == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", factor=0.5, patience=config.patience)
    if config.schedule == "onecycle":
        total = config.epochs * steps_per_epoch
        if config.max_steps:
            total = min(total, config.max_steps)
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.learning_rate, total_steps=max(total, 2))
    return None


class TrainingState:
    """What a training run changes, with the rules for stepping, validating and saving."""

    def __init__(self, config: TrainConfig, model: CResUnet, optimizer: torch.optim.Optimizer,
                 scheduler: Scheduler | None, scaler: torch.amp.GradScaler):
        self.config, self.model, self.optimizer = config, model, optimizer
        self.scheduler, self.scaler = scheduler, scaler
        self.step = 0
        self.epoch = 0
        self.best_val_f1 = math.nan
        self.best_val_loss = math.nan
        self.best_path: Path | None = None
        self.last_path: Path | None = None

    def out_of_steps(self) -> bool:
        """Whether ``config.max_steps`` (when set) has been reached."""
        return bool(self.config.max_steps) and self.step >= self.config.max_steps

    def after_step(self) -> None:
        """Count an optimisation step and advance a per-step schedule."""
        self.step += 1
        scheduler = self.scheduler
        if isinstance(scheduler, torch.optim.lr_scheduler.OneCycleLR) \
                and scheduler.last_epoch < scheduler.total_steps - 1:
            scheduler.step()

    def after_validation(self, f1: float, loss: float = math.nan) -> bool:
        """Record a validation F1 and loss; advance a plateau schedule; return whether they are the best so far.

        Best: the higher F1; at equal F1, the lower loss. With the one or two small validation images
        of a fine-tuning, F1 stops moving after a few epochs (one nucleus more or less changes it):
        without the tie-break the weights of the first epoch that reached it were kept however long
        the training went on.
        """
        if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            self.scheduler.step(f1)
        improved = math.isnan(self.best_val_f1) or f1 > self.best_val_f1 or (
            f1 == self.best_val_f1 and loss < self.best_val_loss)
        if improved:
            self.best_val_f1, self.best_val_loss = f1, loss
        return improved

    def save(self, path: Path, *, val_f1: float | None, best: bool = False) -> Path:
        """Write the current state to ``path``; ``val_f1``: the F1 of these weights, if validated.

        ``best``: the file is the run's best checkpoint (`best_checkpoint`).
        """
        save_checkpoint(path, Checkpoint(
            network=dict(self.model.config), model=self.model.state_dict(), optimizer=self.optimizer.state_dict(),
            scheduler=None if self.scheduler is None else self.scheduler.state_dict(),
            scaler=self.scaler.state_dict() if self.scaler.is_enabled() else None,
            step=self.step, epoch=self.epoch, config=self.config, best_val_f1=self.best_val_f1, val_f1=val_f1,
            best_val_loss=self.best_val_loss,
        ))
        if best:
            self.best_path = path
        else:
            self.last_path = path
        return path

    def restore(self, checkpoint: Checkpoint, best_path: Path | None = None) -> None:
        """Continue from ``checkpoint``: weights, optimiser, schedule (if the same kind), counters.

        ``best_path``: the earlier run's best checkpoint, if there is one.
        """
        if checkpoint.network != self.model.config:
            raise ParameterError(
                f"the checkpoint holds a different network ({checkpoint.network}) than the configuration asks for"
                f" ({self.model.config}); resume with the same network settings"
            )
        self.model.load_state_dict(checkpoint.model)
        self.optimizer.load_state_dict(checkpoint.optimizer)
        if self.scheduler is not None and checkpoint.scheduler is not None \
                and checkpoint.config.schedule == self.config.schedule:
            self.scheduler.load_state_dict(checkpoint.scheduler)
        if checkpoint.scaler is not None and self.scaler.is_enabled():
            self.scaler.load_state_dict(checkpoint.scaler)
        self.step, self.epoch, self.best_val_f1 = checkpoint.step, checkpoint.epoch, checkpoint.best_val_f1
        self.best_val_loss = checkpoint.best_val_loss
        if best_path is not None and best_path.is_file() and not math.isnan(checkpoint.best_val_f1):
            self.best_path = best_path

    def best_checkpoint(self) -> Path | None:
        """The best checkpoint of this run (or the run it resumed), else its last one, else None."""
        return self.best_path if self.best_path is not None else self.last_path
