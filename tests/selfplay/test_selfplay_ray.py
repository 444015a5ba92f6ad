"""End to end on Ray (one local cluster for the whole module): the tiny run's files, resume after kill -9, SIGTERM checkpoints, a killed worker restarted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from selfplay.config import load_config
from zero.common.metrics import read_metrics

pytestmark = pytest.mark.ray

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "configs" / "tiny.toml"


@pytest.fixture(scope="module")
def ray_address():
    """One small local Ray cluster for every test of this module; subprocesses join it with --address."""
    import ray

    info = ray.init(
        address="local", num_cpus=2, include_dashboard=False, log_to_driver=False
    )  # never a `ray start` cluster
    yield info.address_info["address"]
    ray.shutdown()


def _tiny(*overrides: str):
    return load_config(TINY, ["run.progress=false", *overrides])


def test_tiny_run_writes_checkpoints_replay_sgf_metrics_and_elo(ray_address, tmp_path):
    from sgfmill import sgf

    from selfplay.orchestrator import run
    from zero.learn.replay import ReplayBuffer
    from zero.nn.checkpoint import load_checkpoint

    config = _tiny("run.max_steps=40", "arena.every_versions=2")
    summary = run(config, tmp_path)
    assert summary["step"] == 40 and summary["version"] == 4  # one version per 10 steps

    ckpt = load_checkpoint(tmp_path / "checkpoints")
    assert ckpt.step == 40 and ckpt.model_version == 4
    assert ckpt.run_config["go"]["size"] == 5  # the run config travels with the weights
    assert load_config(tmp_path / "config.toml") == config  # the snapshot reloads to the same config

    replay = ReplayBuffer(config.replay, in_channels=17, board_size=5, num_actions=26, directory=tmp_path / "replay")
    assert not replay.corrupt_shards
    assert replay.total_added == summary["replay_total"] > 0

    sgfs = sorted((tmp_path / "sgf").glob("*.sgf"))
    assert sgfs
    for path in sgfs:
        game = sgf.Sgf_game.from_bytes(path.read_bytes())
        assert game.get_size() == 5 and len(game.get_main_sequence()) > 1

    metrics = read_metrics(tmp_path / "metrics.jsonl")
    kinds = {m.get("kind") for m in metrics}
    assert {"selfplay", "version", "checkpoint", "arena"} <= kinds
    assert any("policy_loss" in m for m in metrics if m.get("kind") == "train")  # the trainer's records, one schema
    # how much search moved the network's prior, per task: a KL divergence, so >= 0, and > 0 where search ran
    surprises = [m["mean_policy_surprise"] for m in metrics if m.get("kind") == "selfplay"]
    assert all(s >= 0 for s in surprises) and max(surprises) > 0
    arena = [m for m in metrics if m.get("kind") == "arena"]
    assert all("elo" in m["vs_baseline"] and m["elo_table"] for m in arena)
    assert list((tmp_path / "tensorboard").iterdir())
    (start,) = [m for m in metrics if m.get("kind") == "start"]  # what the run ran on, for CPU-hours and model cards
    assert start["step"] == 0 and not start["resumed"] and start["cpus"] > 0 and "precision" in start["trainer"]
    assert start["source_commit"] is None or len(start["source_commit"]) >= 40


def test_a_run_started_with_init_from_checkpoints_the_source_at_step_0_then_trains_on(ray_address, tmp_path):
    """... and with --replay-from, its replay window starts with the other run's positions."""
    import numpy as np
    import torch

    from selfplay.builders import build_model
    from selfplay.config import config_to_toml
    from selfplay.orchestrator import run
    from zero.learn.replay import ReplayBuffer
    from zero.nn.checkpoint import load_checkpoint, save_checkpoint
    from zero.nn.shipped import file_sha256

    config = _tiny("run.max_steps=20", "arena.every_versions=0")
    source = save_checkpoint(tmp_path / "source", build_model(config, seed=123), step=40, model_version=4)
    earlier = ReplayBuffer(config.replay, in_channels=17, board_size=5, num_actions=26, directory=tmp_path / "earlier")
    rng = np.random.default_rng(2)
    earlier.add((rng.random((300, 17, 5, 5)) < 0.3).astype(np.float32), np.full((300, 26), 1 / 26), np.zeros(300))
    earlier.flush()
    run_dir = tmp_path / "run"
    # a first try killed before its step-0 checkpoint left its config.toml and a shard it was copying
    (run_dir / "replay").mkdir(parents=True)
    (run_dir / "config.toml").write_text(config_to_toml(config, None, {"init_from": str(source)}))
    stray = run_dir / "replay" / "shard-000000009000.npz"
    stray.write_bytes(b"cut short")
    summary = run(config, run_dir, init_from=str(source), replay_from=str(tmp_path / "earlier"))
    assert not stray.exists()  # the same command again started the run over
    assert summary["step"] == 20
    assert (run_dir / "replay" / "shard-000000000000.npz").read_bytes() == (
        tmp_path / "earlier" / "shard-000000000000.npz"
    ).read_bytes()
    assert summary["replay_total"] > 300  # the run's own positions follow the other run's

    src = load_checkpoint(source)
    first = load_checkpoint(run_dir / "checkpoints" / "model-00000000.safetensors")
    last = load_checkpoint(run_dir / "checkpoints")
    planes = torch.from_numpy((np.random.default_rng(0).random((6, 17, 5, 5)) < 0.3).astype(np.float32))

    def outputs(checkpoint):
        with torch.no_grad():
            out = checkpoint.build_model().eval()(planes)
        return out.policy_logits, out.value, out.ownership

    assert first.step == 0 and first.model_version == 0
    assert all(torch.equal(a, b) for a, b in zip(outputs(first), outputs(src)))  # before any training step
    assert last.step == 20 and not torch.equal(outputs(last)[0], outputs(src)[0])  # then it trained
    origin = first.origin
    assert origin["path"] == str(source.resolve()) and origin["sha256"] == file_sha256(source)
    assert origin["step"] == 40 and origin["model_version"] == 4 and last.origin == origin
    assert origin["replay_from"]["positions"] == 300 and origin["replay_from"]["shards"] == 1
    assert [m for m in read_metrics(run_dir / "metrics.jsonl") if m.get("kind") == "init_from"][0]["sha256"] == (
        origin["sha256"]
    )
    assert f"sha256={origin['sha256']}" in (run_dir / "config.toml").read_text()
    assert load_config(run_dir / "config.toml") == config  # the origin is a comment: the snapshot still reloads


def test_a_start_whose_first_games_take_long_says_once_what_it_waits_for(ray_address, tmp_path, monkeypatch, capfd):
    from selfplay import orchestrator

    monkeypatch.setattr(orchestrator, "FIRST_GAMES_NOTICE_S", 0.0)  # as if the first games took minutes (19x19)
    orchestrator.run(_tiny("run.progress=true", "run.max_steps=10", "arena.every_versions=0"), tmp_path)
    err = capfd.readouterr().err
    config = _tiny()
    said = [line for line in err.replace("\r", "\n").splitlines() if "no self-play game has ended" in line]
    assert len(said) == 1, err[-2000:]
    assert (
        f"({config.run.num_workers} in all) plays {config.selfplay.games_in_parallel} games at once and reports every "
        f"{config.selfplay.games_per_task} finished games; training starts at {config.run.min_replay_positions} "
        "positions"
    ) in said[0]


def test_an_arena_the_time_left_cannot_hold_is_not_started(ray_address, tmp_path):
    import ray

    from selfplay.arena import EloTable
    from selfplay.builders import build_model, numpy_weights
    from selfplay.evaluations import RunEvaluations
    from zero.common.metrics import MetricsLog

    config = _tiny("arena.every_versions=1", "arena.games=2")
    weights = ray.put(numpy_weights(build_model(config, seed=1).state_dict()))
    left: list[float | None] = [None]
    said: list[str] = []
    evaluations = RunEvaluations(
        config,
        MetricsLog(tmp_path / "metrics.jsonl"),
        EloTable(),
        "cpu",
        scalar=lambda tag, value: None,
        say=said.append,
        on_elo=lambda elo: None,
        first=(0, weights),
        time_left=lambda: left[0],
    )

    def play_out() -> None:
        while evaluations.waiting():
            ready, _ = ray.wait(evaluations.waiting(), num_returns=1)
            evaluations.collect(ready[0])

    evaluations.start(1, weights)  # no arena has been timed yet: it starts
    play_out()
    took = evaluations.last_arena_seconds
    assert took is not None and took > 0
    left[0] = took / 2
    evaluations.start(2, weights)
    assert not evaluations.waiting() and said[-1].startswith("arena: version 2 not evaluated: the last arena took")
    left[0] = took * 2
    evaluations.start(3, weights)
    play_out()
    left[0] = None  # no time budget: always
    evaluations.start(4, weights)
    play_out()
    metrics = read_metrics(tmp_path / "metrics.jsonl")
    arenas = [(m["version"], m["previous"]) for m in metrics if m.get("kind") == "arena"]
    assert arenas == [(1, 0), (3, 1), (4, 3)]  # version 3 compared against the last version evaluated
    (skipped,) = [m for m in metrics if m.get("kind") == "arena_skipped"]
    assert skipped["version"] == 2 and skipped["seconds_left"] == took / 2 and skipped["last_arena_seconds"] == took


def test_a_gnugo_rung_during_the_run_writes_anchored_ladder_records(ray_address, gnugo_path, tmp_path):
    from selfplay.orchestrator import run

    overrides = ("arena.gnugo_level=0", "arena.gnugo_every_versions=2", "arena.gnugo_games=2", "arena.gnugo_visits=4")
    run(_tiny("run.max_steps=40", *overrides), tmp_path)
    rungs = [m for m in read_metrics(tmp_path / "metrics.jsonl") if m.get("kind") == "ladder"]
    assert rungs, "no GNU Go rung was recorded"
    assert {r["version"] % 2 for r in rungs} == {0}  # every 2 versions
    for rung in rungs:
        assert rung["rung"] == "gnugo:0" and rung["games"] == 2 and rung["wins"] + rung["losses"] + rung["draws"] == 2
        assert rung["illegal_moves"] == 0 and 0.0 <= rung["win_rate_low"] <= rung["win_rate_high"] <= 1.0


def test_arena_runs_when_the_workers_reserve_every_cpu(ray_address, tmp_path):
    from selfplay.orchestrator import run

    summary = run(_tiny("run.num_workers=2", "run.max_steps=20", "arena.every_versions=1"), tmp_path)  # 2 of 2 CPUs
    assert summary["step"] == 20
    assert sorted(int(v) for v in summary["elo"]) == [1, 2]  # both versions evaluated, none left waiting
    # both workers ran, holding both CPUs (each answered where it runs); whether the second one also finished a
    # game task before step 20 depends on the load beside the test (CI on two processes: it once had not)
    placements = [m["nodes"] for m in read_metrics(tmp_path / "metrics.jsonl") if m.get("kind") == "placement"]
    assert placements and sum(placements[-1].values()) == 2


def _train_command(run_dir: Path, address: str, *overrides: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "zero.cli",
        "train",
        "--config",
        str(TINY),
        "--run-dir",
        str(run_dir),
        "--address",
        address,
        "run.progress=false",
        *overrides,
    ]


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def _latest_step(run_dir: Path) -> int:
    pointer = run_dir / "checkpoints" / "latest"
    if not pointer.exists():
        return 0
    return int(pointer.read_text().strip().split("-")[1])


def test_resume_after_kill_9_continues_step_version_and_replay(ray_address, tmp_path):
    from zero.learn.replay import ReplayBuffer
    from zero.nn.checkpoint import load_checkpoint

    run_dir = tmp_path / "run"
    command = _train_command(run_dir, ray_address, "run.max_steps=80")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(lambda: _latest_step(run_dir) >= 20 or proc.poll() is not None, 240, "the first checkpoint")
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        proc.send_signal(signal.SIGKILL)  # kill -9: no cleanup of any kind
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    killed = load_checkpoint(run_dir / "checkpoints")
    assert 20 <= killed.step < 80
    config = load_config(TINY)
    on_disk = ReplayBuffer(config.replay, in_channels=17, board_size=5, num_actions=26, directory=run_dir / "replay")
    assert not on_disk.corrupt_shards
    window_at_kill = len(on_disk)
    assert window_at_kill > 0

    rerun = subprocess.run(command + ["--json"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    import json

    summary = json.loads(rerun.stdout.strip().splitlines()[-1])
    assert summary["step"] == 80 and summary["version"] == 8  # versions carried on from the checkpoint
    assert summary["replay_total"] >= window_at_kill + 1  # the old window was reloaded, then grew
    metrics = read_metrics(run_dir / "metrics.jsonl")
    checkpoints = [m["step"] for m in metrics if m.get("kind") == "checkpoint"]
    after_kill = [s for s in checkpoints if s > killed.step]
    assert after_kill and after_kill[0] == killed.step + 20  # training picked up where the checkpoint left off
    starts = [(m["step"], m["resumed"]) for m in metrics if m.get("kind") == "start"]
    assert starts == [(0, False), (killed.step, True)]  # the plot does not count the time the run lay dead
    assert not list(run_dir.rglob("*.tmp"))  # no half-written file anywhere


def _trained_step(run_dir: Path) -> int:
    return max((m["step"] for m in read_metrics(run_dir / "metrics.jsonl") if "policy_loss" in m), default=0)


def test_sigterm_checkpoints_the_steps_since_the_last_checkpoint_and_stops(ray_address, tmp_path):
    from zero.nn.checkpoint import load_checkpoint

    run_dir = tmp_path / "run"
    command = _train_command(run_dir, ray_address, "run.max_steps=100000", "run.checkpoint_every_steps=1000")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(lambda: _trained_step(run_dir) >= 15 or proc.poll() is not None, 240, "15 train steps")
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        trained = _trained_step(run_dir)
        assert _latest_step(run_dir) == 0  # no periodic checkpoint yet (every 1000 steps)
        proc.send_signal(signal.SIGTERM)  # what kill, a batch scheduler or docker stop sends
        assert proc.wait(timeout=120) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    assert load_checkpoint(run_dir / "checkpoints").step >= trained  # the steps since the last checkpoint were kept
    assert not list(run_dir.rglob("*.tmp"))


def test_killed_worker_is_restarted_and_the_run_completes(ray_address, tmp_path):
    from selfplay.orchestrator import run

    killed: list[int] = []

    def kill_first_worker():
        def first_pid():
            for m in read_metrics(tmp_path / "metrics.jsonl"):
                if m.get("kind") == "selfplay":
                    return m["pid"]
            return None

        try:
            pid = _wait_for(first_pid, 120, "a self-play result")
        except AssertionError:
            return
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    killer = threading.Thread(target=kill_first_worker, daemon=True)
    killer.start()
    summary = run(_tiny("run.max_steps=50", "arena.every_versions=0"), tmp_path)
    killer.join(timeout=5)
    assert killed, "the worker was never seen"
    assert summary["step"] == 50 and summary["worker_restarts"] >= 1
    pids = {m["pid"] for m in read_metrics(tmp_path / "metrics.jsonl") if m.get("kind") == "selfplay"}
    assert pids - set(killed), "no result came from a restarted worker process"


def snapshot_minutes(run_dir: Path) -> list[float]:
    """The snapshots/<m>min folders of a run, each checked to load, by minute."""
    from zero.nn.checkpoint import load_checkpoint

    folders = sorted((run_dir / "snapshots").iterdir(), key=lambda p: float(p.name.removesuffix("min")))
    for folder in folders:
        assert load_checkpoint(folder).step > 0
    return [float(p.name.removesuffix("min")) for p in folders]


def test_the_time_budget_and_snapshots_span_resumes_and_anneal_the_learning_rate(ray_address, tmp_path, monkeypatch):
    from selfplay import orchestrator
    from selfplay.evaluations import RunEvaluations
    from selfplay.orchestrator import run
    from zero.nn.checkpoint import load_training_state

    arena_clock: list[float | None] = []  # what the run tells its evaluations is left, when each start builds them

    class SpiedEvaluations(RunEvaluations):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            arena_clock.append(self.time_left())

    monkeypatch.setattr(orchestrator, "RunEvaluations", SpiedEvaluations)

    budget = (
        "run.max_steps=0",
        "run.max_minutes=0.5",
        "train.lr_schedule=budget",
        "train.lr_min_ratio=0",
        "train.log_every=5",
        "arena.every_versions=0",
        "run.snapshot_every_minutes=0.1",
        "run.checkpoint_every_steps=5",  # so that checkpoints/ rotates (keeps 3) even on a loaded machine
    )
    first = run(_tiny(*budget), tmp_path)
    # a snapshot per 6 s of active time (fewer where two fell between checkpoints), kept while checkpoints/ keeps 3
    first_snapshots = snapshot_minutes(tmp_path)
    assert len(first_snapshots) >= 2 and first_snapshots[-1] == 0.5
    assert [m * 10 for m in first_snapshots] == pytest.approx([round(m * 10) for m in first_snapshots])
    assert len(list((tmp_path / "checkpoints").glob("model-*.safetensors"))) == 3
    lrs = [m["lr"] for m in read_metrics(tmp_path / "metrics.jsonl") if "policy_loss" in m]
    assert len(lrs) >= 3 and lrs == sorted(lrs, reverse=True)  # one cosine over the run's 30 s, never back up
    assert lrs[0] > 2 * lrs[-1] and lrs[-1] < 0.005  # from train.lr = 0.02 (less by the first record) towards 0
    newest = sorted((tmp_path / "checkpoints").glob("train-*.pt"))[-1]
    state = load_training_state(newest)
    assert state["run_state"]["active_seconds"] >= 30

    again = run(_tiny(*budget), tmp_path)  # the same budget is spent already: the resumed run stops at once
    assert again["step"] - first["step"] <= 10  # at most the one train chunk before the first look at the clock
    # a larger budget extends it (by 30 s: under load 12 s once passed without a train chunk)
    longer = run(_tiny(*budget[:1], "run.max_minutes=1", *budget[2:]), tmp_path)
    assert longer["step"] > again["step"]
    # the arenas' clock is the run's budget over every start: the earlier starts' time is not left to an arena
    assert len(arena_clock) == 3 and 0 < arena_clock[0] <= 30
    assert arena_clock[1] <= 0 and 0 < arena_clock[2] < 30
    # the resumes kept the count: no snapshot was written twice, and the longer budget added later ones
    later = snapshot_minutes(tmp_path)
    assert later[: len(first_snapshots)] == first_snapshots and later[-1] == 1.0 and len(later) > len(first_snapshots)
    snapshot_records = [m for m in read_metrics(tmp_path / "metrics.jsonl") if m.get("kind") == "snapshot"]
    assert [m["minutes"] for m in snapshot_records] == pytest.approx(later)


def _error_lines(stderr: str) -> list[str]:
    """The errors and warnings zero itself wrote (not its start-up lines such as `zero: trainer on ...`; Ray's own
    log lines carry a timestamp and a level)."""
    return [line for line in stderr.splitlines() if line.startswith(("zero: error", "zero: warning"))]


def test_a_diverging_run_stops_at_once_and_latest_stays_finite(ray_address, tmp_path):
    """The issue's command (tiny config, lr 1e30, no clipping, a checkpoint every step) after 20 healthy steps."""
    from zero.nn.checkpoint import load_checkpoint

    run_dir = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    healthy = subprocess.run(
        _train_command(run_dir, ray_address, "run.max_steps=20"),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert healthy.returncode == 0, healthy.stderr[-2000:]
    diverging = subprocess.run(
        _train_command(
            run_dir,
            ray_address,
            "train.lr=1e30",
            "train.grad_clip=0",
            "run.max_steps=40",
            "run.max_minutes=1",
            "run.checkpoint_every_steps=1",
            "run.steps_per_version=100",
            "arena.every_versions=100",
        ),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert diverging.returncode == 2
    lines = _error_lines(diverging.stderr)
    assert len(lines) == 1 and "Traceback" not in diverging.stderr, diverging.stderr[-3000:]
    assert lines[0].startswith("zero: error: training diverged at step 2")  # step 21 or the next few: at once
    assert "latest is still model-00000020" in lines[0]
    assert load_checkpoint(run_dir / "checkpoints").step == 20  # finite, loadable, and what `latest` names
    assert (
        sorted(p.name for p in (run_dir / "checkpoints").glob("model-*.safetensors"))[-1]
        == "model-00000020.safetensors"
    )
    assert any(m.get("kind") == "diverged" for m in read_metrics(run_dir / "metrics.jsonl"))
    gtp = subprocess.run(
        [sys.executable, "-m", "zero.cli", "gtp", "--model", str(run_dir), "--visits", "16"],
        input="genmove b\nquit\n",
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert gtp.returncode == 0 and gtp.stdout.startswith("= "), gtp.stderr[-2000:]
    assert gtp.stdout.split()[1].lower() != "pass"  # the diverged network answered pass on the empty board


def test_a_task_that_raises_stops_the_run_with_one_line_and_a_checkpoint(ray_address, tmp_path, monkeypatch):
    import ray
    import selfplay_fakes

    import selfplay.orchestrator as orchestrator
    from zero.nn.checkpoint import load_checkpoint

    ray.cloudpickle.register_pickle_by_value(selfplay_fakes)  # Ray workers cannot import the tests folder
    host = selfplay_fakes.raising_host(fail_on_task=12)
    monkeypatch.setattr(orchestrator, "SelfPlayActor", ray.remote(max_restarts=-1, max_task_retries=0)(host))
    with pytest.raises(orchestrator.WorkerFailure) as info:
        orchestrator.run(
            _tiny("run.max_steps=100000", "run.checkpoint_every_steps=1000", "arena.every_versions=0"), tmp_path
        )
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    assert "IllegalMoveError: illegal move C3 for black: occupied" in message
    metrics = read_metrics(tmp_path / "metrics.jsonl")
    trained = max((m["step"] for m in metrics if "policy_loss" in m), default=0)
    assert trained > 0, "the failure came before any training: raise it later"
    assert load_checkpoint(tmp_path / "checkpoints").step >= trained  # the steps before the error were kept
    assert f"step {load_checkpoint(tmp_path / 'checkpoints').step}" in message
    errors = [m for m in metrics if m.get("kind") == "worker_error"]
    assert len(errors) == 1 and 'File "' in errors[0]["traceback"]  # the worker's traceback goes to the metrics log
    assert "\x1b[" not in errors[0]["traceback"]


def test_selfplay_only_writes_games_and_no_checkpoint(ray_address, tmp_path):
    from selfplay.orchestrator import run

    summary = run(_tiny("run.max_games=8", "selfplay.sgf_fraction=1.0"), tmp_path, selfplay_only=True)
    assert summary["games"] >= 8 and summary["step"] == 0
    assert list((tmp_path / "sgf").glob("*.sgf")) and list((tmp_path / "replay").glob("shard-*.npz"))
    assert not list((tmp_path / "checkpoints").glob("model-*"))


@pytest.fixture(scope="module")
def finished_run(ray_address, tmp_path_factory):
    """A tiny run stopped at step 40: checkpoints at steps 20 and 40, replay shards, config.toml; copied by each test."""
    from selfplay.orchestrator import run

    run_dir = tmp_path_factory.mktemp("finished") / "run"
    summary = run(_tiny("run.max_steps=40", "arena.every_versions=0"), run_dir)
    assert summary["step"] == 40
    return run_dir, summary


def _copy_run(finished_run, tmp_path) -> Path:
    import shutil

    run_dir = tmp_path / "run"
    shutil.copytree(finished_run[0], run_dir)
    return run_dir


def _contents(run_dir: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(run_dir)): p.read_bytes()
        for p in sorted(run_dir.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


@pytest.mark.parametrize("checkpoints", [True, False], ids=["checkpoint", "snapshot-only"])
def test_a_refused_resume_writes_nothing_and_says_one_line(finished_run, ray_address, tmp_path, checkpoints):
    run_dir = _copy_run(finished_run, tmp_path)
    if not checkpoints:  # before the first checkpoint the shards follow config.toml
        for path in (run_dir / "checkpoints").iterdir():
            path.unlink()
    before = _contents(run_dir)
    out = subprocess.run(
        _train_command(run_dir, ray_address, "go.size=9"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zero: error: "), out.stderr[-3000:]  # no shard-warning flood
    assert "size=5" in lines[0] and "size=9" in lines[0]
    assert _contents(run_dir) == before  # config.toml byte-identical: the run's own snapshot still resumes it


def test_a_missing_training_state_falls_back_loudly_and_the_run_says_where_it_resumes(
    finished_run, ray_address, tmp_path
):
    import re

    run_dir = _copy_run(finished_run, tmp_path)
    (run_dir / "checkpoints" / "train-00000040.pt").unlink()
    out = subprocess.run(
        _train_command(run_dir, ray_address, "run.max_steps=50", "run.progress=true", "arena.every_versions=0"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    stderr = out.stderr.replace("\r", "\n")
    assert (
        "zero: warning: model-00000040.safetensors has no training state (train-00000040.pt is missing): "
        "resuming from model-00000020, the newest complete checkpoint; its 20 later train steps are lost"
    ) in stderr
    resumed = [line for line in stderr.splitlines() if line.startswith("resuming ")]
    assert len(resumed) == 1
    match = re.fullmatch(
        rf"resuming {re.escape(str(run_dir))} from step 20, version 2, (\d+) games, (\d+) replay positions", resumed[0]
    )
    assert match and 0 < int(match.group(1)) < finished_run[1]["games"] and int(match.group(2)) > 0
    bars = re.findall(r"\| *(\d+)/50 \[", stderr)
    assert bars and int(bars[0]) == 20 and int(bars[-1]) == 50  # the bar starts where the run stands
    assert "50 train steps" in out.stdout.strip().splitlines()[-1]


def test_no_complete_checkpoint_is_refused_with_one_line(finished_run, ray_address, tmp_path):
    run_dir = _copy_run(finished_run, tmp_path)
    for path in (run_dir / "checkpoints").glob("train-*.pt"):
        path.unlink()
    before = _contents(run_dir)
    out = subprocess.run(
        _train_command(run_dir, ray_address),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "train-00000040.pt is missing and no older checkpoint is complete" in lines[0]
    assert _contents(run_dir) == before


def test_zero_export_ships_the_weights_with_a_card_that_sums_a_chain(finished_run, tmp_path, capsys):
    import shutil

    from zero.cli import main
    from zero.nn.checkpoint import load_checkpoint, resolve_checkpoint_path

    run_dir, summary = finished_run
    first, second = tmp_path / "part1", tmp_path / "part2"
    shutil.copytree(run_dir, first)
    shutil.copytree(run_dir, second)
    ladder = tmp_path / "ladder.json"
    ladder.write_text(
        json.dumps(
            {
                "engine": "zero gtp --model part2 --visits 200",
                "size": 5,
                "komi": 7.5,
                "games_per_rung": 4,
                "anchor": {"rung": "gnugo:10", "elo": 1800.0},
                "rungs": [],
                "anchored": {"games": 0, "elo": None, "elo_low": None, "elo_high": None},
            }
        )
    )
    out = tmp_path / "models"
    assert (
        main(["export", str(first), str(second), "--name", "go5", "--ladder", str(ladder), "--output-dir", str(out)])
        == 0
    )
    shipped = out / "go5.safetensors"
    source = resolve_checkpoint_path(second / "checkpoints")
    assert shipped.read_bytes() == source.read_bytes() and load_checkpoint(shipped).step == summary["step"]
    card = (out / "go5.md").read_text()
    games = summary["games"]
    assert f"| train steps | {2 * summary['step']:,} |" in card  # the two parts add up
    assert f"| self-play games | {2 * games:,} (" in card
    assert "zero gtp --model part2 --visits 200" in card and "anchored rating: none" in card  # the ladder table
    assert "| part1 | scratch |" in card and "[run]" in card  # each run; the last run's config
    (start,) = [m for m in read_metrics(run_dir / "metrics.jsonl") if m.get("kind") == "start"]
    assert (start["source_commit"] or "not recorded") in card
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(["export", str(tmp_path / "nothing"), "--name", "go5", "--output-dir", str(out)])
    assert exit_info.value.code == 2 and "no such file" in capsys.readouterr().err
    ladder.write_text("{not json")
    with pytest.raises(SystemExit):
        main(["export", str(first), "--name", "go5", "--ladder", str(ladder), "--output-dir", str(tmp_path / "x")])
    assert "not a `zero ladder --json` result" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()  # a refused export writes nothing


def test_a_run_with_liberty_and_komi_planes_trains_and_its_network_plays_gtp(ray_address, tmp_path):
    from selfplay.orchestrator import run
    from zero.nn.checkpoint import load_checkpoint

    overrides = ("network.liberty_input=true", "network.komi_input=true", "selfplay.komi_stdev=2")
    config = _tiny("run.max_steps=20", "arena.every_versions=0", *overrides)
    run_dir = tmp_path / "run"
    assert run(config, run_dir)["step"] == 20
    checkpoint = load_checkpoint(run_dir / "checkpoints")
    assert checkpoint.shape.in_channels == 17 + 3 + 1 and checkpoint.network_config.liberty_input
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "zero.cli", "gtp", "--model", str(run_dir), "--visits", "8"],
        input="boardsize 5\nclear_board\nplay b c3\ngenmove w\nquit\n",
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    replies = [line for line in out.stdout.splitlines() if line.startswith(("=", "?"))]
    assert out.returncode == 0 and not any(r.startswith("?") for r in replies), out.stderr[-2000:]
    assert len(replies) == 5 and replies[3][2:] not in ("", "C3")  # a move on a free point
