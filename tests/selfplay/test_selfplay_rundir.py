"""The run directory lock: one process per run directory, released when that process dies (kill -9 included); no Ray."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from selfplay.config import load_config
from selfplay.rundir import RunDir, RunDirBusy

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "configs" / "tiny.toml"


def test_a_second_claim_on_a_run_directory_is_refused_until_released(tmp_path):
    rd = RunDir(tmp_path).create()
    lock = rd.lock()
    with pytest.raises(RunDirBusy, match=f"pid {os.getpid()}"):
        rd.lock()
    lock.release()
    rd.lock().release()  # free again


def test_the_lock_dies_with_a_process_killed_hard(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from selfplay.rundir import RunDir; "
            "l = RunDir(__import__('pathlib').Path(sys.argv[1])).create().lock(); print('held', flush=True); time.sleep(60)",
            str(tmp_path),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunDirBusy, match=f"pid {holder.pid}"):
            RunDir(tmp_path).lock()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    finally:
        if holder.poll() is None:
            holder.kill()
    RunDir(tmp_path).lock().release()  # kill -9 left no stale lock behind


def test_train_refuses_a_busy_run_directory_before_writing_anything(tmp_path):
    from selfplay.orchestrator import run

    rd = RunDir(tmp_path / "run").create()
    lock = rd.lock()
    try:
        with pytest.raises(RunDirBusy):
            run(load_config(TINY, ["run.progress=false"]), rd.root)
        assert not rd.config.exists()  # no config snapshot, no checkpoint, no Ray started
        cli = subprocess.run(
            [sys.executable, "-m", "zero.cli", "train", "--config", str(TINY), "--run-dir", str(rd.root)],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        lock.release()
    assert cli.returncode == 2
    assert cli.stderr.strip().splitlines() == [
        f"zero: error: {rd.root}: another zero process (pid {os.getpid()}) is running in this run directory"
    ]


def test_a_run_directory_that_cannot_be_made_is_a_one_line_error(tmp_path):
    in_the_way = tmp_path / "a_file"
    in_the_way.write_text("not a directory")
    cli = subprocess.run(
        [sys.executable, "-m", "zero.cli", "train", "--config", str(TINY), "--run-dir", str(in_the_way)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 2
    assert cli.stderr.strip().splitlines() == [
        f"zero: error: {in_the_way}: cannot be used as a run directory: File exists"
    ]
    assert in_the_way.read_text() == "not a directory"
