"""Ray actors and tasks at the edge of the plain classes: a self-play worker actor (restarted when it dies) and an arena task; imports ray.

Weights travel as a dict of numpy arrays put in the object store once per model
version (``ray.put`` in the orchestrator); a task receives the ObjectRef as a
top-level argument, so Ray hands it the arrays without another copy per task. The run
config crosses as the frozen RunConfig itself (validated once, where the command loaded it).
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np
import ray

from selfplay.config import RunConfig


@ray.remote(max_restarts=-1, max_task_retries=0)
class SelfPlayActor:
    """Wraps selfplay.worker.SelfPlayWorker; restarted by Ray if its process dies (the games it had in flight are lost)."""

    def __init__(self, config: RunConfig, worker_index: int, seed: int) -> None:
        import torch

        from selfplay.builders import build_evaluator, build_worker

        torch.set_num_threads(1)  # one CPU per actor: Ray reserves worker_cpus each
        self.config = config
        self.worker_index = worker_index
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            restarted = ray.get_runtime_context().was_current_actor_reconstructed
        if restarted:
            seed = seed + 7919 * (os.getpid() % 1000 + 1)  # a restarted worker must not replay the same games
        self.evaluator = build_evaluator(self.config, device=self.config.selfplay.device)
        self.worker = build_worker(self.config, self.evaluator, seed=seed)
        self.version = -1

    def pid(self) -> int:
        return os.getpid()

    def play(self, version: int, weights: dict[str, np.ndarray], num_games: int, resign_threshold: float | None = None) -> dict[str, Any]:
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
        return {"worker": self.worker_index, "pid": os.getpid(), "version": version, "records": records, "stats": self.worker.stats.as_dict()}


@ray.remote(num_cpus=1, max_retries=0)
def arena_task(
    config: RunConfig,
    new_version: int,
    new_weights: dict[str, np.ndarray],
    previous_version: int,
    previous_weights: dict[str, np.ndarray] | None,
    seed: int,
) -> dict[str, Any]:
    """Play the new network against the previous one and against the random-rollout MCTS baseline."""
    import torch

    from selfplay.arena import evaluate_version

    torch.set_num_threads(1)
    return evaluate_version(config, new_version, new_weights, previous_version, previous_weights, seed=seed)


@ray.remote(num_cpus=1, max_retries=0)
def gnugo_rung_task(config_mapping: dict[str, Any], version: int, weights: dict[str, np.ndarray], seed: int) -> dict[str, Any]:
    """The periodic ladder rung: the network of ``version`` against GNU Go (selfplay.arena.gnugo_rung)."""
    import torch

    from selfplay.arena import gnugo_rung
    from selfplay.config import config_from_mapping

    torch.set_num_threads(1)
    return gnugo_rung(config_from_mapping(config_mapping), version, weights, seed=seed)
