"""The learning side of a run as one plain object: replay window (shards on disk), trainer, checkpoints and resume; torch, no ray.

Model versions: a version is published every ``run.steps_per_version`` train steps
(the orchestrator decides); checkpoints carry the step, the version, the optimizer and
RNG state and the orchestrator's counters (``training_state["run_state"]``), written
atomically by zero.nn.checkpoint; a resume starts from the newest complete one (selfplay.resume).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from selfplay.builders import build_adapter, build_model, game_shape, numpy_weights
from selfplay.records import GameRecord, to_samples
from selfplay.resume import ResumePoint, plan_resume
from selfplay.rundir import RunDir

SURPRISE_RNG_STATE = "surprise_rng"  # the run state's entry for train.policy_surprise_weight's draws


class Learner:
    """Replay + trainer + checkpoints of one run directory; resumes from ``resume`` (selfplay.resume.plan_resume: the
    newest complete checkpoint, checked against the config before anything is read or written) on construction."""

    def __init__(self, config, run_dir: RunDir, *, train: bool = True, resume: ResumePoint | None = None) -> None:
        from zero.learn.replay import ReplayBuffer
        from zero.learn.train import Trainer

        self.config = config
        self.run_dir = run_dir
        resume = resume if resume is not None else plan_resume(config, run_dir)  # refuses before the shards load
        remove_stale_temporaries(run_dir)
        self.adapter = build_adapter(config)
        shape = game_shape(self.adapter)
        self.with_ownership = bool(config.network.ownership_head) and self.adapter.has_ownership
        self.replay = ReplayBuffer(
            config.replay,
            in_channels=shape.in_channels,
            board_size=shape.board_size,
            num_actions=shape.num_actions,
            directory=run_dir.replay,
            seed=config.run.seed,
            constant_planes=self.adapter.constant_planes,
        )
        self.resume_state: dict[str, Any] = {}
        self._surprise_rng = np.random.default_rng(config.run.seed)  # train.policy_surprise_weight's draws
        model = build_model(config, self.adapter, seed=config.run.seed)
        self.trainer = Trainer(model, config.train, self.replay, run_dir=run_dir.root, seed=config.run.seed)
        self.training = train
        self.version = 0
        self.resumed_from = resume.checkpoint  # None for a fresh run
        self.origin = resume.origin  # the network the run started from ({}: from scratch), kept in every checkpoint
        if resume.checkpoint is not None:
            self.resume_state = self.trainer.restore(resume.checkpoint, resume.training_state)
            self.version = self.trainer.model_version
            if self.resume_state.get(SURPRISE_RNG_STATE):  # so a resumed run draws what it would have drawn
                self._surprise_rng.bit_generator.state = json.loads(self.resume_state[SURPRISE_RNG_STATE])
        elif resume.initial is not None:  # --init-from: its weights, a fresh optimizer, step 0, version 0
            self.trainer.load_weights(resume.initial.state_dict)

    # ---- facts --------------------------------------------------------------------
    @property
    def step(self) -> int:
        return self.trainer.step

    @property
    def batch_size(self) -> int:
        return self.config.train.batch_size

    @property
    def replay_size(self) -> int:
        return len(self.replay)

    @property
    def replay_total(self) -> int:
        return self.replay.total_added

    @property
    def corrupt_shards(self) -> list:
        return list(self.replay.corrupt_shards)

    # ---- data ---------------------------------------------------------------------
    def add_records(self, records: list[GameRecord]) -> int:
        """Add the training positions of finished games to the replay window; returns how many were added."""
        added = 0
        owned = [r for r in records if r.final_ownership is not None]
        unowned = [r for r in records if r.final_ownership is None]
        for group, ownership in ((owned, self.with_ownership), (unowned, False)):
            samples = to_samples(
                group,
                with_ownership=ownership,
                search_weight=self.config.train.value_target_search_weight,
                surprise_weight=self.config.train.policy_surprise_weight,
                rng=self._surprise_rng,
            )
            if samples is None:
                continue
            self.replay.add(
                samples.planes,
                samples.policy,
                samples.value,
                samples.ownership,
                score=samples.score,
                constant=samples.constant,
                target_weight=samples.target_weight,
                opponent_move=samples.opponent_move,
            )
            added += len(samples)
        return added

    def flush(self) -> None:
        self.replay.flush()

    # ---- training -----------------------------------------------------------------
    def train(self, steps: int) -> dict[str, float]:
        """``steps`` optimizer steps; returns the trainer's latest metric record (losses, LR, samples/s)."""
        return dict(self.trainer.train_steps(steps) or {})

    def numpy_weights(self) -> dict[str, np.ndarray]:
        """The weights for the workers (the moving average where train.average_steps is set); TrainingDiverged rather
        than a network full of nan."""
        self.trainer.check_weights()
        return numpy_weights(self.trainer.published_model.state_dict())

    def save_checkpoint(self, *, run_state: dict[str, Any], run_config: dict[str, Any]) -> None:
        """A new checkpoint (the newest 3 kept); TrainingDiverged, and nothing written, if the weights are not finite."""
        self.trainer.save_checkpoint(
            self.run_dir.checkpoints,
            model_version=self.version,
            run_config=run_config,
            run_state={**run_state, SURPRISE_RNG_STATE: json.dumps(self._surprise_rng.bit_generator.state)},
            keep_last=3,
            origin=self.origin,
        )

    def save_snapshot(self, directory: Path, *, run_config: dict[str, Any]) -> Path:
        """The published weights (no training state) in ``directory``, which then holds just them and a ``latest``
        pointer; TrainingDiverged, and nothing written, if the weights are not finite."""
        from zero.nn.checkpoint import save_checkpoint

        self.trainer.check_weights()
        return save_checkpoint(
            directory,
            self.trainer.published_model,
            step=self.step,
            model_version=self.version,
            run_config=run_config,
            keep_last=1,  # a resume after a kill between snapshot and checkpoint writes this folder again
            origin=self.origin,
        )

    def close(self) -> None:
        self.trainer.close()


def remove_stale_temporaries(run_dir: RunDir) -> list[str]:
    """Delete temporary files a killed process left behind (``.name.XXXX.tmp``; real names are only ever renamed into place)."""
    removed = []
    for folder in (run_dir.root, run_dir.checkpoints, run_dir.replay, run_dir.sgf):
        if not folder.is_dir():
            continue
        for path in folder.glob(".*.tmp"):
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed
