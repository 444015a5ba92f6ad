"""The run's share of a Ray cluster: the trainer's seat on the driver's node, workers per node for num_workers = "auto", the pool of self-play actors that follows nodes leaving and joining, and the timing of a weights broadcast; imports ray.

Capacity is counted per node, since an actor cannot straddle two: a node with resources
R (CPU, GPU) and a reservation S holds floor((R - S) / demand) workers for every resource
a worker asks for, the smallest of those counts. The trainer's reservation S is real: an
idle actor pinned to the driver's node holds ``run.trainer_cpus`` (and, when the trainer
trains on CUDA, ``run.trainer_gpus``), so Ray places no worker on that share.

Node loss: Ray marks a node dead (at once when its raylet leaves, after its health checks
fail when the machine vanishes); the pool then kills the actors it had there (no restart:
with every CPU taken a restart could only wait) and reports them; the run refills the pool
up to the new capacity, which grows back when a node joins.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from typing import Any

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

EPS = 1e-9  # resources are floats: 3 * 0.1 GPU must fit in 0.3
SEAT_TIMEOUT_S = 120.0  # the trainer's seat waits this long for its node's resources


class ClusterError(RuntimeError):
    """The cluster cannot give the run what it asks for (e.g. the trainer's seat)."""


def alive_nodes() -> dict[str, dict[str, float]]:
    """Node id -> total resources ({"CPU": 4.0, "GPU": 1.0, ...}) of every live node of the cluster."""
    return {node["NodeID"]: dict(node["Resources"]) for node in ray.nodes() if node["Alive"]}


def workers_per_node(
    nodes: dict[str, dict[str, float]],
    *,
    worker_cpus: float,
    worker_gpus: float,
    reserved: dict[str, dict[str, float]] | None = None,
) -> dict[str, int]:
    """How many workers of (worker_cpus, worker_gpus) each node holds once ``reserved`` (node -> resources) is set aside."""
    demand = {name: amount for name, amount in (("CPU", worker_cpus), ("GPU", worker_gpus)) if amount > 0}
    if not demand:
        raise ValueError("a worker must ask for CPUs or GPUs to be counted")
    counts = {}
    for node, resources in nodes.items():
        held = (reserved or {}).get(node, {})
        fits = [
            math.floor((resources.get(name, 0.0) - held.get(name, 0.0)) / amount + EPS)
            for name, amount in demand.items()
        ]
        counts[node] = max(0, min(fits))
    return counts


@ray.remote(max_restarts=0)
class _Seat:
    """Holds resources on one node and does nothing else (the trainer uses them from the driver process)."""

    def ready(self) -> bool:
        return True


class TrainerSeat:
    """``cpus`` CPUs and ``gpus`` GPU of the driver's node, held for the trainer (clipped to what the node has)."""

    def __init__(self, cpus: float, gpus: float) -> None:
        self.node = ray.get_runtime_context().get_node_id()
        resources = alive_nodes().get(self.node, {})
        self.cpus = min(cpus, resources.get("CPU", 0.0))
        self.gpus = min(gpus, resources.get("GPU", 0.0))
        self._actor = None
        if self.cpus > 0 or self.gpus > 0:
            self._actor = _Seat.options(
                num_cpus=self.cpus,
                num_gpus=self.gpus,
                scheduling_strategy=NodeAffinitySchedulingStrategy(self.node, soft=False),
            ).remote()
            try:
                ray.get(self._actor.ready.remote(), timeout=SEAT_TIMEOUT_S)
            except ray.exceptions.GetTimeoutError:
                self.release()
                raise ClusterError(
                    f"could not reserve {self.cpus:g} CPU and {self.gpus:g} GPU for the trainer on the driver's node within "
                    f"{SEAT_TIMEOUT_S:.0f}s (something else holds them); lower run.trainer_cpus / run.trainer_gpus"
                ) from None

    def reserved(self) -> dict[str, dict[str, float]]:
        return {self.node: {"CPU": self.cpus, "GPU": self.gpus}}

    def release(self) -> None:
        if self._actor is not None:
            ray.kill(self._actor)
            self._actor = None


class WorkerPool:
    """The run's self-play actors by worker index, with the node each runs on; refilled up to a fixed count or the cluster's capacity.

    ``make_actor(index)`` creates worker ``index``'s actor (indices are never reused, so a
    worker's seed and its metrics stay its own). ``fixed`` is run.num_workers when it is a
    number, None for "auto"; ``spare_workers`` is capacity left free for other tasks (an
    evaluation placed in the cluster).
    """

    def __init__(
        self,
        make_actor: Callable[[int], Any],
        *,
        fixed: int | None,
        worker_cpus: float,
        worker_gpus: float,
        seat: TrainerSeat | None = None,
        spare_workers: int = 0,
    ) -> None:
        self.make_actor = make_actor
        self.fixed = fixed
        self.worker_cpus = worker_cpus
        self.worker_gpus = worker_gpus
        self.seat = seat
        self.spare_workers = spare_workers
        self.actors: dict[int, Any] = {}  # worker index -> actor handle
        self.nodes: dict[int, str] = {}  # worker index -> node id, once known
        self._where: dict[Any, int] = {}  # ObjectRef of actor.node_id() -> worker index
        self.next_index = 0
        self.retired = 0  # workers given up on (broken): not replaced in this run

    def __len__(self) -> int:
        return len(self.actors)

    def target(self, nodes: dict[str, dict[str, float]]) -> int:
        """How many workers the pool should hold on the cluster ``nodes``."""
        if self.fixed is not None:
            return max(0, self.fixed - self.retired)
        per_node = workers_per_node(
            nodes,
            worker_cpus=self.worker_cpus,
            worker_gpus=self.worker_gpus,
            reserved=self.seat.reserved() if self.seat else None,
        )
        return max(0, sum(per_node.values()) - self.spare_workers - self.retired)

    def fill(self, nodes: dict[str, dict[str, float]]) -> list[int]:
        """Start workers until the pool holds ``target(nodes)``; returns the new indices."""
        added = []
        while len(self.actors) < self.target(nodes):
            index = self.next_index
            self.next_index += 1
            actor = self.make_actor(index)
            self.actors[index] = actor
            self._where[actor.node_id.remote()] = index
            added.append(index)
        return added

    def learn_nodes(self, wait_s: float = 0.0) -> None:
        """Record the node of every worker whose location has come back, waiting at most ``wait_s`` for the rest."""
        if not self._where:
            return
        ready, _ = ray.wait(list(self._where), num_returns=len(self._where), timeout=wait_s)
        for ref in ready:
            index = self._where.pop(ref)
            try:
                node = ray.get(ref)
            except ray.exceptions.RayError:
                continue  # the actor died before it could answer: its node is learned from its next life, or never
            if index in self.actors:
                self.nodes[index] = node

    def seen_on(self, index: int, node: str | None) -> None:
        """Worker ``index`` reported a result from ``node`` (a restarted actor may have moved)."""
        if node and index in self.actors:
            self.nodes[index] = node

    def drop_lost(self, nodes: dict[str, dict[str, float]]) -> dict[str, list[int]]:
        """Kill (without restart) the workers whose node is no longer alive; returns node id -> their indices."""
        lost: dict[str, list[int]] = {}
        for index, node in list(self.nodes.items()):
            if node not in nodes:
                lost.setdefault(node, []).append(index)
                self.remove(index)
        return lost

    def retire(self, index: int) -> None:
        """Give up on a broken worker: kill it and do not replace it."""
        self.remove(index)
        self.retired += 1

    def remove(self, index: int) -> None:
        actor = self.actors.pop(index, None)
        self.nodes.pop(index, None)
        if actor is not None:
            try:
                ray.kill(actor, no_restart=True)
            except Exception:  # already gone
                pass

    def placement(self) -> dict[str, int]:
        """Node id -> number of workers known to run there."""
        counts: dict[str, int] = {}
        for node in self.nodes.values():
            counts[node] = counts.get(node, 0) + 1
        return counts

    def close(self) -> None:
        for index in list(self.actors):
            self.remove(index)
        if self.seat is not None:
            self.seat.release()


def time_broadcast(config, weights: dict, rounds: int) -> tuple[float, float]:
    """Median seconds of ray.put(weights) on the driver and of ray.get + load_state_dict in a worker actor (local Ray)."""
    started = not ray.is_initialized()
    if started:
        ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        receiver = _WeightsReceiver.remote(config)
        ray.get(receiver.ready.remote())
        puts, loads = [], []
        for version in range(1, rounds + 2):
            t0 = time.perf_counter()
            ref = ray.put(weights)
            put = time.perf_counter() - t0
            load = ray.get(
                receiver.load.remote([ref], version)
            )  # in a list: the actor fetches it itself, inside the timing
            if version > 1:  # the first round warms the actor up
                puts.append(put)
                loads.append(load)
            del ref
        ray.kill(receiver)
        return statistics.median(puts), statistics.median(loads)
    finally:
        if started:
            ray.shutdown()


@ray.remote(num_cpus=0)
class _WeightsReceiver:
    """A worker's side of a broadcast: fetch the version's ObjectRef and load it into its network."""

    def __init__(self, config) -> None:
        from selfplay.builders import build_evaluator

        self.evaluator = build_evaluator(config, device="cpu")

    def ready(self) -> bool:
        return True

    def load(self, refs: list, version: int) -> float:
        from selfplay.builders import load_numpy_weights

        t0 = time.perf_counter()
        load_numpy_weights(self.evaluator, ray.get(refs[0]), version)
        return time.perf_counter() - t0
