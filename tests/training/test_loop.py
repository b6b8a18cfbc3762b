"""The training loop on tiny disc images: learning, reports, budgets, cancel, resume, NaN."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from scipy import ndimage as ndi

torch = pytest.importorskip("torch")

from synthetic_images import disc_image  # noqa: E402

from cellcounter_app.errors import ParameterError  # noqa: E402
from cellcounter_app.training import loop as loop_module  # noqa: E402
from cellcounter_app.training.checkpoint import load_checkpoint, load_model  # noqa: E402
from cellcounter_app.training.config import TrainConfig  # noqa: E402
from cellcounter_app.training.data import make_sample  # noqa: E402
from cellcounter_app.training.loop import EpochReport, FinishedReport, StepReport, train  # noqa: E402
from cellcounter_app.training.losses import make_loss  # noqa: E402


def disc_samples(seeds):
    samples = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        centres = [tuple(c) for c in rng.integers(10, 54, size=(5, 2))]
        image, labels = disc_image((64, 64), centres, radius=6, value=1.0, background=0.1, noise=0.1,
                                   seed=seed, dtype=np.float32)
        samples.append(make_sample(image[None], labels, f"discs{seed}", "test"))
    return samples


TRAIN = disc_samples(range(4))
VAL = disc_samples(range(10, 12))


def config(tmp_path, **changes) -> TrainConfig:
    """4 images x 4 crops / batch 4 = 4 steps per epoch, with a width-4 network."""
    values = dict(output_dir=str(tmp_path / "run"), base=4, loss="bce_dice", learning_rate=3e-3, batch_size=4,
                  crop_size=48, crops_per_image=4, epochs=8, augment=False, device="cpu", seed=0)
    values.update(changes)
    return TrainConfig(**values)


def run(cfg, **kwargs):
    reports = list(train(cfg, TRAIN, VAL, **kwargs))
    assert isinstance(reports[-1], FinishedReport)
    steps = [r for r in reports if isinstance(r, StepReport)]
    epochs = [r for r in reports if isinstance(r, EpochReport)]
    return steps, epochs, reports[-1]


def test_loss_falls_and_reports_are_complete(tmp_path):
    steps, epochs, done = run(config(tmp_path))
    assert [s.step for s in steps] == list(range(1, 33))
    first, last = np.mean([s.loss for s in steps[:6]]), np.mean([s.loss for s in steps[-6:]])
    assert last < 0.75 * first
    assert [e.epoch for e in epochs] == list(range(1, 9)) and [e.step for e in epochs] == list(range(4, 33, 4))
    assert all(0.0 <= e.val_f1 <= 1.0 and math.isfinite(e.val_loss) for e in epochs)
    assert epochs[0].best and epochs[0].device.startswith("cpu")
    assert done.reason == "completed" and done.steps == 32
    assert done.best_checkpoint == tmp_path / "run" / "best.pt"
    assert done.best_val_f1 == max(e.val_f1 for e in epochs)
    assert all(s.seconds > 0 and s.images_per_s > 0 and s.lr > 0 for s in steps)


def test_same_seed_gives_the_same_losses(tmp_path):
    a, _, _ = run(config(tmp_path / "a", max_steps=3))
    b, _, _ = run(config(tmp_path / "b", max_steps=3))
    assert [s.loss for s in a] == [s.loss for s in b]


def test_cancel_keeps_a_loadable_best_checkpoint_and_resume_continues(tmp_path):
    seen = []
    reports = []
    for report in train(config(tmp_path, epochs=50), TRAIN, VAL, cancel=lambda: len(seen) >= 6):
        reports.append(report)
        if isinstance(report, StepReport):
            seen.append(report.step)
    done, epochs = reports[-1], [r for r in reports if isinstance(r, EpochReport)]
    assert done.reason == "cancelled" and done.steps == 6 and len(epochs) == 1
    assert done.best_checkpoint == tmp_path / "run" / "best.pt"
    assert isinstance(load_model(done.best_checkpoint), torch.nn.Module)
    last = load_checkpoint(tmp_path / "run" / "last.pt")
    assert (last.step, last.epoch, last.val_f1) == (6, 1, None)

    resumed, resumed_epochs, finished = run(config(tmp_path, epochs=2), resume_from=tmp_path / "run" / "last.pt")
    assert resumed[0].step == 7 and resumed[0].epoch == 2
    assert finished.reason == "completed" and finished.steps == 10
    assert [e.epoch for e in resumed_epochs] == [2]


def test_resume_with_another_network_is_refused(tmp_path):
    run(config(tmp_path, max_steps=1))
    with pytest.raises(ParameterError, match="different network"):
        run(config(tmp_path, base=8), resume_from=tmp_path / "run" / "last.pt")


class NanAfter(torch.nn.Module):
    """The real loss, until ``n`` training steps have been computed; then NaN."""

    def __init__(self, loss, n):
        super().__init__()
        self.loss, self.n, self.calls = loss, n, 0

    def forward(self, logits, target, weight=None):
        value = self.loss(logits, target, weight)
        if torch.is_inference_mode_enabled():
            return value
        self.calls += 1
        return value * math.nan if self.calls > self.n else value


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setattr(loop_module, "make_loss", lambda name, options: NanAfter(make_loss(name, options), 5))
    steps, epochs, done = run(config(tmp_path))
    assert done.reason == "nan" and done.steps == 5 and len(steps) == 5 and len(epochs) == 1
    model = load_model(done.best_checkpoint)
    assert all(torch.isfinite(p).all() for p in model.state_dict().values() if p.is_floating_point())


def test_time_budget_stops_and_validates_the_partial_epoch(tmp_path):
    steps, epochs, done = run(config(tmp_path, max_minutes=1e-6, epochs=50))
    assert done.reason == "time budget" and done.steps == 1
    assert len(epochs) == 1 and epochs[0].epoch == 1 and done.best_checkpoint.is_file()


def test_step_budget_and_onecycle_schedule(tmp_path):
    steps, epochs, done = run(config(tmp_path, max_steps=6, schedule="onecycle"))
    assert done.reason == "completed" and done.steps == 6
    assert [e.step for e in epochs] == [4, 6]
    assert steps[0].lr != steps[3].lr


def test_three_class_rgb_network_trains_with_augmentation(tmp_path):
    steps, epochs, done = run(config(tmp_path, n_classes=3, in_channels=3, loss="ce_dice", augment=True, max_steps=2))
    assert done.reason == "completed" and all(math.isfinite(s.loss) for s in steps)
    model = load_model(done.best_checkpoint)
    assert (model.n_classes, model.in_channels) == (3, 3)


def test_a_network_learns_the_distance_target_and_finds_the_discs(tmp_path):
    steps, epochs, done = run(config(tmp_path, target="distance", loss="bce", epochs=30, learning_rate=1e-2))
    first, last = np.mean([s.loss for s in steps[:6]]), np.mean([s.loss for s in steps[-6:]])
    assert last < 0.75 * first
    assert done.best_val_f1 > 0.5
    net = load_model(done.best_checkpoint)
    image = torch.from_numpy(VAL[0].image[None].astype(np.float32))
    with torch.no_grad():
        output = torch.sigmoid(net(image))[0, 0].numpy()
    truth = VAL[0].labels
    # the output is a distance map: higher at the disc centres than at their rims
    rims = (truth > 0) & ~ndi.binary_erosion(truth > 0)
    centres = ndi.binary_erosion(truth > 0, iterations=4)
    assert output[centres].mean() > output[rims].mean() + 0.1


def test_training_needs_validation_samples(tmp_path):
    with pytest.raises(ParameterError, match="got 4 and 0"):
        next(train(config(tmp_path), TRAIN, []))


def test_grey_weights_start_an_rgb_network(tmp_path):
    _, _, grey = run(config(tmp_path / "grey", max_steps=4))
    grey_net = load_model(grey.best_checkpoint)
    steps, _, rgb = run(config(tmp_path / "rgb", in_channels=3, max_steps=1, learning_rate=1e-6),
                        initial_weights=grey.best_checkpoint)
    rgb_net = load_model(rgb.best_checkpoint)
    assert rgb_net.in_channels == 3 and len(steps) == 1
    # one step at a tiny rate: the weights are still the grey network's, the colour layer shared over 3 channels
    assert torch.allclose(rgb_net.colour.weight, grey_net.colour.weight.repeat(1, 3, 1, 1) / 3, atol=1e-4)
    assert torch.allclose(rgb_net.head.weight, grey_net.head.weight, atol=1e-4)


def test_binary_weights_start_a_three_class_network_with_the_same_validation_score(tmp_path):
    _, base_epochs, base = run(config(tmp_path / "binary", epochs=30))
    _, epochs, three = run(config(tmp_path / "three", n_classes=3, loss="ce", max_steps=1, learning_rate=1e-6),
                           initial_weights=base.best_checkpoint)
    assert load_model(three.best_checkpoint).n_classes == 3
    # epoch 0 scores the adapted starting weights: the cell class is the binary network's answer
    assert epochs[0].epoch == 0
    assert epochs[0].val_f1 == pytest.approx(max(e.val_f1 for e in base_epochs), abs=0.05)


def test_starting_weights_are_scored_first_and_kept_when_training_makes_them_worse(tmp_path):
    _, base_epochs, base = run(config(tmp_path / "base", epochs=30))
    base_f1 = max(e.val_f1 for e in base_epochs)
    assert base_f1 > 0.5
    # a learning rate far too high wrecks the network: the run must hand back the starting weights
    _, epochs, done = run(config(tmp_path / "ruin", learning_rate=1.0, epochs=2), initial_weights=base.best_checkpoint)
    assert epochs[0].epoch == 0 and math.isnan(epochs[0].train_loss) and epochs[0].best
    assert epochs[0].val_f1 == pytest.approx(base_f1)
    assert not any(e.best for e in epochs[1:]) and all(e.val_f1 < base_f1 for e in epochs[1:])
    assert done.best_val_f1 == pytest.approx(base_f1)
    assert load_checkpoint(done.best_checkpoint).step == 0


def test_training_crops_are_zoomed_over_the_configured_range(tmp_path, monkeypatch):
    chosen = []
    real = loop_module.augment_factory

    def spy(enabled, augment_config=None):
        chosen.append(augment_config)
        return real(enabled, augment_config)

    monkeypatch.setattr(loop_module, "augment_factory", spy)
    run(config(tmp_path / "wide", augment=True, max_steps=1, p_zoom=1.0, zoom_min=0.5, zoom_max=2.0))
    run(config(tmp_path / "default", augment=True, max_steps=1))
    assert (chosen[0].p_scale, chosen[0].scale_range) == (1.0, (0.5, 2.0))
    assert (chosen[1].p_scale, chosen[1].scale_range) == (0.5, (0.7, 1.4))
    with pytest.raises(ParameterError, match="zoom_max"):
        config(tmp_path, zoom_max=0.8)


def test_the_budget_keeps_room_for_what_follows_training():
    budget = loop_module._Budget(100.0, reserve=5.0, fixed=2.0)
    assert budget.limit() == 98.0  # nothing validated yet
    budget.timed(lambda: time.sleep(0.01) or "report")
    assert 98.0 - 5.0 * 0.5 < budget.limit() < 98.0 - 5.0 * 0.009
    budget.longest = 30.0
    assert budget.limit() == 100.0 * (1 - loop_module.MAX_RESERVE)  # never more than half the budget
