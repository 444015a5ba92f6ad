"""Matches between two evaluators (a network version, the previous one, the random-rollout MCTS baseline) and the Elo table; a plain module (no ray).

Games are played in lockstep: half the games give player A the first move, half give
it to B. Because every unfinished game makes one move per step, the side to move is
the same in all games of a half, so each step is one batched search per half with the
evaluator of the player to move there. Match mode: no root noise; the opening
``temperature_moves`` moves are sampled from the visits so that games differ, then the
most visited move. A player that searches never fills its own single-point eye (Go),
as `zero gtp` plays: with nothing else visited it passes. Without that rule a network
whose value is saturated (every move "wins") fills its eyes one by one against an
opponent that never passes, until its groups die; the uniform random player keeps every
legal move. Elo: the random-rollout MCTS baseline is fixed at 0; a version's rating is
400 log10(s / (1 - s)) from its score s against the baseline (s clipped to
[1/(2n), 1 - 1/(2n)] for n games), and the chained rating adds the difference measured
against the previous evaluated version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mcts import NO_ACTION, choose_moves
from selfplay.player import BatchSearcher
from zero.common.stats import elo_clipped


@dataclass(frozen=True)
class MatchResult:
    """Games from player A's point of view."""

    wins: int
    losses: int
    draws: int

    @property
    def games(self) -> int:
        return self.wins + self.losses + self.draws

    @property
    def score(self) -> float:
        return (self.wins + 0.5 * self.draws) / max(self.games, 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "wins": self.wins,
            "losses": self.losses,
            "draws": self.draws,
            "score": self.score,
            "elo": elo_clipped(self.score, self.games),
        }


def play_match(
    adapter,
    search_params,
    evaluator_a,
    evaluator_b,
    *,
    games: int,
    simulations: int,
    temperature_moves: int = 0,
    seed: int = 0,
    simulations_b: int | None = None,
    keeps_own_eyes: tuple[bool, bool] = (True, True),
) -> MatchResult:
    """Play ``games`` games of A against B (A first in the first half); returns A's wins, losses, draws.

    ``simulations_b`` gives B another simulation count (e.g. 1 for the uniform random player);
    ``keeps_own_eyes[i]``: player i (A, B) never fills its own eye.
    """
    rng = np.random.default_rng(seed)
    halves = [(games + 1) // 2, games // 2]  # half 0: A moves first; half 1: B moves first
    results = []
    for half, count in enumerate(halves):
        if count == 0:
            continue
        boards = [adapter.new_game() for _ in range(count)]
        searcher = BatchSearcher(adapter, search_params, evaluator_a, batch_size=count, seed=seed + 101 * half)
        move = 0
        while not all(adapter.is_over(g) for g in boards):
            a_to_move = (move % 2 == 0) == (half == 0)
            evaluator = evaluator_a if a_to_move else evaluator_b
            sims = simulations if a_to_move or simulations_b is None else simulations_b
            outcome = searcher.search_games(boards, simulations=sims, add_noise=False, evaluator=evaluator)
            visits = outcome.visits
            if keeps_own_eyes[0 if a_to_move else 1]:
                visits = _without_own_eye_moves(adapter, boards, visits)
            temperature = np.full(count, 1.0 if move < temperature_moves else 0.0)
            actions = choose_moves(visits, temperature, rng)
            if outcome.chosen_action is not None:  # Gumbel root: its choice where it survived the eye filter
                chosen = outcome.chosen_action
                kept = (chosen >= 0) & (visits[np.arange(count), np.maximum(chosen, 0)] > 0)
                actions = np.where((temperature == 0) & kept, chosen, actions).astype(np.int32)
            for game, action in zip(boards, actions):
                if action != NO_ACTION and not adapter.is_over(game):
                    adapter.play(game, int(action))
            searcher.advance(np.full(count, NO_ACTION, np.int32))  # the other player searches next: fresh trees
            move += 1
        sign = 1.0 if half == 0 else -1.0  # A is the first player in half 0 (results are the first player's)
        results.extend(sign * adapter.result(g) for g in boards)
    results = np.asarray(results)
    return MatchResult(wins=int((results > 0).sum()), losses=int((results < 0).sum()), draws=int((results == 0).sum()))


def _without_own_eye_moves(adapter, boards: list, visits: np.ndarray) -> np.ndarray:
    """The visits with own-eye-filling moves removed; a game left with no visited move passes (its last action)."""
    out = visits
    for i, game in enumerate(boards):  # once per game per move
        eyes = None if adapter.is_over(game) else adapter.own_eye_moves(game)
        if eyes is None or not (visits[i] * eyes).any():
            continue
        if out is visits:
            out = visits.copy()
        out[i, eyes] = 0
        if not out[i].any():
            out[i, -1] = 1  # only own eyes were visited: pass
    return out


class RandomMoveEvaluator:
    """With one simulation, a uniformly random legal move: random priors (pass gets none, so it is played only when nothing else is legal)."""

    def __init__(self, num_actions: int, has_pass: bool, seed: int = 0) -> None:
        self.num_actions = num_actions
        self.has_pass = has_pass
        self.rng = np.random.default_rng(seed)

    def evaluate(self, planes: np.ndarray):
        priors = self.rng.random((planes.shape[0], self.num_actions)).astype(np.float32) + 1e-3
        if self.has_pass:
            priors[:, -1] = 0.0
        return priors, np.zeros(planes.shape[0], np.float32)


def strength_report(config, checkpoint: str, *, games: int, simulations: int, seed: int = 0) -> dict[str, Any]:
    """A checkpoint's results against the uniform random player and the random-rollout MCTS baseline at equal simulations."""
    import dataclasses

    from selfplay.builders import build_adapter, game_shape
    from zero.nn.inference import NetworkEvaluator

    adapter = build_adapter(config)
    params = dataclasses.replace(config.search, simulations=max(simulations, 1), reuse_tree=False)
    # a 19x19 net on a 9x9 config is refused
    net = NetworkEvaluator.from_checkpoint(checkpoint, expected_shape=game_shape(adapter), device="cpu")
    has_pass = adapter.num_actions == adapter.plane_shape[1] * adapter.plane_shape[2] + 1
    random_player = RandomMoveEvaluator(adapter.num_actions, has_pass, seed)
    vs_random = play_match(
        adapter,
        params,
        net,
        random_player,
        games=games,
        simulations=simulations,
        simulations_b=1,
        seed=seed,
        keeps_own_eyes=(True, False),
    )
    baseline = adapter.baseline_evaluator(config.arena.baseline_rollouts, seed)
    vs_mcts = play_match(
        adapter,
        params,
        net,
        baseline,
        games=games,
        simulations=simulations,
        temperature_moves=config.arena.temperature_moves,
        seed=seed + 1,
    )
    return {
        "checkpoint": checkpoint,
        "model_version": net.model_version,
        "games": games,
        "simulations": simulations,
        "baseline_rollouts": config.arena.baseline_rollouts,
        "vs_random": vs_random.as_dict(),
        "vs_mcts_baseline": vs_mcts.as_dict(),
    }


def gnugo_rung(config, version: int, weights, *, seed: int = 0) -> dict[str, Any]:
    """The run's periodic ladder rung: model ``version`` (numpy ``weights``) against GNU Go level ``arena.gnugo_level``.

    The weights go into a temporary checkpoint, and `zero ladder --opponents gnugo:L --json` plays the
    rung (a command, so this layer does not import zero.match, which sits above it): simple ko, colours
    alternating. Returns the rung's wins, win rate with its 95% interval and Elo difference, plus the
    anchored rating (GNU Go level 10 = 1800) when the level's rating is known; RuntimeError with the
    ladder's one-line message when it fails (GNU Go missing, for one).
    """
    import json
    import subprocess
    import sys
    import tempfile

    import torch

    from selfplay.builders import build_model
    from zero.nn.checkpoint import save_checkpoint

    arena = config.arena
    model = build_model(config)
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in weights.items()})
    with tempfile.TemporaryDirectory(prefix="zero-rung-") as tmp:
        save_checkpoint(tmp, model, step=0, model_version=version)
        command = [
            sys.executable,
            "-m",
            "zero.cli",
            "ladder",
            "--model",
            tmp,
            "--opponents",
            f"gnugo:{arena.gnugo_level}",
            "--games",
            str(arena.gnugo_games),
            "--visits",
            str(arena.gnugo_visits),
            "--komi",
            f"{config.go.komi:g}",
            "--json",
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise RuntimeError(f"zero ladder failed: {lines[-1] if lines else f'exit status {done.returncode}'}")
    ladder = json.loads(done.stdout)
    row, anchored = ladder["rungs"][0], ladder["anchored"]
    keys = ("rung", "games", "wins", "losses", "draws", "win_rate", "win_rate_low", "win_rate_high", "elo")
    return {
        "version": version,
        "visits": arena.gnugo_visits,
        **{k: row[k] for k in keys},
        "illegal_moves": len(row["illegal_moves"]),
        "anchored_elo": anchored["elo"],
        "anchored_low": anchored["elo_low"] if anchored["games"] else None,
        "anchored_high": anchored["elo_high"] if anchored["games"] else None,
    }


def evaluate_version(
    config,
    new_version: int,
    new_weights,
    previous_version: int,
    previous_weights,
    *,
    seed: int = 0,
    device: str = "cpu",
) -> dict[str, Any]:
    """The arena's job for one version: vs the previous version (if any) and vs the random-rollout MCTS baseline; networks on ``device``."""
    import dataclasses

    from selfplay.builders import build_adapter, build_evaluator, load_numpy_weights

    adapter = build_adapter(config)
    arena = config.arena
    params = dataclasses.replace(config.search, simulations=arena.simulations, reuse_tree=False)
    new = build_evaluator(config, device=device, adapter=adapter, seed=seed)
    load_numpy_weights(new, new_weights, new_version)
    out: dict[str, Any] = {
        "version": new_version,
        "games": arena.games,
        "simulations": arena.simulations,
        "device": device,
    }
    baseline = adapter.baseline_evaluator(arena.baseline_rollouts, seed)
    vs_base = play_match(
        adapter,
        params,
        new,
        baseline,
        games=arena.games,
        simulations=arena.simulations,
        temperature_moves=arena.temperature_moves,
        seed=seed,
    )
    out["vs_baseline"] = vs_base.as_dict()
    if previous_weights is not None and previous_version != new_version:
        old = build_evaluator(config, device=device, adapter=adapter, seed=seed + 1)
        load_numpy_weights(old, previous_weights, previous_version)
        vs_prev = play_match(
            adapter,
            params,
            new,
            old,
            games=arena.games,
            simulations=arena.simulations,
            temperature_moves=arena.temperature_moves,
            seed=seed + 1,
        )
        out["previous"] = previous_version
        out["vs_previous"] = vs_prev.as_dict()
    return out


class EloTable:
    """Ratings per evaluated version: against the fixed baseline (0 Elo) and chained through previous versions."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[str, Any]] = {}

    def add(self, result: dict[str, Any]) -> None:
        version = int(result["version"])
        row: dict[str, Any] = {
            "vs_baseline": result["vs_baseline"]["elo"],
            "score_vs_baseline": result["vs_baseline"]["score"],
        }
        chained = row["vs_baseline"]
        if "vs_previous" in result:
            prev = int(result["previous"])
            row["vs_previous"] = result["vs_previous"]["elo"]
            row["score_vs_previous"] = result["vs_previous"]["score"]
            base = self.rows.get(prev, {}).get("chained")
            if base is not None:
                chained = base + row["vs_previous"]
        row["chained"] = chained
        self.rows[version] = row

    def latest(self) -> float | None:
        """The newest version's Elo against the rollout baseline (saturates once it wins every game)."""
        return self.rows[max(self.rows)]["vs_baseline"] if self.rows else None

    def latest_chained(self) -> float | None:
        """The newest version's Elo chained through the previous versions (keeps rising after the baseline saturates)."""
        return self.rows[max(self.rows)]["chained"] if self.rows else None

    def table(self) -> dict[str, dict[str, Any]]:
        return {str(v): dict(row) for v, row in sorted(self.rows.items())}

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return self.table()

    @classmethod
    def from_dict(cls, data: dict | None) -> EloTable:
        table = cls()
        for version, row in (data or {}).items():
            table.rows[int(version)] = dict(row)
        return table

    def describe(self, version: int) -> str:
        row = self.rows.get(version)
        if row is None:
            return f"arena: version {version}: no result"
        text = f"arena: version {version}: {row['vs_baseline']:+.0f} Elo vs random-rollout MCTS (score {row['score_vs_baseline']:.2f})"
        if "vs_previous" in row:
            text += f", {row['vs_previous']:+.0f} vs previous (score {row['score_vs_previous']:.2f})"
        return text


def main(argv: list[str] | None = None) -> int:
    """python3 -m selfplay.arena --config FILE --model CKPT [--games N] [--simulations S] [key=value ...]: strength of a checkpoint, one JSON line."""
    import argparse
    import json
    import sys

    from selfplay.config import load_config
    from zero.common.configlib import ConfigError
    from zero.nn.checkpoint import CheckpointError

    parser = argparse.ArgumentParser(prog="python3 -m selfplay.arena", description=main.__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--model", required=True, help="checkpoint file, checkpoints/ directory or run directory")
    parser.add_argument("--games", type=int, default=100)
    parser.add_argument("--simulations", type=int, default=0, help="default: the config's arena.simulations")
    parser.add_argument(
        "overrides",
        nargs="*",
        metavar="key=value",
        help="config overrides, e.g. arena.baseline_rollouts=8 for a stronger baseline",
    )
    args = parser.parse_args(argv)
    if args.games < 1 or args.simulations < 0:
        parser.error("--games must be at least 1 and --simulations at least 0")
    try:
        config = load_config(args.config, args.overrides)
        sims = args.simulations or config.arena.simulations
        report = strength_report(config, args.model, games=args.games, simulations=sims)
    except (ConfigError, CheckpointError, OSError) as exc:
        print(f"error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", file=sys.stderr)
        return 2
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
