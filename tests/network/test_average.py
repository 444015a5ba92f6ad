"""`zero average` and zero.nn.checkpoint.average_weights: the mean of one network's checkpoints, refused across architectures."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from netfixtures import GO5, TINY, random_samples, tiny_model
from safetensors.torch import load_file, save_file

from zero.cli import main
from zero.nn.checkpoint import CheckpointError, average_weights, load_checkpoint, save_checkpoint
from zero.nn.inference import NetworkEvaluator


def _trained_like(seed: int) -> torch.nn.Module:
    """A tiny network with distinct weights and batch-norm statistics (as two points of one training would have)."""
    model = tiny_model(seed=seed)
    model.train()
    with torch.no_grad():
        model(torch.as_tensor(random_samples(16, GO5, seed=seed)[0], dtype=torch.float32))
    return model


def _save(directory, model, step):
    return save_checkpoint(directory, model, step=step, model_version=step // 10, run_config={"run": {"seed": step}})


def test_the_average_is_each_tensors_mean_and_plays_like_a_network_of_those_weights(tmp_path, capsys):
    a, b, c = _trained_like(1), _trained_like(2), _trained_like(3)
    for name, model, step in (("a", a, 100), ("b", b, 200), ("c", c, 300)):
        _save(tmp_path / name, model, step)
    assert main(["average", str(tmp_path / "mean"), *(str(tmp_path / n) for n in "abc")]) == 0
    assert "the mean of 3 checkpoints' weights" in capsys.readouterr().out
    averaged = load_checkpoint(tmp_path / "mean")
    sources = [m.state_dict() for m in (a, b, c)]
    for name, tensor in averaged.state_dict.items():
        if tensor.is_floating_point():  # weights and batch norm's running mean and variance alike
            expected = sum(s[name].double() for s in sources) / 3
            torch.testing.assert_close(tensor.double(), expected, rtol=1e-6, atol=1e-7, msg=name)
        else:  # batch norm's step counter: the last checkpoint's
            assert torch.equal(tensor, sources[-1][name]), name
    # the last checkpoint's step, version and run config; each source named with its step and hash
    assert (averaged.step, averaged.model_version, averaged.run_config) == (300, 30, {"run": {"seed": 300}})
    assert [(s["name"], s["step"]) for s in averaged.averaged_from] == [
        (str(tmp_path / n), st) for n, st in zip("abc", (100, 200, 300))
    ]
    assert all(len(s["sha256"]) == 64 for s in averaged.averaged_from)
    # it evaluates as a network built from the mean weights does, and differs from each source
    planes = random_samples(4, GO5, seed=9)[0].astype(np.float32)
    reference = tiny_model()
    reference.load_state_dict({k: v for k, v in averaged.state_dict.items()})
    got = NetworkEvaluator.from_checkpoint(str(tmp_path / "mean"), device="cpu").evaluate(planes)
    want = NetworkEvaluator(reference, device="cpu").evaluate(planes)
    for x, y in zip(got, want):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)
    first = NetworkEvaluator.from_checkpoint(str(tmp_path / "a"), device="cpu").evaluate(planes)
    assert not np.allclose(first[0], got[0])


def test_checkpoints_of_other_architectures_or_games_are_refused_naming_the_difference(tmp_path):
    a = load_checkpoint(_save(tmp_path / "a", _trained_like(1), 100))
    wider = load_checkpoint(
        _save(tmp_path / "w", tiny_model(config=dataclasses.replace(TINY, channels=TINY.channels + 8)), 100)
    )
    with pytest.raises(CheckpointError, match=f"channels={TINY.channels} against {TINY.channels + 8}"):
        average_weights([a, wider])
    other_game = dataclasses.replace(a, shape=dataclasses.replace(GO5, board_size=7, num_actions=50))
    with pytest.raises(CheckpointError, match="game shape differs.*board_size=5 against 7"):
        average_weights([a, other_game])
    with pytest.raises(CheckpointError, match="at least two checkpoints, got 1"):
        average_weights([a])


def test_a_refused_average_writes_nothing_and_an_existing_checkpoint_is_never_overwritten(tmp_path, capsys):
    _save(tmp_path / "a", _trained_like(1), 100)
    _save(tmp_path / "b", _trained_like(2), 200)
    _save(tmp_path / "w", tiny_model(config=dataclasses.replace(TINY, blocks=TINY.blocks + 1)), 300)
    with pytest.raises(SystemExit) as exit_info:
        main(["average", str(tmp_path / "out"), str(tmp_path / "a"), str(tmp_path / "w")])
    assert exit_info.value.code == 2 and "blocks=" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    before = (tmp_path / "a" / "latest").read_text(), sorted(p.name for p in (tmp_path / "a").iterdir())
    with pytest.raises(SystemExit):
        main(["average", str(tmp_path / "a"), str(tmp_path / "a"), str(tmp_path / "b")])
    assert "already holds a checkpoint" in capsys.readouterr().err
    assert ((tmp_path / "a" / "latest").read_text(), sorted(p.name for p in (tmp_path / "a").iterdir())) == before
    with pytest.raises(SystemExit):
        main(["average", str(tmp_path / "out"), str(tmp_path / "a"), str(tmp_path / "nothing")])
    assert "no such file or directory" in capsys.readouterr().err and not (tmp_path / "out").exists()


@pytest.mark.parametrize("averaged_from", [["x"], [3], "abc"])
def test_a_checkpoint_whose_averaged_from_is_not_a_list_of_records_is_refused(tmp_path, averaged_from):
    _save(tmp_path, _trained_like(1), 100)
    meta = tmp_path / "model-00000100.json"
    weights = tmp_path / "model-00000100.safetensors"

    metadata = json.loads(meta.read_text())
    metadata["averaged_from"] = averaged_from
    save_file(load_file(str(weights)), str(weights), metadata={"zero": json.dumps(metadata)})
    with pytest.raises(CheckpointError, match="bad checkpoint metadata"):
        load_checkpoint(tmp_path)


def test_a_network_with_the_opponent_head_averages_with_one_without_and_the_mean_drops_the_head(tmp_path, capsys):
    """A continuation trained with the opponent policy head (training only) averages with its parent, which has
    none: the mean is the shared tensors' mean, plays as a network of those weights, and has no head."""
    with_head = dataclasses.replace(TINY, opponent_policy_head=True)
    parent = _trained_like(1)
    child = tiny_model(config=with_head, seed=2)
    child.train()
    with torch.no_grad():
        child(torch.as_tensor(random_samples(16, GO5, seed=2)[0], dtype=torch.float32))
    _save(tmp_path / "parent", parent, 100)
    save_checkpoint(
        tmp_path / "child",
        child,
        step=200,
        model_version=20,
        run_config={"run": {"seed": 200}, "network": {"blocks": TINY.blocks, "opponent_policy_head": True}},
    )
    assert main(["average", str(tmp_path / "mean"), str(tmp_path / "parent"), str(tmp_path / "child")]) == 0
    assert "without the opponent policy head" in capsys.readouterr().out
    averaged = load_checkpoint(tmp_path / "mean")
    assert not averaged.network_config.opponent_policy_head
    assert not any(name.startswith("opponent_policy_") for name in averaged.state_dict)
    assert averaged.network_config == load_checkpoint(tmp_path / "parent").network_config
    # the last source's run config is kept, saying what the mean is: no head
    assert averaged.run_config == {
        "run": {"seed": 200},
        "network": {"blocks": TINY.blocks, "opponent_policy_head": False},
    }
    sources = parent.state_dict(), child.state_dict()
    assert set(averaged.state_dict) == set(sources[0])
    for name, tensor in averaged.state_dict.items():
        if tensor.is_floating_point():
            expected = (sources[0][name].double() + sources[1][name].double()) / 2
            torch.testing.assert_close(tensor.double(), expected, rtol=1e-6, atol=1e-7, msg=name)
    # the head-less copy of the child plays as the child does (to float rounding: two evaluators' kernels may
    # sum in different orders)
    child_checkpoint = load_checkpoint(tmp_path / "child")
    stripped = child_checkpoint.without_opponent_policy_head()
    planes = random_samples(4, GO5, seed=9)[0].astype(np.float32)
    got = NetworkEvaluator(stripped.build_model(), device="cpu").evaluate(planes)
    want = NetworkEvaluator(child_checkpoint.build_model(), device="cpu").evaluate(planes)
    for x, y in zip(got, want):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)
    # the refusal still holds for any other difference, and average_weights itself refuses the mixed pair
    with pytest.raises(CheckpointError, match="opponent_policy_head=False against True"):
        average_weights([load_checkpoint(tmp_path / "parent"), child_checkpoint])
