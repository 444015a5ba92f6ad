"""Where a run resumes from, decided before anything in its directory is written: the newest complete checkpoint, and a config that fits it; or, for a new run started from another network (``zero train --init-from``), that network checked against the config; torch, no ray.

A checkpoint is complete when its training state (``train-*.pt``: optimizer, step, games,
Elo table, RNG, resignation evidence) is there beside the weights. When the newest one has
lost it, the run falls back to the newest complete one and says so loudly; when none is
complete it refuses, rather than resume with those counters silently reset.
A config whose network or game shape differs from the checkpoint's (or, before the first
checkpoint, from the run's own config.toml, which the replay shards follow) is refused with
one line, before config.toml or anything else is rewritten.

``--init-from MODEL`` (a shipped name, a checkpoint, a run directory) starts a new run: only into a
directory that holds no run yet (resuming and starting from another network conflict), only with a
config whose network and game match the source's (a mismatch names the differing fields) but for three
differences the weights carry over: another board size (they read any board), a deeper and/or wider
tower (more residual blocks, more channels: the source's function until trained, zero.nn.network.grow_tower),
and an added opponent policy head (a training signal only, started fresh: the source plays as it did);
and with the source's weights alone: a fresh optimizer, step 0, version 0. The run records its origin (name, path,
step, version, SHA-256 of the weights file) in config.toml, metrics.jsonl and every checkpoint. Such a start
killed before its step-0 checkpoint is started again by the same command (``unfinished_start``); resumed
without ``--init-from`` it is refused, as it would train a fresh network.

``--replay-from RUN`` (with ``--init-from``) starts the new run with the newest shards of another run's replay
window (``plan_replay_seed``), so that a continuation does not train its first versions on its first few games:
from an empty window, go13's 13x13 continuations fit the outcomes of those games (value loss 0.8 -> 0.36 in 800
steps, against 0.65-0.8 once the window is full) and lost their first 10 versions' arena to the network they
started from (4 and 5 of 20). Seeded, neither happened, though the network was no stronger 40 minutes in
(BENCHMARKS.md, session 30).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from selfplay.builders import build_adapter, game_shape
from selfplay.rundir import RunDir, RunDirError


@dataclass(frozen=True)
class ResumePoint:
    """The checkpoint a run continues from (None: a fresh run), or the network a new run starts from, and what to
    tell the user about it."""

    checkpoint: Any | None  # zero.nn.checkpoint.Checkpoint
    training_state: dict[str, Any] | None
    warnings: tuple[str, ...] = ()  # loud, one line each: a newer checkpoint passed over
    initial: Any | None = None  # --init-from: the source Checkpoint whose weights the new run starts from
    initial_origin: dict[str, Any] | None = None  # --init-from: where they come from (see init_origin)
    replay_seed: ReplaySeed | None = None  # --replay-from: the shards the new run's replay window starts with

    @property
    def origin(self) -> dict[str, Any]:
        """The network this run started from ({}: from scratch): the source's, or the resumed checkpoint's record."""
        if self.initial_origin is not None:
            return dict(self.initial_origin)
        return dict(self.checkpoint.origin) if self.checkpoint is not None else {}


@dataclass(frozen=True)
class ReplaySeed:
    """The newest shards of another run's replay window (oldest first) that a new run copies into its own."""

    directory: Path  # the source run's replay/
    shards: tuple[Path, ...]
    positions: int

    def describe(self) -> dict[str, Any]:
        """What the new run records of it (in its origin)."""
        return {"path": str(self.directory.resolve()), "shards": len(self.shards), "positions": self.positions}


def plan_replay_seed(config, spec: str) -> ReplaySeed:
    """The newest shards of the run directory (or replay folder) ``spec`` that fill ``config``'s replay window;
    CheckpointError (one line) if it holds none or one of them is unreadable or for another game shape.
    Reads only the shards' shapes and lengths."""
    import numpy as np

    from zero.learn.replay import shard_files
    from zero.nn.checkpoint import CheckpointError

    root = Path(spec)
    directory = root / "replay" if (root / "replay").is_dir() else root
    shards = [path for _, path in shard_files(directory)]
    if not shards:
        raise CheckpointError(f"--replay-from {spec}: no replay shards (shard-*.npz) in {directory}")
    shape = game_shape(build_adapter(config))
    expected = [shape.in_channels, shape.board_size, shape.num_actions]
    chosen: list[Path] = []
    positions = 0
    for path in reversed(shards):  # newest first, until the window is full
        try:
            with np.load(path, allow_pickle=False) as data:
                found, count = data["shape"].tolist(), len(data["value"])
        except Exception as exc:  # zipfile.BadZipFile, EOFError, KeyError, ValueError, OSError...
            raise CheckpointError(f"--replay-from {spec}: unreadable shard {path.name}: {type(exc).__name__}") from None
        if found != expected:
            raise CheckpointError(
                f"--replay-from {spec}: its positions are (channels, size, actions) = {found}, the config's are "
                f"{expected}"
            )
        chosen.append(path)
        positions += count
        if positions >= config.replay.window:
            break
    return ReplaySeed(directory, tuple(reversed(chosen)), positions)


def seed_replay(rd: RunDir, seed: ReplaySeed) -> None:
    """Copy the seed's shards into ``rd``'s replay folder, each under a temporary name renamed into place (their
    names keep the source's position numbers: the new run's window continues where the source's ended)."""
    import shutil

    from zero.common.atomic_files import atomic_write_via
    from zero.nn.checkpoint import CheckpointError

    for path in seed.shards:
        try:
            atomic_write_via(rd.replay / path.name, lambda tmp, src=path: shutil.copyfile(src, tmp))
        except FileNotFoundError:  # the source run, still running, moved its window on: its oldest shard went
            raise CheckpointError(
                f"--replay-from: {path} went away while it was copied (is that run still running?); run the same "
                "command again"
            ) from None


def plan_resume(config, rd: RunDir, *, init_from: str | None = None, replay_from: str | None = None) -> ResumePoint:
    """The ResumePoint of ``rd`` for ``config``; CheckpointError (one line) if the config does not fit the run
    or no complete checkpoint is left. With ``init_from`` (a model spec), a new run from that network (plan_init),
    whose replay window starts with ``replay_from``'s newest shards if given (plan_replay_seed).
    Reads only: nothing is written, no replay shard is opened but for its shape."""
    from zero.nn.checkpoint import CheckpointError, list_checkpoints, load_checkpoint, resolve_checkpoint_path

    if replay_from is not None and init_from is None:
        raise CheckpointError(
            "--replay-from continues another run's data in a new run: give --init-from too (the network to start from)"
        )
    if init_from is not None:
        plan = plan_init(config, rd, init_from)
        if replay_from is None:
            return plan
        seed = plan_replay_seed(config, replay_from)
        origin = {**plan.initial_origin, "replay_from": seed.describe()}
        return dataclasses.replace(plan, initial_origin=origin, replay_seed=seed)
    shape = game_shape(build_adapter(config))
    found = list_checkpoints(rd.checkpoints)
    if not found:
        if unfinished_start(rd):
            raise CheckpointError(
                f"{rd.root}: started from another network (--init-from, see its config.toml) and stopped before its "
                "first checkpoint: run the same command again, --init-from included, to start it"
            )
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


def holds_a_run(rd: RunDir) -> bool:
    """Whether ``rd`` already holds a run: a config snapshot, a checkpoint or a replay shard."""
    from zero.nn.checkpoint import list_checkpoints

    return (
        rd.config.exists()
        or bool(list_checkpoints(rd.checkpoints))
        or (rd.replay.is_dir() and any(rd.replay.glob("*.npz")))
    )


def unfinished_start(rd: RunDir) -> bool:
    """Whether ``rd`` holds a run started with --init-from that stopped before its step-0 checkpoint (killed while
    it copied --replay-from's shards, say): its config.toml names the source, and no checkpoint is there. Starting
    it again is all it needs (``discard_unfinished_start``); resuming it would train a fresh network instead."""
    from selfplay.config import STARTED_FROM
    from zero.nn.checkpoint import list_checkpoints

    if list_checkpoints(rd.checkpoints) or not rd.config.is_file():
        return False
    return STARTED_FROM in rd.config.read_text(encoding="utf-8", errors="replace")


def discard_unfinished_start(rd: RunDir) -> None:
    """Before a new run starts from another network in ``rd``: the replay shards an unfinished start left (no run
    has played a game there before its step-0 checkpoint, so they can only be a seed's copies) are removed."""
    from zero.learn.replay import shard_files

    if unfinished_start(rd):
        for _, path in shard_files(rd.replay):
            path.unlink()


def plan_init(config, rd: RunDir, spec: str) -> ResumePoint:
    """A new run in ``rd`` from the network ``spec`` names; RunDirError if ``rd`` already holds a run,
    CheckpointError (one line) if ``spec`` names nothing usable or its network or game differs from the config's
    (beyond the board size, a deeper or wider tower and an added opponent policy head, which carry the weights over)."""
    from zero.nn.checkpoint import CheckpointError, load_checkpoint
    from zero.nn.network import can_grow, grow_tower, with_opponent_policy_head
    from zero.nn.shipped import ModelSpecError, resolve_model

    if holds_a_run(rd) and not unfinished_start(rd):
        raise RunDirError(
            f"{rd.root}: already holds a run; --init-from starts a new one: give a new --run-dir "
            "(or leave --init-from out to resume this run)"
        )
    try:
        path = resolve_model(spec)
    except ModelSpecError as exc:
        raise CheckpointError(f"--init-from {exc}") from None
    if path is None:
        raise CheckpointError(
            "--init-from none: name the network to start from (a shipped name, a checkpoint or a run directory)"
        )
    try:
        source = load_checkpoint(path)
    except CheckpointError as exc:
        raise CheckpointError(f"--init-from {spec}: {exc}") from None
    shape = game_shape(build_adapter(config))
    trained_size, source_net = source.shape.board_size, source.network_config
    if source.shape != shape and source.shape.for_board_size(shape.board_size) == shape:
        source = source.for_board_size(shape.board_size)  # the weights read any board size (KataGo's nets do too)
    if config.network.opponent_policy_head and not source.network_config.opponent_policy_head:
        # the opponent's-reply head is a training signal only: a fresh one leaves the network's play as it was
        state, with_head = with_opponent_policy_head(source.state_dict, source.network_config, shape)
        source = dataclasses.replace(source, network_config=with_head, state_dict=state)
    if can_grow(source.network_config, config.network) and source.shape == shape:
        # a deeper and/or wider tower: the source's function until trained (grow_tower)
        state = grow_tower(source.state_dict, source.network_config, config.network, shape)
        source = dataclasses.replace(source, network_config=config.network, state_dict=state)
    differences = network_differences(config.network, source.network_config)
    if source.shape != shape:
        differences.append(f"game {_describe(source.shape)} vs {_describe(shape)}")
    if differences:
        raise CheckpointError(
            f"--init-from {spec}: the source's network does not match the config's (source vs config): "
            f"{'; '.join(differences)}"
        )
    origin = init_origin(spec, source)
    if trained_size != shape.board_size:
        origin["trained_board_size"] = trained_size
    if source_net.blocks != config.network.blocks:
        origin["grown_from_blocks"] = source_net.blocks
    if source_net.channels != config.network.channels:
        origin["grown_from_channels"] = source_net.channels
    if source_net.opponent_policy_head != config.network.opponent_policy_head:
        origin["opponent_policy_head_added"] = True
    return ResumePoint(None, None, initial=source, initial_origin=origin)


def network_differences(config_network, source_network) -> list[str]:
    """'network.FIELD SOURCE vs CONFIG' for every field of NetworkConfig where the two differ."""
    from zero.nn.network import differing_fields

    return [
        f"network.{name} {source!r} vs {config!r}"
        for name, config, source in differing_fields(config_network, source_network)
    ]


def init_origin(spec: str, source) -> dict[str, Any]:
    """What a run started with --init-from records of its source: name, weights file, step, version, SHA-256
    (of the weights file: ``sha256sum`` gives the same), and the source's own origin if it had one."""
    from zero.nn.shipped import file_sha256, model_label

    origin: dict[str, Any] = {
        "init_from": spec,
        "name": model_label(source.path),
        "path": str(source.path.resolve()),
        "step": source.step,
        "model_version": source.model_version,
        "sha256": file_sha256(source.path),
    }
    if source.origin:
        origin["origin"] = dict(source.origin)
    return origin


GROWN_FROM = {"grown_from_blocks": "blocks", "grown_from_channels": "channels"}  # origin keys of a grown network


def describe_origin(origin: dict[str, Any]) -> str:
    """One line: 'go9 (step 12000, version 120, sha256 0123456789ab...)', ' grown from 3 blocks, 32 channels' after
    a deeper or wider config, ' with a fresh opponent policy head' after one added, and ' with the replay of
    runs/x/replay (60,310 positions)' after --replay-from."""
    line = (
        f"{origin.get('name', '?')} (step {origin.get('step', '?')}, version {origin.get('model_version', '?')}, "
        f"sha256 {str(origin.get('sha256', '?'))[:16]}...)"
    )
    grown = [
        f"{origin[key]} {unit[:-1] if origin[key] == 1 else unit}" for key, unit in GROWN_FROM.items() if key in origin
    ]
    if grown:
        line += " grown from " + ", ".join(grown)
    if origin.get("opponent_policy_head_added"):
        line += " with a fresh opponent policy head"
    replay = origin.get("replay_from")
    if isinstance(replay, dict):
        line += f" with the replay of {replay.get('path', '?')} ({replay.get('positions', 0):,} positions)"
    return line


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
