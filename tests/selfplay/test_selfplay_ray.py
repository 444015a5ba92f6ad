"""End to end on Ray (one local cluster for the whole module): the tiny run's files, resume after kill -9, SIGTERM checkpoints, a killed worker restarted."""

from __future__ import annotations

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

    info = ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)  # never a `ray start` cluster
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
    arena = [m for m in metrics if m.get("kind") == "arena"]
    assert all("elo" in m["vs_baseline"] and m["elo_table"] for m in arena)
    assert list((tmp_path / "tensorboard").iterdir())


def test_arena_runs_when_the_workers_reserve_every_cpu(ray_address, tmp_path):
    from selfplay.orchestrator import run

    summary = run(_tiny("run.num_workers=2", "run.max_steps=20", "arena.every_versions=1"), tmp_path)  # 2 of 2 CPUs
    assert summary["step"] == 20
    assert sorted(int(v) for v in summary["elo"]) == [1, 2]  # both versions evaluated, none left waiting
    workers = {m["worker"] for m in read_metrics(tmp_path / "metrics.jsonl") if m.get("kind") == "selfplay"}
    assert workers == {0, 1}


def _train_command(run_dir: Path, address: str, *overrides: str) -> list[str]:
    return [sys.executable, "-m", "zero.cli", "train", "--config", str(TINY), "--run-dir", str(run_dir),
            "--address", address, "run.progress=false", *overrides]


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


def test_selfplay_only_writes_games_and_no_checkpoint(ray_address, tmp_path):
    from selfplay.orchestrator import run

    summary = run(_tiny("run.max_games=8", "selfplay.sgf_fraction=1.0"), tmp_path, selfplay_only=True)
    assert summary["games"] >= 8 and summary["step"] == 0
    assert list((tmp_path / "sgf").glob("*.sgf")) and list((tmp_path / "replay").glob("shard-*.npz"))
    assert not list((tmp_path / "checkpoints").glob("model-*"))
