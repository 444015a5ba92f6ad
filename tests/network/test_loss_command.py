"""`zero loss REPLAY MODEL...`: networks' losses on a replay's newest positions, checked against the losses computed
here from the shards' own arrays; the replay is only read; what cannot be scored is refused with one line."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from netfixtures import GO5, GO9, TINY, random_samples, tiny_model
from torch.nn import functional as F

from zero.cli import main
from zero.learn.replay import ReplayBuffer, ReplayConfig
from zero.nn.checkpoint import load_checkpoint, save_checkpoint
from zero.nn.network import GameShape, PolicyValueNet


def write_replay(directory, batches: list[int], seed: int = 0) -> list[tuple]:
    """Shards of ``batches`` positions each (one shard per batch), the samples of each returned."""
    replay = ReplayBuffer(
        ReplayConfig(window=10_000, growth=False, shard_size=1_000_000),
        in_channels=17,
        board_size=5,
        num_actions=26,
        directory=directory,
    )
    written = []
    for i, count in enumerate(batches):
        planes, policy, value, ownership = random_samples(count, GO5, seed=seed + i)
        has_ownership = i % 2 == 0
        replay.add(planes, policy, value, ownership if has_ownership else None)
        replay.flush()
        written.append((planes, policy, value, ownership, has_ownership))
    return written


def expected(model, samples) -> dict[str, float]:
    """The losses written out here from the samples (float16 policy as the replay stores it), not with the trainer's code."""
    planes = torch.from_numpy(np.concatenate([s[0] for s in samples])).float()
    policy = torch.from_numpy(np.concatenate([s[1] for s in samples]).astype(np.float16).astype(np.float32))
    value = torch.from_numpy(np.concatenate([s[2] for s in samples]))
    with torch.no_grad():
        out = model.eval()(planes)
    log_p = F.log_softmax(out.policy_logits, 1)
    owned = np.concatenate([np.full(len(s[2]), s[4]) for s in samples])
    target = torch.from_numpy(np.concatenate([s[3] for s in samples])).float()[owned]
    own_p = (out.ownership[owned] + 1) / 2  # tanh output as a probability of owning the point
    bce = -((target + 1) / 2 * torch.log(own_p) + (1 - target) / 2 * torch.log(1 - own_p)).mean()
    return {
        "policy_loss": float(-(policy * log_p).sum(1).mean()),
        "policy_top1": float((log_p.argmax(1) == policy.argmax(1)).float().mean()),
        "value_loss": float(((out.value - value) ** 2).mean()),
        "ownership_loss": float(bce),
    }


def run_json(argv, capsys) -> dict:
    assert main(["loss", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_losses_are_those_of_the_newest_positions_and_the_replay_is_only_read(tmp_path, capsys):
    samples = write_replay(tmp_path / "run" / "replay", [30, 20, 25])
    save_checkpoint(tmp_path / "a", tiny_model(seed=1), step=1, model_version=1)
    save_checkpoint(tmp_path / "b", tiny_model(GO9, seed=2), step=1, model_version=1)  # trained on 9x9: reads 5x5
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "run").rglob("*")}
    found = run_json([str(tmp_path / "run"), str(tmp_path / "a"), str(tmp_path / "b"), "--batch-size", "16"], capsys)
    assert found["board_size"] == 5 and [r["model"] for r in found["results"]] == [str(tmp_path / n) for n in "ab"]
    for result, name in zip(found["results"], "ab"):
        model = load_checkpoint(tmp_path / name).for_board_size(5).build_model()
        assert result["positions"] == 75
        for key, value in expected(model, samples).items():
            assert result[key] == pytest.approx(value, rel=1e-4, abs=1e-6), key
    every = run_json([str(tmp_path / "run"), str(tmp_path / "a"), "--positions", str(10**12)], capsys)  # no 1e12 slots
    assert every["results"][0] == pytest.approx(found["results"][0], rel=1e-5)  # found's batches were of 16
    newest = run_json([str(tmp_path / "run" / "replay"), str(tmp_path / "a"), "--positions", "45"], capsys)
    model = load_checkpoint(tmp_path / "a").build_model()
    assert newest["results"][0]["positions"] == 45
    for key, value in expected(model, samples[1:]).items():  # the last two shards: 20 + 25 positions
        assert newest["results"][0][key] == pytest.approx(value, rel=1e-4, abs=1e-6), key
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "run").rglob("*")} == before  # nothing written or removed
    assert main(["loss", str(tmp_path / "run"), str(tmp_path / "a")]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].endswith("the newest 75 positions (5x5), as stored")
    assert table[1].split() == ["model", "policy", "CE", "top-1", "value", "MSE", "ownership"]


def test_what_cannot_be_scored_is_refused_with_one_line(tmp_path, capsys):
    write_replay(tmp_path / "replay", [10])
    save_checkpoint(tmp_path / "a", tiny_model(seed=1), step=1, model_version=1)
    with_liberties = PolicyValueNet(dataclasses.replace(TINY, liberty_input=True), GameShape(20, 5, 26))  # 20 planes
    save_checkpoint(tmp_path / "wide", with_liberties, step=1, model_version=1)
    cases = [
        ([str(tmp_path / "empty"), str(tmp_path / "a")], "no replay shards"),
        (
            [str(tmp_path / "replay"), str(tmp_path / "wide")],
            "the network reads 20 planes and 26 actions, the replay holds 17",
        ),
        ([str(tmp_path / "replay"), str(tmp_path / "nothing")], "no such file or directory"),
        ([str(tmp_path / "replay"), str(tmp_path / "a"), "--positions", "0"], "--positions and --batch-size"),
    ]
    (tmp_path / "empty").mkdir()
    for argv, message in cases:
        with pytest.raises(SystemExit) as exit_info:
            main(["loss", *argv])
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_an_unreadable_shard_is_skipped_and_only_the_positions_after_it_are_scored(tmp_path, capsys):
    samples = write_replay(tmp_path / "replay", [30, 20, 25])
    middle = sorted((tmp_path / "replay").glob("shard-*.npz"))[1]
    middle.write_bytes(b"not a shard")
    save_checkpoint(tmp_path / "a", tiny_model(seed=1), step=1, model_version=1)
    result = run_json([str(tmp_path / "replay"), str(tmp_path / "a")], capsys)["results"][0]
    assert result["positions"] == 25 and result["skipped_shards"] == 1  # the gap: nothing older than it is scored
    model = load_checkpoint(tmp_path / "a").build_model()
    assert result["policy_loss"] == pytest.approx(expected(model, samples[2:])["policy_loss"], rel=1e-4)
