"""Where a run resumes from, decided before anything in its directory is written: the newest complete checkpoint, and a config that fits it; torch, no ray.

A checkpoint is complete when its training state (``train-*.pt``: optimizer, step, games,
Elo table, RNG, resignation evidence) is there beside the weights. When the newest one has
lost it, the run falls back to the newest complete one and says so loudly; when none is
complete it refuses, rather than resume with those counters silently reset.
A config whose network or game shape differs from the checkpoint's (or, before the first
checkpoint, from the run's own config.toml, which the replay shards follow) is refused with
one line, before config.toml or anything else is rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from selfplay.builders import build_adapter, game_shape
from selfplay.rundir import RunDir


@dataclass(frozen=True)
class ResumePoint:
    """The checkpoint a run continues from (None: a fresh run) and what to tell the user about it."""

    checkpoint: Any | None  # zero.nn.checkpoint.Checkpoint
    training_state: dict[str, Any] | None
    warnings: tuple[str, ...] = ()  # loud, one line each: a newer checkpoint passed over


def plan_resume(config, rd: RunDir) -> ResumePoint:
    """The ResumePoint of ``rd`` for ``config``; CheckpointError (one line) if the config does not fit the run
    or no complete checkpoint is left. Reads only: nothing is written, no replay shard is opened."""
    from zero.nn.checkpoint import CheckpointError, list_checkpoints, load_checkpoint, resolve_checkpoint_path

    shape = game_shape(build_adapter(config))
    found = list_checkpoints(rd.checkpoints)
    if not found:
        _check_snapshot(config, rd, shape)
        return ResumePoint(None, None)
    newest = resolve_checkpoint_path(rd.checkpoints)  # what `latest` names
    checkpoint = load_checkpoint(newest, expected_config=config.network, expected_shape=shape)
    state = checkpoint.load_training_state()
    if state is not None:
        return ResumePoint(checkpoint, state)
    missing = checkpoint.training_state_path.name
    for older in reversed([p for p in found if _step(p) < checkpoint.step]):
        candidate = load_checkpoint(older, expected_config=config.network, expected_shape=shape)
        state = candidate.load_training_state()
        if state is not None:
            lost = checkpoint.step - candidate.step
            return ResumePoint(
                candidate,
                state,
                (
                    f"{newest.name} has no training state ({missing} is missing): resuming from {older.stem}, "
                    f"the newest complete checkpoint; its {lost} later train steps are lost",
                ),
            )
    raise CheckpointError(
        f"{newest}: its training state {missing} is missing and no older checkpoint is complete; resuming would reset "
        "the optimizer, step, games, Elo table, RNG and resignation evidence: restore the file or use a new run directory"
    )


def _step(weights) -> int:
    return int(weights.stem.split("-")[1])


def _check_snapshot(config, rd: RunDir, shape) -> None:
    """Before the first checkpoint the replay shards follow the run's config.toml: the game shape must not change."""
    from selfplay.config import load_config
    from zero.common.configlib import ConfigError
    from zero.nn.checkpoint import CheckpointError

    if not rd.config.exists():
        return
    try:
        before = game_shape(build_adapter(load_config(rd.config)))
    except (ConfigError, ValueError, OSError):
        return  # an unreadable snapshot says nothing about the shards; the new one replaces it
    if before != shape:
        raise CheckpointError(
            f"{rd.config}: this run plays {_describe(before)} but the config asks for {_describe(shape)}; "
            "use a new run directory"
        )


def _describe(shape) -> str:
    return f"(planes={shape.in_channels}, size={shape.board_size}, actions={shape.num_actions})"
