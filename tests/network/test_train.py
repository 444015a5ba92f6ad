"""The trainer: it can overfit, a step moves the weights and a zero LR does not, schedules, metrics, and exact resume."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from netfixtures import GO5, random_samples, tiny_model

from zero.learn.replay import ReplayBatch, ReplayBuffer, ReplayConfig
from zero.learn.train import TrainConfig, Trainer, compute_losses
from zero.nn.network import NetworkConfig, PolicyValueNet


def _replay(n=64, seed=0, one_hot=False) -> ReplayBuffer:
    buffer = ReplayBuffer(
        ReplayConfig(window=1000, growth=False), in_channels=17, board_size=5, num_actions=26, seed=seed
    )
    buffer.add(*random_samples(n, GO5, seed=seed, one_hot=one_hot))
    return buffer


def _params(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.named_parameters()}


def _config(**kw) -> TrainConfig:
    base = {"batch_size": 16, "lr": 0.05, "lr_schedule": "constant", "device": "cpu", "log_every": 5}
    return TrainConfig(**{**base, **kw})


def test_overfitting_a_tiny_fixed_batch_drives_the_loss_near_zero():
    """One-hot policies, +-1 values and +-1 owners: every term can reach 0, and a 2-block net memorises 8 positions."""
    torch.manual_seed(0)
    buffer = _replay(8, one_hot=True)
    batch = buffer.gather(np.arange(8), np.zeros(8, np.int64))
    config = NetworkConfig(blocks=2, channels=32, global_pooling_every=2, global_pooling_channels=8, value_hidden=32)
    trainer = Trainer(
        PolicyValueNet(config, GO5), _config(optimizer="adamw", lr=3e-3, weight_decay=0.0, log_every=10**6), buffer
    )
    model = trainer.model
    with torch.no_grad():
        first = compute_losses(model.eval()(batch.planes.float()), batch)
    for _ in range(300):
        trainer.train_on_batch(batch)
    with torch.no_grad():
        last = compute_losses(model.eval()(batch.planes.float()), batch)
    assert first["policy_loss"] > 2.5  # ~log(26) at the start
    assert last["policy_loss"] < 0.05 and last["value_loss"] < 0.01 and last["ownership_loss"] < 0.05


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
def test_a_step_changes_the_weights_and_a_zero_lr_does_not(optimizer):
    for lr, should_change in ((0.05, True), (0.0, False)):
        trainer = Trainer(tiny_model(), _config(optimizer=optimizer, lr=lr), _replay())
        before = _params(trainer.model)
        trainer.train_steps(1)
        changed = [k for k, v in _params(trainer.model).items() if not torch.equal(v, before[k])]
        if should_change:
            assert len(changed) == len(before), f"untouched: {set(before) - set(changed)}"
        else:
            assert changed == []
        assert trainer.step == 1


def test_lr_schedules():
    step = TrainConfig(lr=0.1, lr_schedule="step", lr_step_every=100, lr_step_gamma=0.1)
    assert [step.lr_at(s) for s in (0, 99, 100, 250)] == pytest.approx([0.1, 0.1, 0.01, 0.001])
    cosine = TrainConfig(lr=0.1, lr_schedule="cosine", lr_total_steps=1000, lr_min_ratio=0.0)
    assert cosine.lr_at(0) == pytest.approx(0.1)
    assert cosine.lr_at(500) == pytest.approx(0.05)
    assert cosine.lr_at(1000) == pytest.approx(0.0) and cosine.lr_at(5000) == pytest.approx(0.0)
    budget = TrainConfig(lr=0.1, lr_schedule="budget", lr_min_ratio=0.1)  # by the run's time, not its steps
    assert [budget.lr_at(7, used) for used in (0.0, 0.5, 1.0, 3.0)] == pytest.approx([0.1, 0.055, 0.01, 0.01])
    assert budget.lr_at(10**6, 0.0) == pytest.approx(0.1)
    late = TrainConfig(lr=0.1, lr_schedule="budget", lr_min_ratio=0.1, lr_anneal_from=0.6)  # constant, then the cosine
    assert [late.lr_at(7, used) for used in (0.0, 0.6, 0.8, 1.0, 3.0)] == pytest.approx([0.1, 0.1, 0.055, 0.01, 0.01])
    with pytest.raises(ValueError, match="lr_anneal_from"):
        TrainConfig(lr_anneal_from=1.0).validate()
    warm = TrainConfig(lr=0.1, lr_schedule="constant", lr_warmup_steps=10)
    assert warm.lr_at(0) == pytest.approx(0.01) and warm.lr_at(9) == pytest.approx(0.1) and warm.lr_at(50) == 0.1


def test_trainer_applies_the_schedule_to_the_optimizer():
    trainer = Trainer(tiny_model(), _config(lr=0.1, lr_schedule="step", lr_step_every=2, lr_step_gamma=0.5), _replay())
    trainer.train_steps(3)
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(0.05)


def test_gradient_clipping_bounds_the_update():
    """SGD without momentum: the update is lr * clipped gradient, so its norm is at most lr * grad_clip."""
    trainer = Trainer(tiny_model(), _config(lr=1.0, momentum=0.0, weight_decay=0.0, grad_clip=0.01), _replay())
    before = _params(trainer.model)
    trainer.train_steps(1)
    delta = torch.sqrt(sum(((v - before[k]) ** 2).sum() for k, v in _params(trainer.model).items()))
    assert float(delta) <= 0.01 * 1.0001


def test_metrics_go_to_jsonl_and_tensorboard(tmp_path):
    trainer = Trainer(tiny_model(), _config(log_every=5), _replay(), run_dir=tmp_path)
    record = trainer.train_steps(10)
    trainer.close()
    lines = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == [5, 10]
    assert all(
        r["kind"] == "train" and r["time"] > 0 for r in lines
    )  # the one metrics.jsonl schema (zero.common.metrics)
    for key in (
        "loss",
        "policy_loss",
        "value_loss",
        "ownership_loss",
        "policy_entropy",
        "value_accuracy",
        "lr",
        "samples_per_s",
    ):
        assert math.isfinite(lines[-1][key]), key
    assert 0 <= lines[-1]["value_accuracy"] <= 1
    assert 0 < lines[-1]["policy_entropy"] <= math.log(26) + 1e-4
    assert record["step"] == 10
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))


def test_resume_from_state_dict_continues_bit_identically():
    """10 steps straight == 5 steps, save, fresh trainer, load, 5 steps (same sampled batches, same weights)."""
    straight = Trainer(tiny_model(seed=0), _config(), _replay(seed=1), seed=3)
    straight.train_steps(10)

    first = Trainer(tiny_model(seed=0), _config(), _replay(seed=1), seed=3)
    first.train_steps(5)
    state = first.state_dict()
    resumed = Trainer(tiny_model(seed=9), _config(), _replay(seed=1), seed=4)
    resumed.load_state_dict(state)
    resumed.train_steps(5)
    assert resumed.step == 10
    for k, v in straight.model.state_dict().items():
        assert torch.equal(v, resumed.model.state_dict()[k]), k


def test_ownership_loss_ignores_samples_without_ownership():
    model = tiny_model().eval()
    buffer = _replay(8)
    batch = buffer.gather(np.arange(8), np.zeros(8, np.int64))
    with torch.no_grad():
        out = model(batch.planes.float())
    flipped = ReplayBatch(batch.planes, batch.policy, batch.value, -batch.ownership, torch.zeros(8, dtype=torch.bool))
    masked = ReplayBatch(batch.planes, batch.policy, batch.value, batch.ownership, torch.zeros(8, dtype=torch.bool))
    assert compute_losses(out, flipped)["ownership_loss"] == compute_losses(out, masked)["ownership_loss"] == 0


def test_config_validation_names_the_field():
    with pytest.raises(ValueError, match="^batch_size"):
        TrainConfig(batch_size=0).validate()
    with pytest.raises(ValueError, match="^momentum"):
        TrainConfig(momentum=1.0).validate()
    with pytest.raises(ValueError, match="^optimizer"):
        TrainConfig(optimizer="lion").validate()


def test_training_without_data_is_a_clear_error():
    empty = ReplayBuffer(ReplayConfig(window=10), in_channels=17, board_size=5, num_actions=26)
    with pytest.raises(ValueError, match="empty"):
        Trainer(tiny_model(), _config(), empty).train_steps(1)


def test_a_non_finite_loss_stops_training_at_once_naming_the_step_and_the_loss():
    from zero.learn.train import TrainingDiverged

    trainer = Trainer(tiny_model(), _config(lr=1e30, grad_clip=0.0, log_every=1000), _replay())
    snapshot = _params(trainer.model)
    with pytest.raises(TrainingDiverged) as info:
        for _ in range(20):
            snapshot = _params(trainer.model)
            trainer.train_steps(1)
    message = str(info.value)
    step = trainer.step + 1  # the step whose loss was not finite was not taken
    assert message.startswith(f"training diverged at step {step}: ") and "\n" not in message
    assert "policy_loss nan" in message or "value_loss nan" in message
    after = _params(trainer.model)
    assert all(torch.equal(after[k], v) for k, v in snapshot.items())  # no backward, no optimizer step with the nan


def test_only_the_non_finite_terms_are_named():
    from zero.learn.train import divergence_message

    losses = {
        "policy_loss": torch.tensor(2.0),
        "value_loss": torch.tensor(float("inf")),
        "loss": torch.tensor(float("inf")),
    }
    assert divergence_message(7, losses) == "training diverged at step 7: value_loss inf"
    losses = {"policy_loss": torch.tensor(3e38), "value_loss": torch.tensor(3e38), "loss": torch.tensor(float("inf"))}
    assert divergence_message(8, losses) == "training diverged at step 8: loss inf"  # finite terms, overflowing sum


def test_check_weights_catches_weights_whose_outputs_overflow():
    from zero.learn.train import TrainingDiverged

    trainer = Trainer(tiny_model(), _config(), _replay())
    trainer.check_weights()  # a healthy network passes
    with torch.no_grad():
        for p in trainer.model.parameters():
            if p.ndim > 1:
                p.mul_(1e30)  # every weight finite, the outputs are not
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters())
    with pytest.raises(TrainingDiverged, match="not finite"):
        trainer.check_weights()
