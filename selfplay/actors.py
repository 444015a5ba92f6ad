"""Ray actors and tasks at the edge of the plain classes: a self-play worker actor (restarted when it dies) and an arena task; imports ray.

Weights travel as a dict of numpy arrays put in the object store once per model
version (``ray.put`` in the orchestrator); a task receives the ObjectRef as a
top-level argument, so Ray hands it the arrays without another copy per task. The run
config crosses as the frozen RunConfig itself (validated once, where the command loaded it).
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

import numpy as np
import ray

from selfplay.config import RunConfig


def worker_threads(worker_cpus: float) -> int:
    """Torch threads of one actor: the whole CPUs Ray reserves for it (W workers given C/W CPUs each use C/W threads), at least 1.

    More threads than reserved CPUs oversubscribe the cores: spinning OpenMP threads then slow every process
    on the machine many times over (the go9_cpu note measured 40x).
    """
    return max(1, int(worker_cpus))


class SelfPlayHost:
    """Wraps selfplay.worker.SelfPlayWorker for Ray (SelfPlayActor below): builds it in the actor's process, plays tasks."""

    def __init__(self, config: RunConfig, worker_index: int, seed: int) -> None:
        import torch

        from selfplay.builders import build_evaluator, build_worker
        from zero.common.process_setup import set_up_network_process

        malloc, primitive_cache = set_up_network_process()
        self.config = config
        torch.set_num_threads(worker_threads(config.run.worker_cpus))
        self.worker_index = worker_index
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            restarted = ray.get_runtime_context().was_current_actor_reconstructed
        if restarted:
            seed = seed + 7919 * (os.getpid() % 1000 + 1)  # a restarted worker must not replay the same games
        self.evaluator = build_evaluator(
            self.config,
            device=assigned_device(self.config.selfplay.device),
            seed=seed,
            compile=self.config.selfplay.compile,
        )
        print(
            f"self-play worker {worker_index}: network on {self.evaluator.describe()}; {malloc.describe()}; "
            f"{primitive_cache.describe()}",
            file=sys.stderr,
            flush=True,
        )
        self.worker = build_worker(self.config, self.evaluator, seed=seed)
        self.version = -1

    def pid(self) -> int:
        return os.getpid()

    def node_id(self) -> str:
        """The Ray node this actor runs on (hex id, as in ray.nodes())."""
        return ray.get_runtime_context().get_node_id()

    def play(
        self, version: int, weights: dict[str, np.ndarray], num_games: int, resign_threshold: float | None = None
    ) -> dict[str, Any]:
        """Load model ``version`` if it is new, play ``num_games`` games; returns records and the worker's counters.

        ``resign_threshold`` (when not None) is the calibrated threshold the run sets (selfplay.resign).
        """
        if resign_threshold is not None:
            self.worker.set_resign_threshold(resign_threshold)
        if version != self.version:
            from selfplay.builders import load_numpy_weights

            load_numpy_weights(self.evaluator, weights, version)
            self.version = version
            self.worker.set_model_version(version)
        records = self.worker.play(num_games)
        return {
            "worker": self.worker_index,
            "pid": os.getpid(),
            "node": self.node_id(),
            "version": version,
            "records": records,
            "stats": self.worker.stats.as_dict(),
        }


def assigned_device(device: str) -> str:
    """The device of a network inside a Ray actor or task: ``auto`` is CUDA only when Ray gave this process a GPU share.

    (Ray leaves every GPU visible to a process that asked for none; taking one anyway would
    crowd the trainer's.)"""
    if device != "auto":
        return device
    return "cuda" if ray.get_gpu_ids() else "cpu"


# Restarted by Ray if its process dies (the games it had in flight are lost); a task that raises is not retried:
# the orchestrator stops the run with one line (a bug does not go away by playing the same games again).
SelfPlayActor = ray.remote(max_restarts=-1, max_task_retries=0)(SelfPlayHost)


@ray.remote(num_cpus=1, max_retries=0)
def arena_task(
    config: RunConfig,
    new_version: int,
    new_weights: dict[str, np.ndarray],
    previous_version: int,
    previous_weights: dict[str, np.ndarray] | None,
    seed: int,
    device: str = "cpu",
    threads: int = 1,
) -> dict[str, Any]:
    """Play the new network against the previous one and against the random-rollout MCTS baseline.

    ``device``: cpu, cuda (the trainer's GPU, beside it) or auto (CUDA when this task holds a
    GPU share); ``threads``: torch CPU threads (arena.cpus)."""
    import torch

    from selfplay.arena import evaluate_version
    from zero.common.process_setup import set_up_network_process

    set_up_network_process()
    torch.set_num_threads(max(1, threads))
    result = evaluate_version(
        config, new_version, new_weights, previous_version, previous_weights, seed=seed, device=assigned_device(device)
    )
    return {**result, "threads": torch.get_num_threads(), "node": ray.get_runtime_context().get_node_id()}


@ray.remote(num_cpus=1, max_retries=0)
def gnugo_rung_task(config: RunConfig, version: int, weights: dict[str, np.ndarray], seed: int) -> dict[str, Any]:
    """The periodic ladder rung: the network of ``version`` against GNU Go (selfplay.arena.gnugo_rung)."""
    import torch

    from selfplay.arena import gnugo_rung
    from zero.common.process_setup import set_up_network_process

    set_up_network_process()
    torch.set_num_threads(1)
    return gnugo_rung(config, version, weights, seed=seed)
