"""A three-node Ray cluster on one machine (ray.cluster_utils.Cluster: one raylet per node): `zero train --address` on it, workers on every node, a node lost mid-run and one added back."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from selfplay.cluster import workers_per_node
from selfplay.config import load_config
from zero.common.metrics import read_metrics

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "configs" / "tiny.toml"
HEAD_CPUS = 2  # the trainer's seat (run.trainer_cpus = 1) and one worker
WORKER_NODE_CPUS = 1


def test_workers_per_node_sets_the_trainer_seat_aside_and_counts_whole_workers():
    nodes = {"head": {"CPU": 8.0, "GPU": 1.0}, "a": {"CPU": 4.0}, "b": {"CPU": 2.5, "GPU": 2.0}}
    seat = {"head": {"CPU": 2.0, "GPU": 0.25}}
    assert workers_per_node(nodes, worker_cpus=1.0, worker_gpus=0.0, reserved=seat) == {"head": 6, "a": 4, "b": 2}
    # with a GPU share each, a node without a GPU holds none and the seat's share counts
    assert workers_per_node(nodes, worker_cpus=1.0, worker_gpus=0.25, reserved=seat) == {"head": 3, "a": 0, "b": 2}
    assert workers_per_node({"n": {"CPU": 0.9}}, worker_cpus=0.3, worker_gpus=0.0) == {"n": 3}  # 3 x 0.3 fits in 0.9
    assert workers_per_node({"n": {"CPU": 1.0}}, worker_cpus=1.0, worker_gpus=0.0, reserved={"n": {"CPU": 2.0}}) == {
        "n": 0
    }


def test_auto_pool_target_leaves_room_for_an_evaluation_in_the_cluster_and_for_retired_workers():
    from selfplay.cluster import WorkerPool

    nodes = {"head": {"CPU": 2.0}, "a": {"CPU": 1.0}, "b": {"CPU": 1.0}}
    pool = WorkerPool(lambda index: None, fixed=None, worker_cpus=1.0, worker_gpus=0.0, spare_workers=1)
    assert pool.target(nodes) == 3  # no seat here: 4 CPUs, one kept for an evaluation
    pool.retired = 1
    assert pool.target(nodes) == 2 and pool.target({"a": {"CPU": 1.0}}) == 0
    fixed = WorkerPool(lambda index: None, fixed=4, worker_cpus=1.0, worker_gpus=0.0)
    assert fixed.target({}) == 4  # a fixed count waits for capacity rather than shrinking


def test_num_workers_auto_is_validated_naming_the_field():
    assert load_config(TINY, ["run.num_workers=auto"]).run.num_workers == "auto"
    assert load_config(TINY, ['run.num_workers="auto"']).run.num_workers == "auto"
    with pytest.raises(ValueError, match=r"^run.num_workers: expected an integer or 'auto', got 'many'$"):
        load_config(TINY, ["run.num_workers=many"])
    with pytest.raises(ValueError, match=r"^run: num_workers: .*worker_cpus or worker_gpus"):
        load_config(TINY, ["run.num_workers=auto", "run.worker_cpus=0"])


@pytest.fixture(scope="module")
def cluster():
    """Head (2 CPUs) plus two worker nodes (1 CPU each), each with a resource of its own; torn down with its processes."""
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": HEAD_CPUS, "resources": {"head_node": 1}, "include_dashboard": False},
    )
    for name in ("node_a", "node_b"):
        cluster.add_node(num_cpus=WORKER_NODE_CPUS, resources={name: 1})
    cluster.wait_for_nodes()
    yield cluster
    ray.shutdown()
    cluster.shutdown()


def _selfplay_nodes(run_dir: Path) -> set[str]:
    return {m["node"] for m in read_metrics(run_dir / "metrics.jsonl") if m.get("kind") == "selfplay"}


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


@pytest.mark.ray
@pytest.mark.slow
def test_zero_train_address_fills_every_node_with_auto_workers(cluster, tmp_path, capsys):
    import ray

    from zero.cli import main

    run_dir = tmp_path / "run"
    code = main(
        [
            "train",
            "--config",
            str(TINY),
            "--run-dir",
            str(run_dir),
            "--address",
            cluster.address,
            "--json",
            "run.num_workers=auto",
            "run.max_steps=20",
            "arena.every_versions=1",
            "arena.cpus=2",
            "run.progress=false",
        ]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["step"] == 20

    assert ray.get_runtime_context().get_node_id() == cluster.head_node.node_id  # the driver (trainer) is on the head
    nodes = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
    assert len(nodes) == 3
    cpus = ray.cluster_resources()["CPU"]
    first = next(m for m in read_metrics(run_dir / "metrics.jsonl") if m.get("kind") == "workers")
    assert first["requested"] == "auto"
    assert first["count"] == cpus - 1 == 3  # the cluster's CPUs minus the trainer's seat (run.trainer_cpus = 1)
    # one worker on every node (SPREAD over one free CPU each), as the run's last placement record says; which
    # nodes delivered games before step 20 depends on the machine's load, so only a subset is required of them
    placements = [m["nodes"] for m in read_metrics(run_dir / "metrics.jsonl") if m.get("kind") == "placement"]
    assert placements[-1] == {node: 1 for node in nodes}
    delivered = _selfplay_nodes(run_dir)
    assert delivered and delivered <= nodes
    arena = [m for m in read_metrics(run_dir / "metrics.jsonl") if m.get("kind") == "arena"]
    assert sorted(m["version"] for m in arena) == [1, 2]
    # arena.placement = "trainer": beside the trainer, on its device, with arena.cpus threads (not one pinned thread)
    assert all(m["node"] == cluster.head_node.node_id and m["device"] == "cpu" and m["threads"] == 2 for m in arena)


@pytest.mark.ray
@pytest.mark.slow
def test_node_lost_mid_run_is_survived_and_capacity_coming_back_is_refilled(cluster, tmp_path):
    from selfplay.orchestrator import run, start_ray

    run_dir = tmp_path / "run"
    head = cluster.head_node.node_id
    start_ray(
        cluster.address
    )  # connect from the main thread (the run itself goes in a thread: node surgery needs this one)
    config = load_config(
        TINY, ["run.num_workers=auto", "run.max_steps=160", "arena.every_versions=0", "run.progress=false"]
    )
    outcome: dict[str, object] = {}

    def train():
        try:
            outcome["summary"] = run(config, run_dir, address=cluster.address)
        except BaseException as exc:  # reported by the test
            outcome["error"] = exc

    trainer = threading.Thread(target=train, daemon=True)
    trainer.start()
    victim_id = _wait_for(lambda: next(iter(_selfplay_nodes(run_dir) - {head}), None), 240, "games from a worker node")
    cluster.remove_node(next(n for n in cluster.worker_nodes if n.node_id == victim_id))
    _wait_for(
        lambda: any(m.get("kind") == "node_lost" for m in read_metrics(run_dir / "metrics.jsonl")), 120, "node_lost"
    )
    added_id = cluster.add_node(num_cpus=WORKER_NODE_CPUS, resources={"node_c": 1}).node_id
    trainer.join(timeout=600)
    assert not trainer.is_alive() and "error" not in outcome, outcome.get("error")

    assert outcome["summary"]["step"] == 160  # the run reached its step target on the remaining nodes
    metrics = read_metrics(run_dir / "metrics.jsonl")
    lost = [m for m in metrics if m.get("kind") == "node_lost"]
    assert [m["node"] for m in lost] == [victim_id]
    assert lost[0]["workers"] and lost[0]["workers_left"] == 2
    counts = [m["count"] for m in metrics if m.get("kind") == "workers"]
    assert counts[0] == 3 and 2 in counts and counts[-1] == 3  # shrank with the node, grew back when one joined
    after = [m for m in metrics if m.get("kind") == "selfplay" and m["time"] > lost[0]["time"]]
    assert after and victim_id not in {m["node"] for m in after}  # training went on without the lost node
    # the pool started a worker for the joining node after the loss (whether that worker finishes a game before
    # the step target is a race with the trainer, so its games are not required)
    assert added_id and any(m.get("kind") == "workers" and m["added"] and m["time"] > lost[0]["time"] for m in metrics)
