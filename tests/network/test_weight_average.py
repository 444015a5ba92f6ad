"""train.average_steps: the weights a run publishes are a moving average of the trained ones (KataGo's SWA), saved
as the checkpoint's weights, resumed exactly, started at --init-from's weights, checked for divergence."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from netfixtures import GO5, random_samples, tiny_model

from selfplay.learner import Learner
from selfplay.resume import plan_resume
from selfplay.rundir import RunDir
from zero.learn.replay import ReplayBuffer, ReplayConfig
from zero.learn.train import TrainConfig, Trainer, TrainingDiverged
from zero.nn.checkpoint import load_checkpoint, save_checkpoint


def _trainer(average_steps: int, seed: int = 0) -> Trainer:
    replay = ReplayBuffer(ReplayConfig(window=100, growth=False), in_channels=17, board_size=5, num_actions=26, seed=1)
    replay.add(*random_samples(64, GO5, seed=1))
    config = TrainConfig(
        batch_size=8, lr=0.05, lr_schedule="constant", device="cpu", log_every=1000, average_steps=average_steps
    )
    return Trainer(tiny_model(seed=seed), config, replay, seed=3)


def _floats(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Parameters and batch-norm statistics (the step counters are integers, not averaged weights)."""
    return {k: v.detach().clone() for k, v in model.state_dict().items() if v.is_floating_point()}


def _assert_close(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6, msg=key)


def test_the_published_weights_are_the_moving_average_of_the_trained_ones():
    """Decay 1 - 1/4 a step from the first step's weights, batch-norm statistics included; the trained weights train on."""
    trainer = _trainer(average_steps=4)
    plain = _trainer(average_steps=0)
    expected = None
    for _ in range(6):
        trainer.train_steps(1)
        plain.train_steps(1)
        trained = _floats(trainer.model)
        expected = trained if expected is None else {k: 0.75 * expected[k] + 0.25 * trained[k] for k in trained}
    _assert_close(_floats(trainer.published_model), expected)
    assert any(not torch.allclose(expected[k], trained[k]) for k in trained)  # the average is not the last step
    assert any("running_mean" in k for k in expected)
    for key, value in _floats(plain.model).items():  # averaging never changes how the trained weights train
        assert torch.equal(value, trained[key]), key
    assert plain.published_model is plain.model


def test_the_checkpoint_holds_the_average_and_a_resume_continues_both_exactly(tmp_path):
    straight = _trainer(average_steps=3)
    straight.train_steps(6)

    first = _trainer(average_steps=3)
    first.train_steps(3)
    first.save_checkpoint(tmp_path, model_version=1)
    saved = load_checkpoint(tmp_path).state_dict
    _assert_close({k: v for k, v in saved.items() if v.is_floating_point()}, _floats(first.published_model))
    assert any(not torch.allclose(saved[k], v) for k, v in _floats(first.model).items())

    resumed = _trainer(average_steps=3, seed=42)  # other initial weights on purpose
    resumed.load_checkpoint(tmp_path)
    assert resumed.step == 3 and int(resumed.averaged.n_averaged) == 3
    resumed.train_steps(3)
    for mine, theirs in ((resumed.model, straight.model), (resumed.published_model, straight.published_model)):
        for key, value in theirs.state_dict().items():
            assert torch.equal(mine.state_dict()[key], value), key


def test_a_run_from_init_weights_starts_its_average_there():
    """--init-from: the average begins at the source's weights, not at the first step's."""
    trainer = _trainer(average_steps=4)
    source = tiny_model(seed=7)
    initial = _floats(source)
    trainer.load_weights(source.state_dict())
    _assert_close(_floats(trainer.published_model), initial)
    trainer.train_steps(1)
    trained = _floats(trainer.model)
    _assert_close(_floats(trainer.published_model), {k: 0.75 * initial[k] + 0.25 * trained[k] for k in initial})


def test_the_learner_publishes_and_snapshots_the_average(tmp_path):
    from selfplay.config import load_config

    config = load_config(
        "configs/tiny.toml", ["run.progress=false", "train.device=cpu", "train.average_steps=2", "train.batch_size=8"]
    )
    rd = RunDir(tmp_path / "run").create()
    learner = Learner(config, rd, resume=plan_resume(config, rd))
    learner.replay.add(*random_samples(32, learner.trainer.model.shape, seed=2))
    learner.train(3)
    published = learner.numpy_weights()
    averaged = learner.trainer.published_model.state_dict()
    trained = learner.trainer.model.state_dict()
    assert all(np.array_equal(published[k], averaged[k].contiguous().numpy()) for k in published)
    assert not all(np.array_equal(published[k], trained[k].contiguous().numpy()) for k in published)
    snapshot = load_checkpoint(learner.save_snapshot(tmp_path / "snap", run_config={}))
    assert all(torch.equal(snapshot.state_dict[k], averaged[k].contiguous()) for k in averaged)
    learner.close()


def test_diverged_averaged_weights_are_caught_and_nothing_is_written(tmp_path):
    trainer = _trainer(average_steps=4)
    trainer.train_steps(1)
    with torch.no_grad():
        next(trainer.averaged.module.parameters()).fill_(float("nan"))
    with pytest.raises(TrainingDiverged, match="averaged weights"):
        trainer.save_checkpoint(tmp_path, model_version=1)
    assert not list(tmp_path.iterdir())


def test_a_negative_horizon_is_refused_naming_the_field():
    with pytest.raises(ValueError, match="^average_steps"):
        TrainConfig(average_steps=-1).validate()


def test_a_checkpoint_of_a_run_without_averaging_resumes_into_one_that_averages(tmp_path):
    """Turning averaging on at a resume: the average starts at the checkpoint's weights."""
    plain = _trainer(average_steps=0)
    plain.train_steps(2)
    save_checkpoint(
        tmp_path, plain.model, step=2, model_version=1, training_state=plain.state_dict(include_model=False)
    )
    resumed = _trainer(average_steps=4, seed=5)
    resumed.load_checkpoint(tmp_path)
    _assert_close(_floats(resumed.published_model), _floats(plain.model))
    _assert_close(_floats(resumed.model), _floats(plain.model))
