"""The composed, typed run config (RunConfig: one section per layer), loaded from TOML plus `key.sub=value` overrides; never imports ray.

Sections and the layer that owns each one's dataclass:

    [game]      selfplay.params.GameParams     which game (go | tictactoe)
    [go]        games.go.GoRules               board size, komi, superko, move cap
    [search]    mcts.SearchParams              PUCT constants, simulations, noise
    [network]   zero.nn.network.NetworkConfig     residual tower and heads
    [train]     zero.learn.train.TrainConfig         optimizer, LR schedule, batch size
    [replay]    zero.learn.replay.ReplayConfig       replay window and shards
    [selfplay]  selfplay.params.SelfPlayParams the worker's B games in lockstep
    [run]       selfplay.params.RunParams      workers, train ratio, checkpoints, stopping
    [arena]     selfplay.params.ArenaParams    evaluation every K versions, Elo

Any problem (unknown key, wrong type, impossible value, sections that contradict each
other) raises ``ConfigError`` whose one-line message starts with the field's dotted name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from games.go import GoRules
from mcts import SearchParams
from selfplay.params import ArenaParams, GameParams, RunParams, SelfPlayParams
from zero.common.configlib import ConfigError, apply_overrides, from_mapping, load_toml, to_mapping, to_toml
from zero.learn.replay import ReplayConfig
from zero.learn.train import TrainConfig
from zero.nn.network import NetworkConfig


@dataclass(frozen=True)
class RunConfig:
    """Everything one `zero train` / `zero selfplay` run needs; saved as config.toml in the run directory and in every checkpoint."""

    game: GameParams = field(default_factory=GameParams, metadata={"doc": "which game the run learns"})
    go: GoRules = field(default_factory=GoRules, metadata={"doc": "Go rules (ignored for other games)"})
    search: SearchParams = field(
        default_factory=SearchParams, metadata={"doc": "batched PUCT search used by self-play"}
    )
    network: NetworkConfig = field(default_factory=NetworkConfig, metadata={"doc": "policy-value network architecture"})
    train: TrainConfig = field(default_factory=TrainConfig, metadata={"doc": "trainer: optimizer, schedule, batch"})
    replay: ReplayConfig = field(default_factory=ReplayConfig, metadata={"doc": "replay window of recent positions"})
    selfplay: SelfPlayParams = field(default_factory=SelfPlayParams, metadata={"doc": "self-play workers"})
    run: RunParams = field(
        default_factory=RunParams, metadata={"doc": "the run loop: workers, ratio, checkpoints, stopping"}
    )
    arena: ArenaParams = field(default_factory=ArenaParams, metadata={"doc": "evaluation during the run (Elo table)"})

    def validate(self) -> None:
        if self.game.name == "tictactoe" and self.network.ownership_head:
            raise ValueError("network.ownership_head: tic-tac-toe has no ownership target; set it to false")
        if self.game.name == "tictactoe" and self.network.score_head:
            raise ValueError("network.score_head: tic-tac-toe has no score target; set it to false")
        if self.network.komi_input and self.game.name != "go":
            raise ValueError("network.komi_input: only Go has a komi; set it to false")
        if self.network.liberty_input and self.game.name != "go":
            raise ValueError("network.liberty_input: only Go has liberties; set it to false")
        if self.network.ladder_input and self.game.name != "go":
            raise ValueError("network.ladder_input: only Go has ladders; set it to false")
        if self.selfplay.komi_stdev > 0 and not self.network.komi_input:
            raise ValueError(
                "selfplay.komi_stdev: a network without network.komi_input cannot see the komi; set it to 0"
            )
        if self.selfplay.score_utility_weight > 0 and not self.network.score_head:
            raise ValueError("selfplay.score_utility_weight: needs network.score_head = true")
        if self.selfplay.dynamic_score_utility_weight > 0 and not self.network.score_head:
            raise ValueError("selfplay.dynamic_score_utility_weight: needs network.score_head = true")
        if getattr(self.train, "lr_schedule", None) == "budget" and not self.run.max_minutes:
            raise ValueError("train.lr_schedule: budget anneals over run.max_minutes; set run.max_minutes > 0")
        batch = getattr(self.train, "batch_size", None)
        if batch is not None and self.run.min_replay_positions < batch:
            raise ValueError(
                f"run.min_replay_positions must be >= train.batch_size ({batch}), got {self.run.min_replay_positions}"
            )


def load_config(path: str | Path | None, overrides: list[str] | tuple[str, ...] = ()) -> RunConfig:
    """The RunConfig of TOML file ``path`` (None = all defaults) with ``key.sub=value`` overrides applied."""
    data: dict[str, Any] = load_toml(path) if path is not None else {}
    data = apply_overrides(data, list(overrides))
    return config_from_mapping(data)


def config_from_mapping(data: dict[str, Any]) -> RunConfig:
    """Build and validate a RunConfig from nested dicts (a TOML document or a checkpoint's run_config)."""
    return from_mapping(RunConfig, data)


def config_to_mapping(config: RunConfig) -> dict[str, Any]:
    return to_mapping(config)


STARTED_FROM = "# started from (--init-from): "  # config.toml's header line for a run started from another network


def config_to_toml(config: RunConfig, source: str | Path | None = None, origin: dict[str, Any] | None = None) -> str:
    """The full effective config as commented TOML (every field with its doc line); loading it gives ``config`` back.
    ``origin``: the network the run started from (``zero train --init-from``), as comment lines."""
    header = "# zero: effective run config" + (f" (from {source})" if source else " (defaults)")
    if origin:
        own = {key: value for key, value in origin.items() if key != "origin"}  # not the source's own origins
        header += "\n" + STARTED_FROM + " ".join(f"{key}={value}" for key, value in _flat_items(own))
    return to_toml(config, header=header)


def _flat_items(mapping: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested entries as dotted keys (``replay_from.path=...``), the way the command line sets fields."""
    items: list[tuple[str, Any]] = []
    for key, value in mapping.items():
        if isinstance(value, dict):
            items += _flat_items(value, f"{prefix}{key}.")
        else:
            items.append((prefix + key, value))
    return items


__all__ = [
    "ConfigError",
    "RunConfig",
    "config_from_mapping",
    "config_to_mapping",
    "config_to_toml",
    "load_config",
]
