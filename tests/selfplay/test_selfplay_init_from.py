"""`zero train --init-from MODEL`: a new run from another network's weights (fresh optimizer, step 0), refused into a directory that holds a run or with a network that differs from the config's, and the origin it records; no Ray."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from games.go import GoGame, GoRules  # noqa: E402
from selfplay.builders import build_model  # noqa: E402
from selfplay.config import config_to_mapping, config_to_toml, load_config  # noqa: E402
from selfplay.learner import Learner  # noqa: E402
from selfplay.records import GameRecord  # noqa: E402
from selfplay.resume import describe_origin, discard_unfinished_start, plan_resume, seed_replay, unfinished_start  # noqa: E402
from selfplay.rundir import RunDir, RunDirError  # noqa: E402
from zero.nn import shipped  # noqa: E402
from zero.nn.checkpoint import CheckpointError, load_checkpoint, save_checkpoint  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "configs" / "tiny.toml"


def tiny(*overrides: str):
    return load_config(TINY, ["run.progress=false", "train.device=cpu", *overrides])


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """A tiny-config network that is not the run's own seed, checkpointed at step 40, version 4."""
    directory = tmp_path_factory.mktemp("source")
    return save_checkpoint(directory, build_model(tiny(), seed=123), step=40, model_version=4)


def positions(size: int = 5, count: int = 4) -> np.ndarray:
    """The planes of a few positions of a random game."""
    rng = np.random.default_rng(0)
    game = GoGame(GoRules(size=size, komi=2.5))
    planes = []
    for _ in range(count):
        for _ in range(3):
            legal = np.flatnonzero(game.legal_mask()[: size * size])
            game.play(int(rng.choice(legal)))
        planes.append(game.planes())
    return np.stack(planes).astype(np.float32)


def outputs(model, planes: np.ndarray):
    model = model.float().eval()
    with torch.no_grad():
        out = model(torch.from_numpy(planes).contiguous())
    return [t.clone() for t in (out.policy_logits, out.value, out.ownership) if t is not None]


def same_outputs(a, b, planes) -> bool:
    return all(torch.equal(x, y) for x, y in zip(outputs(a, planes), outputs(b, planes)))


def test_a_new_run_starts_from_the_sources_weights_with_a_fresh_optimizer_and_records_its_origin(source, tmp_path):
    config = tiny()
    rd = RunDir(tmp_path / "run").create()
    plan = plan_resume(config, rd, init_from=str(source))
    learner = Learner(config, rd, resume=plan)
    assert learner.step == 0 and learner.version == 0 and learner.resumed_from is None
    assert not learner.trainer.optimizer.state  # no moments carried over: a fresh optimizer
    planes = positions()
    src = load_checkpoint(source)
    trained = learner.trainer.model.state_dict()  # the trainer's copy may be channels-last: compare the weights
    assert trained.keys() == src.state_dict.keys()
    assert all(torch.equal(trained[k].contiguous(), src.state_dict[k]) for k in trained)
    assert not same_outputs(build_model(config, seed=config.run.seed), src.build_model(), planes)  # not a no-op

    origin = plan.origin
    assert origin["path"] == str(source.resolve()) and origin["init_from"] == str(source)
    assert origin["step"] == 40 and origin["model_version"] == 4
    assert origin["sha256"] == shipped.file_sha256(source) and len(origin["sha256"]) == 64

    learner.save_checkpoint(run_state={}, run_config=config_to_mapping(config))  # what the run writes at once
    first = load_checkpoint(rd.checkpoints)
    assert first.step == 0 and first.model_version == 0 and first.origin == origin
    assert same_outputs(first.build_model(), src.build_model(), planes)  # before any training step
    learner.close()

    resumed = plan_resume(config, rd)  # the same run again, without --init-from: resumes, the origin kept
    assert resumed.checkpoint is not None and resumed.initial is None and resumed.origin == origin
    assert "# started from (--init-from): init_from=" in config_to_toml(config, None, resumed.origin)
    assert config_to_toml(config, None, resumed.origin).count("sha256=" + origin["sha256"]) == 1


def test_a_shipped_name_is_a_source_too(source, tmp_path, monkeypatch):
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(source, models / "go5.safetensors")
    monkeypatch.setenv(shipped.MODELS_DIR_ENV, str(models))
    plan = plan_resume(tiny(), RunDir(tmp_path / "run").create(), init_from="go5")
    assert plan.origin["name"] == "go5" and plan.origin["init_from"] == "go5"
    assert plan.origin["sha256"] == shipped.file_sha256(source)


def test_a_run_directory_that_holds_a_run_is_refused(source, tmp_path):
    rd = RunDir(tmp_path / "run").create()
    rd.config.write_text(config_to_toml(tiny()))
    with pytest.raises(RunDirError, match="already holds a run; --init-from starts a new one"):
        plan_resume(tiny(), rd, init_from=str(source))
    rd.config.unlink()
    save_checkpoint(rd.checkpoints, build_model(tiny(), seed=0), step=20, model_version=2)
    with pytest.raises(RunDirError, match="already holds a run"):
        plan_resume(tiny(), rd, init_from=str(source))


def test_a_spec_that_names_no_network_is_one_line(tmp_path):
    rd = RunDir(tmp_path / "run").create()
    with pytest.raises(CheckpointError, match="^--init-from none: name the network to start from"):
        plan_resume(tiny(), rd, init_from="none")
    with pytest.raises(CheckpointError, match="^--init-from go77: no such file or directory, and no shipped network"):
        plan_resume(tiny(), rd, init_from="go77")
    with pytest.raises(CheckpointError, match=f"^--init-from {tmp_path}: .*no checkpoint in this directory"):
        plan_resume(tiny(), rd, init_from=str(tmp_path))


def test_a_network_that_differs_from_the_configs_names_the_fields(source, tmp_path):
    rd = RunDir(tmp_path / "run").create()
    with pytest.raises(CheckpointError) as err:
        plan_resume(tiny("network.blocks=2", "network.value_hidden=8"), rd, init_from=str(source))
    assert str(err.value) == (
        f"--init-from {source}: the source's network does not match the config's (source vs config): "
        "network.blocks 1 vs 2; network.value_hidden 16 vs 8"
    )
    with pytest.raises(CheckpointError, match=r"network.liberty_input False vs True; game \(planes=17, size=5"):
        plan_resume(tiny("network.liberty_input=true"), rd, init_from=str(source))


def test_a_deeper_config_grows_the_source_network_without_changing_its_play(source, tmp_path):
    plan = plan_resume(tiny("network.blocks=3"), RunDir(tmp_path / "run").create(), init_from=str(source))
    assert plan.initial.network_config.blocks == 3 and plan.origin["grown_from_blocks"] == 1
    grown, original = plan.initial.build_model().eval(), load_checkpoint(source).build_model().eval()
    planes = torch.randint(0, 2, (4, 17, 5, 5)).float()
    with torch.no_grad():
        torch.testing.assert_close(grown(planes).policy_logits, original(planes).policy_logits)
    with pytest.raises(CheckpointError, match="network.blocks 1 vs 3; network.channels 16 vs 8"):
        plan_resume(
            tiny("network.blocks=3", "network.channels=8"), RunDir(tmp_path / "b").create(), init_from=str(source)
        )


def test_a_wider_config_grows_the_source_network_without_changing_its_play(source, tmp_path):
    plan = plan_resume(tiny("network.channels=24"), RunDir(tmp_path / "run").create(), init_from=str(source))
    assert plan.initial.network_config.channels == 24 and plan.origin["grown_from_channels"] == 16
    assert "grown_from_blocks" not in plan.origin
    grown, original = plan.initial.build_model().eval(), load_checkpoint(source).build_model().eval()
    planes = torch.randint(0, 2, (4, 17, 5, 5)).float()
    with torch.no_grad():
        torch.testing.assert_close(grown(planes).policy_logits, original(planes).policy_logits)
        torch.testing.assert_close(grown(planes).value, original(planes).value)
    deeper_and_wider = tiny("network.blocks=2", "network.channels=24")
    plan = plan_resume(deeper_and_wider, RunDir(tmp_path / "both").create(), init_from=str(source))
    assert (plan.origin["grown_from_blocks"], plan.origin["grown_from_channels"]) == (1, 16)
    assert describe_origin(plan.origin).endswith("...) grown from 1 block, 16 channels")  # the new-run line says so
    with pytest.raises(CheckpointError, match="network.blocks 1 vs 2; network.channels 16 vs 24; network.value_hidden"):
        plan_resume(
            tiny("network.blocks=2", "network.channels=24", "network.value_hidden=8"),
            RunDir(tmp_path / "c").create(),
            init_from=str(source),
        )  # grown only when nothing but the tower's size differs


def test_a_network_from_another_board_size_starts_a_run_on_the_configs(source, tmp_path):
    # the weights read any board: a 5x5 network starts a 7x7 run (KataGo trains one network on many sizes)
    plan = plan_resume(tiny("go.size=7"), RunDir(tmp_path / "run").create(), init_from=str(source))
    assert plan.initial.shape.board_size == 7 and plan.initial.shape.num_actions == 50
    assert plan.origin["trained_board_size"] == 5 and plan.origin["step"] == load_checkpoint(source).step
    model = build_model(tiny("go.size=7"), seed=1)
    model.load_state_dict(plan.initial.state_dict)  # fits the config's network for 7x7


def _train(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "zero.cli", "train", "--config", str(TINY), *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )


def test_zero_train_refuses_a_bad_init_from_with_one_line_before_writing_anything(source, tmp_path):
    run_dir = tmp_path / "run"
    out = _train(tmp_path, "--run-dir", str(run_dir), "--init-from", str(source), "network.channels=8")
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2 and len(lines) == 1 and lines[0].startswith("zero: error: --init-from"), out.stderr
    assert "network.channels 16 vs 8" in lines[0] and not (run_dir / "config.toml").exists()
    (run_dir / "config.toml").write_text(config_to_toml(tiny()))
    out = _train(tmp_path, "--run-dir", str(run_dir), "--init-from", str(source))
    assert out.returncode == 2 and out.stderr.strip().splitlines() == [
        f"zero: error: {run_dir}: already holds a run; --init-from starts a new one: give a new --run-dir "
        "(or leave --init-from out to resume this run)"
    ]


def _source_run(directory: Path, config, batches: int = 5, per_batch: int = 100) -> Path:
    """A run directory whose replay holds ``batches`` shards of ``per_batch`` positions, position i valued i / 1000."""
    rd = RunDir(directory).create()
    learner = Learner(config, rd)
    replay = learner.replay
    size, actions = replay.board_size, replay.num_actions
    rng = np.random.default_rng(1)
    for b in range(batches):
        index = np.arange(b * per_batch, (b + 1) * per_batch)
        planes = rng.integers(0, 2, (per_batch, replay.binary_channels, size, size)).astype(np.float32)
        policy = np.full((per_batch, actions), 1.0 / actions, np.float32)
        ownership = rng.integers(-1, 2, (per_batch, size, size)).astype(np.int8)
        replay.add(planes, policy, (index / 1000).astype(np.float32), ownership)
        replay.flush()
    learner.close()
    return directory


def test_a_new_run_with_replay_from_starts_with_the_newest_window_of_the_other_runs_replay(source, tmp_path):
    source_run = _source_run(tmp_path / "before", tiny("replay.window=1000"))
    before = sorted(p.name for p in (source_run / "replay").iterdir())
    assert len(before) == 5
    config = tiny("replay.window=250")
    rd = RunDir(tmp_path / "run").create()
    plan = plan_resume(config, rd, init_from=str(source), replay_from=str(source_run))
    assert [p.name for p in plan.replay_seed.shards] == before[2:]  # the newest 300 positions fill a window of 250
    assert plan.origin["replay_from"] == {
        "path": str((source_run / "replay").resolve()),
        "shards": 3,
        "positions": 300,
    }
    assert describe_origin(plan.origin).endswith(
        f"with the replay of {(source_run / 'replay').resolve()} (300 positions)"
    )
    header = config_to_toml(config, None, plan.origin).splitlines()[1]
    assert header.endswith(
        f" replay_from.path={(source_run / 'replay').resolve()} replay_from.shards=3 replay_from.positions=300"
    )  # config.toml names the seed field by field, not as a Python dict
    chained = {**plan.origin, "origin": {"name": "grandparent", "sha256": "0" * 64}}  # a source with an origin
    assert "grandparent" not in config_to_toml(config, None, chained)  # only where this run started
    assert not any(rd.replay.iterdir())  # planning writes nothing
    gone = dataclasses.replace(plan.replay_seed, shards=(source_run / "replay" / "shard-000000000050.npz",))
    with pytest.raises(CheckpointError, match=r"shard-000000000050.npz went away while it was copied"):
        seed_replay(rd, gone)  # a source still running deleted its oldest shard: one line, not a traceback
    seed_replay(rd, plan.replay_seed)
    learner = Learner(config, rd, resume=plan)
    assert learner.replay.total_added == 500  # the source's numbering goes on: new positions follow its newest
    assert len(learner.replay) == 250
    window = learner.replay.window_contents()
    assert sorted(np.round(window["value"] * 1000).astype(int).tolist()) == list(range(250, 500))
    assert learner.step == 0 and not learner.corrupt_shards
    learner.close()
    assert sorted(p.name for p in (source_run / "replay").iterdir()) == before  # the source is left as it was


def test_replay_from_is_refused_with_one_line_when_it_cannot_seed_the_run(source, tmp_path):
    config = tiny()
    rd = RunDir(tmp_path / "run").create()
    source_run = _source_run(tmp_path / "before", config, batches=2)
    with pytest.raises(CheckpointError, match=r"^--replay-from continues another run's data in a new run: give --init"):
        plan_resume(config, rd, replay_from=str(source_run))
    with pytest.raises(CheckpointError, match=r"^--replay-from .*: no replay shards \(shard-\*\.npz\) in "):
        plan_resume(config, rd, init_from=str(source), replay_from=str(tmp_path / "nowhere"))
    seven = _source_run(tmp_path / "seven", tiny("go.size=7"), batches=1)
    with pytest.raises(
        CheckpointError, match=r"\(channels, size, actions\) = \[17, 7, 50\], the config's are \[17, 5, 26\]$"
    ):
        plan_resume(config, rd, init_from=str(source), replay_from=str(seven))
    newest = sorted((source_run / "replay").glob("shard-*.npz"))[-1]
    newest.write_bytes(newest.read_bytes()[:200])  # cut short, as a full disk would leave it
    with pytest.raises(CheckpointError, match=rf"^--replay-from {source_run}: unreadable shard {newest.name}: "):
        plan_resume(config, rd, init_from=str(source), replay_from=str(source_run))
    assert not any(rd.root.rglob("*.*"))  # nothing was written
    out = _train(tmp_path, "--run-dir", str(tmp_path / "cli"), "--replay-from", str(source_run))
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2 and len(lines) == 1 and lines[0].startswith("zero: error: --replay-from continues")
    assert not (tmp_path / "cli" / "config.toml").exists()


def test_a_start_killed_before_its_first_checkpoint_is_started_again_not_resumed_from_scratch(source, tmp_path):
    """kill -9 between config.toml and the step-0 checkpoint (while --replay-from's shards were copied): resuming
    would train a fresh network; the same command again starts the run, without the copies the first try left."""
    config = tiny()
    rd = RunDir(tmp_path / "run").create()
    plan = plan_resume(config, rd, init_from=str(source))
    (rd.config).write_text(config_to_toml(config, None, plan.origin))  # what the first try wrote before it died
    stray = _source_run(tmp_path / "before", config, batches=1)
    shutil.copy(next((stray / "replay").glob("shard-*.npz")), rd.replay)
    assert unfinished_start(rd)
    with pytest.raises(CheckpointError, match=r"stopped before its first checkpoint: run the same command again"):
        plan_resume(config, rd)
    again = plan_resume(config, rd, init_from=str(source))  # not "already holds a run"
    assert again.initial is not None and again.origin == plan.origin
    discard_unfinished_start(rd)
    assert not list(rd.replay.glob("shard-*.npz"))
    learner = Learner(config, rd, resume=again)
    learner.save_checkpoint(run_state={}, run_config=config_to_mapping(config))
    learner.close()
    assert not unfinished_start(rd)  # a checkpoint: a run like any other, resumed without --init-from
    assert plan_resume(config, rd).checkpoint is not None
    with pytest.raises(RunDirError, match="already holds a run"):
        plan_resume(config, rd, init_from=str(source))
    fresh = RunDir(tmp_path / "fresh").create()  # a run from scratch killed before its first checkpoint resumes
    fresh.config.write_text(config_to_toml(config))
    assert not unfinished_start(fresh) and plan_resume(config, fresh).checkpoint is None


def test_a_config_with_the_opponent_policy_head_adds_a_fresh_one_to_the_source_without_changing_its_play(
    source, tmp_path
):
    config = tiny("network.opponent_policy_head=true", "network.blocks=2", "train.log_every=1")  # deeper too
    rd = RunDir(tmp_path / "run").create()
    plan = plan_resume(config, rd, init_from=str(source))
    assert plan.initial.network_config == config.network
    assert plan.origin["opponent_policy_head_added"] is True and plan.origin["grown_from_blocks"] == 1
    assert describe_origin(plan.origin).endswith("grown from 1 block with a fresh opponent policy head")
    learner = Learner(config, rd, resume=plan)  # the trainer's network takes every weight, the head's included
    started, original = learner.trainer.model.float().eval(), load_checkpoint(source).build_model().eval()
    planes = torch.from_numpy(positions())
    with torch.no_grad():
        torch.testing.assert_close(started(planes).policy_logits, original(planes).policy_logits)
        torch.testing.assert_close(started(planes).value, original(planes).value)
    started.train()
    assert started(planes).opponent_policy_logits.shape == (4, 26)
    record = GameRecord(  # three positions, all searched in full; 25 is pass
        planes=np.zeros((3, 17, 5, 5), np.uint8),
        policy=np.full((3, 26), 1 / 26, np.float32),
        root_value=np.zeros(3, np.float32),
        to_move=np.array([1, 2, 1], np.int8),
        moves=np.array([3, 7, 25], np.int32),
        is_full_search=np.ones(3, bool),
        result=1.0,
        final_ownership=np.zeros((5, 5), np.int8),
        final_margin=0.5,
    )
    assert learner.add_records([record]) == 3
    assert learner.replay.window_contents()["opponent_move"][-3:].tolist() == [7, 25, -1]
    assert learner.train(1)["opponent_policy_loss"] > 0  # the trainer's metrics carry the new term
