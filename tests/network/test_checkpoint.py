"""Checkpoints: exact round trips, the stored architecture wins, and malicious or truncated files are refused without running anything."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from netfixtures import GO5, TINY, random_samples, tiny_model

from zero.learn.replay import ReplayBuffer, ReplayConfig
from zero.learn.train import TrainConfig, Trainer, TrainingDiverged
from zero.nn.checkpoint import CheckpointError, list_checkpoints, load_checkpoint, load_training_state, save_checkpoint
from zero.nn.inference import NetworkEvaluator
from zero.nn.network import GameShape, NetworkConfig


class _Payload:
    """Unpickling this runs ``open(marker, 'w')``: the classic arbitrary-code pickle."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _malicious_bytes(marker) -> bytes:
    return pickle.dumps({"state": _Payload(str(marker))})


def _planes(n=4) -> np.ndarray:
    return random_samples(n, GO5, seed=5)[0].astype(np.float32)


def _trainer(tmp_path, seed=0) -> Trainer:
    replay = ReplayBuffer(
        ReplayConfig(window=100, growth=False), in_channels=17, board_size=5, num_actions=26, seed=seed
    )
    replay.add(*random_samples(32, GO5, seed=seed))
    config = TrainConfig(batch_size=8, lr_schedule="constant", device="cpu", log_every=1000)
    return Trainer(tiny_model(seed=seed), config, replay, seed=seed)


def test_round_trip_restores_bit_identical_weights_and_outputs(tmp_path):
    trainer = _trainer(tmp_path)
    trainer.train_steps(3)  # non-trivial weights and batch-norm statistics
    path = trainer.save_checkpoint(tmp_path, model_version=1, run_config={"game": {"name": "go", "size": 5}})
    ckpt = load_checkpoint(tmp_path)  # the directory: follows 'latest'
    assert ckpt.path == path and ckpt.step == 3 and ckpt.model_version == 1
    assert ckpt.run_config == {"game": {"name": "go", "size": 5}}
    model = ckpt.build_model()
    for k, v in trainer.model.state_dict().items():
        assert torch.equal(model.state_dict()[k], v), k
    original = NetworkEvaluator(trainer.model, device="cpu").evaluate(_planes())
    restored = NetworkEvaluator.from_checkpoint(str(tmp_path), device="cpu").evaluate(_planes())
    for a, b in zip(original, restored):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "run_config, komi",
    [
        ({"go": {"komi": 6.5}}, 6.5),
        ({"go": {"komi": -3}}, -3.0),
        ({"go": {}}, None),
        ({}, None),
        ({"go": {"komi": "x"}}, None),
    ],
)
def test_the_training_komi_comes_back_with_the_network(tmp_path, run_config, komi):
    """A network without the komi plane predicts scores at the komi its run trained at: loading keeps it, where known."""
    _trainer(tmp_path).save_checkpoint(tmp_path, model_version=1, run_config=run_config)
    assert load_checkpoint(tmp_path).trained_komi == komi
    assert NetworkEvaluator.from_checkpoint(str(tmp_path), device="cpu").trained_komi == komi


def test_resume_through_a_checkpoint_matches_training_straight_through(tmp_path):
    straight = _trainer(tmp_path)
    straight.train_steps(6)
    first = _trainer(tmp_path)
    first.train_steps(3)
    first.save_checkpoint(tmp_path, model_version=1, run_state={"games": 12})
    resumed = _trainer(tmp_path, seed=0)
    resumed.model.load_state_dict(tiny_model(seed=42).state_dict())  # start from different weights on purpose
    assert resumed.load_checkpoint(tmp_path) == {"games": 12}  # the caller's run state comes back
    assert resumed.step == 3 and resumed.model_version == 1
    resumed.train_steps(3)
    for k, v in straight.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[k], v), k


def test_keeps_the_last_k_and_points_latest_at_the_newest(tmp_path):
    model = tiny_model()
    for step in (10, 20, 30, 40):
        save_checkpoint(
            tmp_path, model, step=step, model_version=step // 10, training_state={"step": step}, keep_last=2
        )
    assert [p.name for p in list_checkpoints(tmp_path)] == ["model-00000030.safetensors", "model-00000040.safetensors"]
    assert (tmp_path / "latest").read_text().strip() == "model-00000040"
    assert sorted(p.name for p in tmp_path.glob("train-*.pt")) == ["train-00000030.pt", "train-00000040.pt"]
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*"))
    assert load_checkpoint(tmp_path).step == 40


def test_a_run_directory_stands_for_its_checkpoints(tmp_path):
    save_checkpoint(tmp_path / "run" / "checkpoints", tiny_model(), step=7, model_version=2)
    assert load_checkpoint(tmp_path / "run").step == 7  # `zero gtp --model runs/NAME` as well as runs/NAME/checkpoints
    (tmp_path / "empty" / "checkpoints").mkdir(parents=True)
    with pytest.raises(CheckpointError, match="no checkpoint in this directory"):
        load_checkpoint(tmp_path / "empty")


def test_the_checkpoints_architecture_wins_and_a_conflicting_one_is_named(tmp_path):
    stored = NetworkConfig(blocks=3, channels=8, global_pooling_every=0, ownership_head=False)
    save_checkpoint(tmp_path, tiny_model(config=stored), step=1, model_version=1)
    ckpt = load_checkpoint(tmp_path)
    assert ckpt.network_config == stored and ckpt.build_model().config == stored  # no config given: the stored one
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(tmp_path, expected_config=TINY)
    message = str(err.value)
    assert "blocks=3" in message and "blocks=2" in message  # both architectures are named
    with pytest.raises(CheckpointError, match="9"):
        load_checkpoint(tmp_path, expected_shape=GameShape(17, 9, 82))


def test_a_pickle_that_runs_code_is_refused_as_weights_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    weights = tmp_path / "model-00000001.safetensors"
    weights.write_bytes(_malicious_bytes(marker))
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        load_checkpoint(weights)
    evil_pt = tmp_path / "model.pt"
    torch.save({"state": _Payload(str(marker))}, evil_pt)
    with pytest.raises(CheckpointError):
        load_checkpoint(evil_pt)
    assert not marker.exists()


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_a_pickle_that_runs_code_is_refused_as_training_state_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    save_checkpoint(tmp_path, tiny_model(), step=1, model_version=1, training_state={"step": 1})
    train = tmp_path / "train-00000001.pt"
    torch.save({"optimizer": _Payload(str(marker))}, train)  # a real torch.save file with a code-running object
    ckpt = load_checkpoint(tmp_path)
    with pytest.raises(CheckpointError, match="refused to load the training state"):
        ckpt.load_training_state()
    train.write_bytes(_malicious_bytes(marker))  # a bare pickle too
    with pytest.raises(CheckpointError, match="refused"):
        load_training_state(train)
    assert not marker.exists()


@pytest.mark.parametrize("keep", [4, 100, 0.5, 0.99])
def test_a_truncated_weights_file_is_refused(tmp_path, keep):
    path = save_checkpoint(tmp_path, tiny_model(), step=1, model_version=1)
    data = path.read_bytes()
    cut = int(keep) if keep >= 1 else int(len(data) * keep)
    path.write_bytes(data[:cut])
    with pytest.raises(CheckpointError, match="truncated|not a safetensors"):
        load_checkpoint(path)


def test_a_truncated_training_state_is_refused(tmp_path):
    save_checkpoint(
        tmp_path,
        tiny_model(),
        step=1,
        model_version=1,
        training_state=_trainer(tmp_path).state_dict(include_model=False),
    )
    train = tmp_path / "train-00000001.pt"
    assert load_checkpoint(tmp_path).load_training_state()["step"] == 0  # intact, it loads
    data = train.read_bytes()
    train.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="refused to load the training state"):
        load_checkpoint(tmp_path).load_training_state()


def test_missing_and_empty_locations_are_clear_errors(tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint in this directory"):
        load_checkpoint(tmp_path)
    with pytest.raises(CheckpointError, match="no such checkpoint file"):
        load_checkpoint(tmp_path / "model-00000009.safetensors")


def test_a_crash_mid_save_leaves_the_previous_checkpoint_loadable(tmp_path, monkeypatch):
    model = tiny_model()
    save_checkpoint(tmp_path, model, step=1, model_version=1)
    import zero.nn.checkpoint as checkpoint

    def exploding_save(tensors, filename, metadata=None):
        with open(filename, "wb") as fh:
            fh.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint, "save_file", exploding_save)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(tmp_path, model, step=2, model_version=2)
    assert load_checkpoint(tmp_path).step == 1
    assert not (tmp_path / "model-00000002.safetensors").exists()
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def _poison(model, how: str) -> None:
    """Make a network unusable as a diverged run does: a nan in one tensor, or finite weights so large they overflow."""
    with torch.no_grad():
        weight = next(p for name, p in model.named_parameters() if name.endswith("weight") and p.ndim == 4)
        if how == "nan":
            weight[0, 0, 0, 0] = float("nan")
        else:
            model.apply(lambda m: [p.mul_(1e30) for p in m.parameters(recurse=False) if p.ndim > 1])


@pytest.mark.parametrize("how", ["nan", "overflow"])
def test_a_diverged_network_is_never_written_and_latest_keeps_the_last_finite_one(tmp_path, how):
    trainer = _trainer(tmp_path)
    trainer.train_steps(2)
    for version in range(1, 4):  # keep_last=3 full of finite checkpoints
        trainer.train_steps(1)
        good = trainer.save_checkpoint(tmp_path, model_version=version, keep_last=3)
    files = sorted(p.name for p in tmp_path.iterdir())
    _poison(trainer.model, how)
    for version in range(4, 7):  # a diverged run checkpointing every step must not prune the finite ones away
        trainer.step += 1
        with pytest.raises(TrainingDiverged) as diverged:  # the trainer's own check
            trainer.save_checkpoint(tmp_path, model_version=version, keep_last=3)
        with pytest.raises(CheckpointError) as refused:  # and the writer's, for any other caller
            save_checkpoint(tmp_path, trainer.model, step=trainer.step, model_version=version, keep_last=3)
        for message in (str(diverged.value), str(refused.value)):
            assert ("nan or inf in the weights" if how == "nan" else "not finite") in message and "\n" not in message
        assert "refused to write checkpoint" in str(refused.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == files  # nothing written, nothing pruned
    assert load_checkpoint(tmp_path).path == good


def test_nan_in_the_training_state_is_never_written(tmp_path):
    trainer = _trainer(tmp_path)
    trainer.train_steps(2)
    state = trainer.state_dict(include_model=False)
    next(iter(state["optimizer"]["state"].values()))["momentum_buffer"][0] = float("inf")
    with pytest.raises(CheckpointError, match="training state"):
        save_checkpoint(tmp_path, trainer.model, step=2, model_version=1, training_state=state)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("how", ["nan", "overflow"])
def test_loading_a_diverged_checkpoint_is_refused_with_one_line(tmp_path, how):
    from safetensors.torch import save_file

    trainer = _trainer(tmp_path)
    path = trainer.save_checkpoint(tmp_path, model_version=1)
    _poison(trainer.model, how)  # written behind the writer's back, as an older version of zero could have
    header = {"zero": json.dumps(json.loads(path.with_suffix(".json").read_text()))}
    save_file({k: v.contiguous() for k, v in trainer.model.state_dict().items()}, str(path), metadata=header)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(tmp_path)
    assert "refused" in str(info.value) and "diverged" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(CheckpointError):
        NetworkEvaluator.from_checkpoint(str(tmp_path), device="cpu")
    out = subprocess.run(
        [sys.executable, "-m", "zero.cli", "gtp", "--model", str(tmp_path)],
        input="genmove b\nquit\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and "diverged" in out.stderr


def test_a_checkpoint_plays_another_board_size_with_the_same_weights(tmp_path):
    trainer = _trainer(tmp_path)
    trainer.train_steps(3)
    trainer.save_checkpoint(tmp_path, model_version=1, run_config={})
    ckpt = load_checkpoint(tmp_path)
    bigger = ckpt.for_board_size(7)
    assert bigger.shape == GameShape(in_channels=17, board_size=7, num_actions=50) and ckpt.shape == GO5
    model = bigger.build_model()
    assert all(torch.equal(model.state_dict()[k], v) for k, v in ckpt.state_dict.items())
    planes = random_samples(3, bigger.shape, seed=2)[0].astype(np.float32)
    priors, values = NetworkEvaluator.from_loaded(bigger, device="cpu").evaluate(planes)
    assert priors.shape == (3, 50) and np.allclose(priors.sum(axis=1), 1.0) and np.all(np.abs(values) <= 1.0)
    with pytest.raises(ValueError, match="board_size"):
        ckpt.for_board_size(0)
