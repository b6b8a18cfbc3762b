"""Checkpoints: atomic write, safe load, refusal of foreign files."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from cellcounter_app.errors import ModelError  # noqa: E402
from cellcounter_app.training.checkpoint import (  # noqa: E402
    Checkpoint, TrainingState, load_checkpoint, load_model, make_scheduler, save_checkpoint,
)
from cellcounter_app.training.config import TrainConfig  # noqa: E402
from cellcounter_app.training.networks import CResUnet  # noqa: E402


def state(tmp_path, **changes) -> TrainingState:
    cfg = TrainConfig(output_dir=str(tmp_path), base=4, **changes)
    net = CResUnet(**cfg.network_config())
    optimizer = torch.optim.Adam(net.parameters())
    scaler = torch.amp.GradScaler("cuda", enabled=False)
    return TrainingState(cfg, net, optimizer, make_scheduler(cfg, optimizer, 10), scaler)


def test_round_trip_restores_weights_and_counters(tmp_path):
    first = state(tmp_path)
    first.step, first.epoch = 12, 3
    first.after_validation(0.4, 0.7)
    path = first.save(tmp_path / "best.pt", val_f1=0.4, best=True)
    checkpoint = load_checkpoint(path)
    assert isinstance(checkpoint, Checkpoint)
    assert (checkpoint.step, checkpoint.epoch, checkpoint.best_val_f1, checkpoint.val_f1) == (12, 3, 0.4, 0.4)
    assert checkpoint.best_val_loss == 0.7 and checkpoint.config == first.config

    second = state(tmp_path)
    second.restore(checkpoint, best_path=path)
    assert (second.step, second.epoch, second.best_val_f1, second.best_val_loss) == (12, 3, 0.4, 0.7)
    assert not second.after_validation(0.4, 0.8) and second.after_validation(0.4, 0.6)
    assert second.best_checkpoint() == path
    model = load_model(path)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), first.model.state_dict().values()))
    assert [p.name for p in tmp_path.iterdir()] == ["best.pt"]


def test_best_is_the_highest_f1_so_far(tmp_path):
    s = state(tmp_path)
    assert math.isnan(s.best_val_f1)
    assert [s.after_validation(f) for f in (0.2, 0.5, 0.5, 0.3, 0.6)] == [True, True, False, False, True]
    assert s.best_val_f1 == 0.6


def test_equal_f1_with_a_lower_validation_loss_is_better(tmp_path):
    """A fine-tuning's small validation image stops moving F1 early: the loss then picks the weights."""
    s = state(tmp_path)
    results = [(0.9, 0.50), (0.93, 0.40), (0.93, 0.35), (0.93, 0.38), (0.93, 0.30), (0.92, 0.10)]
    assert [s.after_validation(f1, loss) for f1, loss in results] == [True, True, True, False, True, False]
    assert (s.best_val_f1, s.best_val_loss) == (0.93, 0.30)


def test_checkpoints_written_before_the_loss_was_kept_still_load(tmp_path):
    s = state(tmp_path)
    s.after_validation(0.5, 0.2)
    path = s.save(tmp_path / "old.pt", val_f1=0.5)
    payload = torch.load(path, weights_only=True)
    del payload["best_val_loss"]
    torch.save(payload, path)
    assert math.isnan(load_checkpoint(path).best_val_loss)


def test_onecycle_never_steps_past_its_end(tmp_path):
    s = state(tmp_path, schedule="onecycle", epochs=1)
    for _ in range(25):
        s.optimizer.step()
        s.after_step()
    assert s.step == 25


def test_a_foreign_file_is_refused(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="not a readable checkpoint"):
        load_checkpoint(junk)
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(ModelError, match="not a CellCounter training checkpoint"):
        load_checkpoint(tmp_path / "other.pt")


def test_save_replaces_an_existing_file(tmp_path):
    s = state(tmp_path)
    target = tmp_path / "last.pt"
    target.write_bytes(b"old")
    save_checkpoint(target, Checkpoint(
        network=s.model.config, model=s.model.state_dict(), optimizer=s.optimizer.state_dict(), scheduler=None,
        scaler=None, step=1, epoch=0, config=s.config, best_val_f1=math.nan, val_f1=None,
    ))
    assert load_checkpoint(target).step == 1


def test_adapt_input_channels_keeps_grey_output_and_refuses_other_layouts():
    from cellcounter_app.training.checkpoint import adapt_input_channels

    grey = CResUnet(in_channels=1, base=4).eval()
    rgb = CResUnet(in_channels=3, base=4).eval()
    rgb.load_state_dict(adapt_input_channels(grey.state_dict(), 3))
    back = CResUnet(in_channels=1, base=4).eval()
    back.load_state_dict(adapt_input_channels(rgb.state_dict(), 1))
    image = torch.rand(1, 1, 32, 32)
    with torch.no_grad():
        assert torch.allclose(grey(image), rgb(image.repeat(1, 3, 1, 1)), atol=1e-5)
        assert torch.allclose(grey(image), back(image), atol=1e-5)
    two = CResUnet(in_channels=2, base=4).state_dict()
    with pytest.raises(ModelError, match="2 input channels to 3"):
        adapt_input_channels(two, 3)
    with pytest.raises(ModelError, match="no colour layer"):
        adapt_input_channels({"head.weight": torch.ones(1)}, 3)


def test_a_binary_network_starts_a_three_class_one_with_nearly_its_answer():
    from cellcounter_app.training.checkpoint import adapt_output_classes

    torch.manual_seed(0)
    binary = CResUnet(in_channels=1, n_classes=1, base=4).eval()
    three = CResUnet(in_channels=1, n_classes=3, base=4).eval()
    three.load_state_dict(adapt_output_classes(binary.state_dict(), 3))
    image = torch.rand(1, 1, 32, 32)
    with torch.no_grad():
        cell = torch.sigmoid(binary(image))[:, 0]
        classes = torch.softmax(three(image), dim=1)
    assert torch.allclose(classes[:, 1], cell, atol=0.02)      # the cell class
    assert float(classes[:, 2].max()) < 0.02                     # boundary starts near zero
    assert adapt_output_classes(three.state_dict(), 3) is not None
    with pytest.raises(ModelError, match="3 output classes to 1"):
        adapt_output_classes(three.state_dict(), 1)
    with pytest.raises(ModelError, match="no output layer"):
        adapt_output_classes({"colour.weight": torch.ones(1)}, 3)
