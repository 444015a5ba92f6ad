"""The README's cluster recipe as written: `ray start --head`, a worker machine `ray start --address`, then `zero train --address auto`.

With the README's `export RAY_AUTH_MODE=token` on every machine (Ray's token authentication; on one
machine the nodes share the token file). Two changes to the commands, both for a shared test machine: `--block`, so that each `ray start`
stays the parent of the processes it started and SIGTERM to it stops exactly those (`ray stop`
would stop every Ray process on the machine, other runs' included), and a free port instead of
6379, with RAY_ADDRESS naming it so that `--address auto` finds this cluster and no other.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zero.common.metrics import read_metrics

pytestmark = [pytest.mark.ray, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
RAY = [sys.executable, "-m", "ray.scripts.scripts"]  # the `ray` command of this interpreter


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def _alive_nodes(address: str, env: dict[str, str]) -> int:
    probe = (
        f"import ray; ray.init(address={address!r}, log_to_driver=False); print(sum(n['Alive'] for n in ray.nodes()))"
    )
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    return int(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 and out.stdout.strip() else 0


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture
def ray_cluster():
    """Head with 2 CPUs and one worker node with 1 CPU, started by `ray start`; stopped with every process they started."""
    from ray._private.services import get_node_ip_address

    address = f"{get_node_ip_address()}:{_free_port()}"
    # RAY_AUTH_MODE=token on every machine, as the README says: Ray's token authentication (the token that
    # `ray start --head` makes in ~/.ray/auth_token, shared here since the nodes share a home directory)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token"}
    env.pop("RAY_ADDRESS", None)
    started: list[subprocess.Popen] = []
    try:
        head = [
            *RAY,
            "start",
            "--head",
            f"--port={address.split(':')[1]}",
            "--num-cpus=2",
            "--include-dashboard=false",
            "--block",
        ]
        started.append(subprocess.Popen(head, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 180
        while _alive_nodes(address, env) < 1:
            assert time.monotonic() < deadline and started[0].poll() is None, "the head did not come up"
            time.sleep(1)
        worker = [*RAY, "start", f"--address={address}", "--num-cpus=1", "--block"]
        started.append(subprocess.Popen(worker, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        while _alive_nodes(address, env) < 2:
            assert time.monotonic() < deadline and started[1].poll() is None, "the worker node did not join"
            time.sleep(1)
        yield address, env
    finally:
        processes = [pid for proc in started for pid in [proc.pid, *_descendants(proc.pid)]]
        for proc in reversed(started):  # the worker node first, then the head
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        deadline = time.monotonic() + 30
        while any(_running(pid) for pid in processes):
            if time.monotonic() > deadline:
                for pid in filter(_running, processes):
                    os.kill(pid, signal.SIGKILL)
                pytest.fail("Ray processes outlived their `ray start --block` parent")
            time.sleep(0.5)


def test_readme_cluster_recipe_trains_with_workers_on_both_nodes(ray_cluster, tmp_path):
    address, env = ray_cluster
    run_dir = tmp_path / "run"
    command = [
        "zero",
        "train",
        "--config",
        str(ROOT / "configs" / "tiny.toml"),
        "--address",
        "auto",
        "--run-dir",
        str(run_dir),
        "--json",
        "run.num_workers=auto",
        "run.max_steps=20",
        "arena.every_versions=0",
        "run.progress=false",
    ]
    command = [sys.executable, "-m", "zero.cli", *command[1:]]  # `zero` of this interpreter and this checkout
    done = subprocess.run(
        command, cwd=tmp_path, env={**env, "RAY_ADDRESS": address}, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["step"] == 20
    metrics = read_metrics(run_dir / "metrics.jsonl")
    assert next(m for m in metrics if m.get("kind") == "workers")["count"] == 2  # 3 CPUs minus the trainer's seat
    assert (
        len({m["node"] for m in metrics if m.get("kind") == "selfplay"}) == 2
    )  # games from the head and the worker machine
